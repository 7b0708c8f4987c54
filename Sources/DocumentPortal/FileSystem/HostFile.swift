internal import CLinux
import Glibc
import SystemPackage

/// A host file reached through an `burrow_o_path` descriptor: the portal never
/// resolves an app-supplied path string on the host. Every name is one
/// component, opened with `openat(O_NOFOLLOW)` under a directory the portal
/// already trusts, and checked against the device and inode it expects.
struct HostFile: ~Copyable {
    let fd: Int32
    let status: stat

    /// Opens `path` (a path the portal stored, not one an app sent) as the
    /// directory a document hangs off, and checks it is still the one that
    /// was exported.
    static func directory(_ path: String, device: UInt64, inode: UInt64) throws(Errno) -> HostFile {
        let fd = Glibc.open(path, burrow_o_path | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Errno(rawValue: errno) }
        let file = try HostFile(adopting: fd)
        guard file.device == device, file.inode == inode else { throw Errno.noSuchFileOrDirectory }
        return file
    }

    /// `name` inside this directory, not following a final symlink.
    func child(_ name: String) throws(Errno) -> HostFile {
        guard HostFile.isPlainName(name) else { throw Errno.invalidArgument }
        let child = openat(fd, name, burrow_o_path | O_NOFOLLOW | O_CLOEXEC)
        guard child >= 0 else { throw Errno(rawValue: errno) }
        return try HostFile(adopting: child)
    }

    /// `child(name)` that must still be the file a node was made for.
    func child(_ name: String, device: UInt64, inode: UInt64) throws(Errno) -> HostFile {
        let file = try child(name)
        // Replaced behind our back (by the host, or a racing rename): the
        // old node is stale; the kernel looks the name up afresh.
        guard file.device == device, file.inode == inode else { throw Errno.staleNFSFileHandle }
        return file
    }

    init(adopting fd: Int32) throws(Errno) {
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            let error = Errno(rawValue: errno)
            close(fd)
            throw error
        }
        self.fd = fd
        self.status = status
    }

    deinit { close(fd) }

    var device: UInt64 { UInt64(status.st_dev) }
    var inode: UInt64 { UInt64(status.st_ino) }

    /// `/proc/self/fd/N`: the way to act on exactly this inode with calls
    /// that need a path (reopen for I/O, chmod, utimens, truncate, statvfs),
    /// without a window in which the name could be swapped for a symlink.
    var procPath: String { "/proc/self/fd/\(fd)" }

    /// Opens this inode for I/O. `O_CREAT`/`O_EXCL` are meaningless on a
    /// reopen and are dropped.
    func reopen(flags: Int32) throws(Errno) -> Int32 {
        guard status.st_mode & S_IFMT == S_IFREG else { throw Errno.tooManySymbolicLinkLevels }
        let clean = (flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_NOFOLLOW | O_DIRECTORY)) | O_CLOEXEC
        let opened = Glibc.open(procPath, clean)
        guard opened >= 0 else { throw Errno(rawValue: errno) }
        return opened
    }

    /// Opens `name` in this directory for I/O in one `openat`, then checks
    /// that what opened is the regular file a node was made for. Opening is
    /// harmless before the check: O_NONBLOCK (a FIFO planted under the name
    /// cannot block us), O_NOCTTY, no O_CREAT, and O_TRUNC only afterwards,
    /// on the verified descriptor.
    func openRegular(_ name: String, device: UInt64, inode: UInt64, flags: Int32) throws(Errno) -> Int32 {
        guard HostFile.isPlainName(name) else { throw Errno.invalidArgument }
        let safe = (flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_DIRECTORY)) | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC
        let fd = openat(self.fd, name, safe)
        guard fd >= 0 else { throw Errno(rawValue: errno) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { let error = Errno(rawValue: errno); close(fd); throw error }
        guard status.st_mode & S_IFMT == S_IFREG else { close(fd); throw Errno.tooManySymbolicLinkLevels }
        guard UInt64(status.st_dev) == device, UInt64(status.st_ino) == inode else { close(fd); throw Errno.staleNFSFileHandle }
        if flags & O_NONBLOCK == 0 { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) }
        if flags & O_TRUNC != 0, ftruncate(fd, 0) != 0 { let error = Errno(rawValue: errno); close(fd); throw error }
        return fd
    }

    /// A directory fd for listing and for `*at` calls that refuse O_PATH.
    func openDirectory() throws(Errno) -> Int32 {
        let opened = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard opened >= 0 else { throw Errno(rawValue: errno) }
        return opened
    }

    /// One path component: not empty, not `.` or `..`, no slash. The kernel
    /// already guarantees this for FUSE names; D-Bus names are checked here too.
    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.utf8.contains(0)
            && name.utf8.count <= 255
    }
}

/// Throws the current errno when `result` is negative.
@discardableResult
func check(_ result: Int32) throws(Errno) -> Int32 {
    guard result >= 0 else { throw Errno(rawValue: errno) }
    return result
}

/// utimensat's special nanosecond values (macros Swift cannot import;
/// the kernel's ABI, <linux/stat.h>).
let utimeNow = (1 << 30) - 1
let utimeOmit = (1 << 30) - 2
