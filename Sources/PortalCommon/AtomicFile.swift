import CLinux
import Glibc

/// Writes a file so that readers see the old content or the new, never a
/// mix, and a crash leaves one of the two: a temporary file in the same
/// directory, fsync'd, then renamed over the target. `durable: false` skips
/// the fsync, for records that describe running processes and mean nothing
/// after a crash (a sandbox's instance record): still never half-written
/// for a reader, and without the disk flush (a millisecond on ext4).
///
/// Foundation's `write(atomically: false)` is not used: on Linux it leaves an
/// empty `TemporaryDirectory.XXXXXX` in /tmp behind on every call.
public enum AtomicFile {
    public static func write(_ text: String, to path: String, mode: UInt32 = 0o644, durable: Bool = true) throws(PortalError) {
        try write(Array(text.utf8), to: path, mode: mode, durable: durable)
    }

    public static func write(_ bytes: [UInt8], to path: String, mode: UInt32 = 0o644, durable: Bool = true) throws(PortalError) {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        var template = Array("\(directory.isEmpty ? "/" : directory)/.\(name).XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { burrow_mkostemp($0.baseAddress!, O_CLOEXEC) }
        guard fd >= 0 else { throw .failed("cannot create a temporary file next to \(path): \(String(cString: strerror(errno)))") }
        let temporary = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var ok = false
        defer {
            close(fd)
            if !ok { unlink(temporary) }
        }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw .failed("cannot write \(path): \(String(cString: strerror(errno)))") }
            offset += written
        }
        guard fchmod(fd, mode) == 0, !durable || fsync(fd) == 0 else {
            throw .failed("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        guard rename(temporary, path) == 0 else {
            throw .failed("cannot replace \(path): \(String(cString: strerror(errno)))")
        }
        ok = true
    }
}
