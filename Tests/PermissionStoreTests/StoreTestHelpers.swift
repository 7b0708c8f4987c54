import Foundation
import PortalCommon
import Synchronization
import Testing

enum ErrorName {
    static let notFound = PortalError.notFound("").name
    static let invalidArgument = PortalError.invalidArgument("").name
    static let failed = PortalError.failed("").name
}

/// Runs `body` with a fresh directory under the system temp dir and removes
/// it afterwards; a failed removal is reported, not ignored.
func withTemporaryDirectory<Result>(_ body: (String) throws -> Result) throws -> Result {
    var template = Array((NSTemporaryDirectory() + "/burrow-store-XXXXXX").utf8CString)
    let path = try template.withUnsafeMutableBufferPointer { buffer -> String in
        guard let created = mkdtemp(buffer.baseAddress!) else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        return String(cString: created)
    }
    defer {
        do { try FileManager.default.removeItem(atPath: path) } catch {
            Issue.record("could not remove \(path): \(error)")
        }
    }
    return try body(path)
}

/// Runs `body` and returns the wire error it throws (through the one mapping
/// point, `PortalError.init`), recording an issue if it does not throw.
@discardableResult
func expectPortalError(
    _ name: String, containing fragments: [String] = [],
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Any
) -> PortalError? {
    do {
        let result = try body()
        Issue.record("expected \(name), got success: \(result)", sourceLocation: sourceLocation)
        return nil
    } catch {
        let portal = PortalError(error)
        #expect(portal.name == name, "\(portal)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(portal.message.contains(fragment), "\(portal.message) lacks \(fragment)",
                    sourceLocation: sourceLocation)
        }
        return portal
    }
}

/// Collects failures from background threads so the test can assert on them.
final class FailureLog: Sendable {
    private let entries = Mutex<[String]>([])
    func record(_ message: String) { entries.withLock { $0.append(message) } }
    var all: [String] { entries.withLock { $0 } }
}

/// Runs `body(index)` on `count` real threads at once and waits for all.
/// Threads, not tasks: the store blocks, and blocking belongs on threads.
func runOnThreads(_ count: Int, _ body: @escaping @Sendable (Int) throws -> Void) -> [String] {
    let failures = FailureLog()
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        let thread = Thread {
            defer { group.leave() }
            do { try body(index) } catch { failures.record("thread \(index): \(error)") }
        }
        thread.start()
    }
    group.wait()
    return failures.all
}

/// Test data as bytes, standing in for a serialized D-Bus variant.
func bytes(_ value: Int) -> [UInt8] {
    withUnsafeBytes(of: UInt64(value).littleEndian) { Array($0) }
}
