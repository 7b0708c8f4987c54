internal import CLinux
import Glibc

/// Questions about a descriptor a caller handed over (D-Bus `h`). The
/// descriptor is the proof of access: these answer from it, never from a
/// path the caller sent.
public enum CallerDescriptor {
    /// What `readlink(/proc/self/fd/N)` says: the path the kernel records
    /// for the descriptor as this process sees it (for a file opened in a
    /// sandbox, its path there). Anything may come back — a pipe's name,
    /// a " (deleted)" suffix — so callers check it; nil if unreadable.
    public static func kernelPath(_ fd: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/fd/\(fd)", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether the caller may write what `fd` refers to: the descriptor's
    /// open mode; for O_PATH descriptors and directories (never open for
    /// writing; creating in them is what write means there), the access
    /// check through the descriptor's own mount, which says no for a
    /// read-only bind in the caller's sandbox.
    public static func allowsWriting(_ fd: Int32) -> Bool {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0 else { return false }
        var status = stat()
        let isDirectory = fstat(fd, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR
        if flags & burrow_o_path != 0 || isDirectory { return access("/proc/self/fd/\(fd)", W_OK) == 0 }
        return flags & O_ACCMODE == O_RDWR || flags & O_ACCMODE == O_WRONLY
    }
}
