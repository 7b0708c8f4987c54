internal import CLinux
import Glibc
import PortalCommon

/// A file or directory an app handed over as a descriptor, checked before
/// it becomes a document. The descriptor is the proof of access; a path
/// string from the caller is never trusted.
struct ExportedFile {
    /// Parent directory (files) or the directory itself (directory documents).
    let directory: String
    /// Empty for directories.
    let name: String
    let device: UInt64
    let inode: UInt64
    /// The caller could write the file (descriptor opened for writing, or
    /// an O_PATH descriptor whose mount and mode allow writing).
    let writable: Bool
    let isDirectory: Bool

    var hostPath: String { isDirectory ? directory : (directory == "/" ? "/" : directory + "/") + name }

    /// Checks `fd` (regular file, or directory when `allowDirectory`):
    ///
    /// - not a symlink (an O_PATH|O_NOFOLLOW descriptor can be one);
    /// - its path, as the kernel names it, is reachable on the host *and*
    ///   leads to the very same inode — so a file visible only inside the
    ///   caller's sandbox (its private /tmp, /app) cannot be exported, and a
    ///   path swapped after the fact is caught;
    /// - a descriptor into the document store itself is refused here; the
    ///   caller resolves those through the store (`StoreDescriptor`).
    static func check(_ fd: Int32, allowDirectory: Bool) throws(PortalError) -> (ExportedFile, stat) {
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw .invalidArgument("the file descriptor is not usable: \(String(cString: strerror(errno)))") }
        switch status.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR where allowDirectory: break
        case S_IFDIR: throw .invalidArgument("the descriptor is a directory; export directories with AddFull and the export-directory flag (8)")
        case S_IFLNK: throw .invalidArgument("the descriptor is a symbolic link; open the file itself")
        default: throw .invalidArgument("only regular files and directories can be documents")
        }
        let path = try kernelPath(fd)
        let isDirectory = status.st_mode & S_IFMT == S_IFDIR
        let (parent, name) = split(path)
        let reached = try reach(parent: parent, name: name, isDirectory: isDirectory)
        guard reached.st_dev == status.st_dev, reached.st_ino == status.st_ino else {
            throw .notAllowed("\(path) is not the file the descriptor refers to on the host (a file private to the sandbox, or one that was moved)")
        }
        let parentStatus = try statusOf(isDirectory ? path : parent)
        let file = ExportedFile(directory: isDirectory ? path : parent, name: isDirectory ? "" : name,
                                device: UInt64(parentStatus.st_dev), inode: UInt64(parentStatus.st_ino),
                                writable: CallerDescriptor.allowsWriting(fd), isDirectory: isDirectory)
        return (file, status)
    }

    /// `name` inside the directory `fd` (AddNamed): the file need not exist.
    static func named(_ name: String, in fd: Int32) throws(PortalError) -> ExportedFile {
        guard isPlainName(name) else {
            throw .invalidArgument("'\(name)' is not a plain file name (no '/', '.', '..' or NUL)")
        }
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
            throw .invalidArgument("AddNamed needs a descriptor of the parent directory")
        }
        let path = try kernelPath(fd)
        let reached = try statusOf(path)
        guard reached.st_dev == status.st_dev, reached.st_ino == status.st_ino else {
            throw .notAllowed("\(path) is not the directory the descriptor refers to on the host")
        }
        return ExportedFile(directory: path, name: name, device: UInt64(status.st_dev), inode: UInt64(status.st_ino),
                            writable: CallerDescriptor.allowsWriting(fd), isDirectory: false)
    }

    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.utf8.contains(0) && name.utf8.count <= 255
    }

    /// The path the kernel records for the descriptor, as the daemon sees it.
    private static func kernelPath(_ fd: Int32) throws(PortalError) -> String {
        guard let path = CallerDescriptor.kernelPath(fd) else {
            throw .invalidArgument("cannot tell which file the descriptor refers to")
        }
        guard path.hasPrefix("/") else { throw .invalidArgument("the descriptor is not a file (\(path))") }
        return path
    }

    private static func split(_ path: String) -> (String, String) {
        guard let slash = path.lastIndex(of: "/"), path != "/" else { return ("/", "") }
        let parent = slash == path.startIndex ? "/" : String(path[..<slash])
        return (parent, String(path[path.index(after: slash)...]))
    }

    /// The last component without following a symlink there.
    private static func reach(parent: String, name: String, isDirectory: Bool) throws(PortalError) -> stat {
        let directory = Glibc.open(parent, burrow_o_path | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { throw .notAllowed("\(parent) cannot be reached on the host") }
        defer { close(directory) }
        var status = stat()
        let target = name.isEmpty ? "." : name
        guard fstatat(directory, target, &status, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw .notAllowed("\(parent)/\(name) cannot be reached on the host")
        }
        return status
    }

    private static func statusOf(_ path: String) throws(PortalError) -> stat {
        var status = stat()
        guard stat(path, &status) == 0 else { throw .notAllowed("\(path) cannot be reached on the host") }
        return status
    }
}
