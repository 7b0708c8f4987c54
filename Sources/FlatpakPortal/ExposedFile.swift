internal import CLinux
import Glibc
import PortalCommon
import Runtime

/// A file or directory a caller exposes to its sub-sandbox by descriptor
/// (sandbox-expose-fd): bound by that descriptor (bwrap --bind-fd), so the
/// portal never resolves a path the app chose; it appears in the
/// sub-sandbox where the caller sees it.
enum ExposedFile {
    static func bind(_ file: UnixFD, readOnly: Bool) throws(PortalError) -> SandboxPlan.FileBind {
        try file.withRawDescriptor { (fd: Int32) throws(PortalError) -> SandboxPlan.FileBind in
            var status = stat()
            guard fstat(fd, &status) == 0 else { throw .invalidArgument("an exposed descriptor is not usable") }
            let type = status.st_mode & S_IFMT
            guard type == S_IFREG || type == S_IFDIR else {
                throw .invalidArgument("only regular files and directories can be exposed (open them with O_PATH, not their links)")
            }
            // Read-write only for what the caller may write itself: the
            // access check goes through the descriptor's own mount.
            if !readOnly && access("/proc/self/fd/\(fd)", W_OK) != 0 {
                throw .notAllowed("an exposed file is not writable by the caller; use sandbox-expose-fd-ro")
            }
            // The kernel's name for it, as the caller's sandbox sees it.
            guard let path = CallerDescriptor.kernelPath(fd) else {
                throw .invalidArgument("cannot tell where an exposed descriptor is")
            }
            guard path.hasPrefix("/"), !path.hasSuffix(" (deleted)") else {
                throw .invalidArgument("an exposed descriptor has no path (\(path))")
            }
            return SandboxPlan.FileBind(file: file, destination: path, readOnly: readOnly)
        }
    }

    /// usr-fd / app-fd: a directory of the caller's, read-only at `destination`.
    static func directory(_ file: UnixFD, at destination: String) throws(PortalError) -> SandboxPlan.FileBind {
        let isDirectory = file.withRawDescriptor { fd -> Bool in
            var status = stat()
            return fstat(fd, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR
        }
        guard isDirectory else { throw .invalidArgument("usr-fd and app-fd must be directories (\(destination))") }
        return SandboxPlan.FileBind(file: file, destination: destination, readOnly: true)
    }
}
