import Foundation
import PortalCommon
import TestSupport

/// A temporary directory removed when the value goes away — including when
/// the test throws or an expectation fails halfway.
final class Scratch: @unchecked Sendable {
    let path: String

    init(_ prefix: String = "burrow-runtime") throws {
        path = try TemporaryDirectory.make(prefix: prefix).path
    }

    func sub(_ name: String) -> String { path + "/" + name }

    deinit {
        // Deployment directories may be read-only; make them writable first.
        _ = try? runBlockingChmod(path)
        try? FileManager.default.removeItem(atPath: path)
    }
}

private func runBlockingChmod(_ path: String) throws {
    guard let enumerator = FileManager.default.enumerator(atPath: path) else { return }
    for case let item as String in enumerator {
        var info = stat()
        let full = path + "/" + item
        if lstat(full, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR { chmod(full, 0o755) }
    }
}

/// Small filesystem helpers for building trees in tests.
enum Files {
    static func write(_ text: String, to path: String, mode: Int16 = 0o644) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try AtomicFile.write(text, to: path)
        chmod(path, mode_t(mode))
    }

    static func info(_ path: String) -> stat {
        var info = stat()
        lstat(path, &info)
        return info
    }

    static func isRegularFile(_ path: String) -> Bool { (info(path).st_mode & S_IFMT) == S_IFREG }
    static func isDirectory(_ path: String) -> Bool { (info(path).st_mode & S_IFMT) == S_IFDIR }
    static func exists(_ path: String) -> Bool { var st = stat(); return lstat(path, &st) == 0 }
}
