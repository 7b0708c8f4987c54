import FoundationEssentials
import Glibc
import Logging
import PortalCommon

/// Getting `$XDG_RUNTIME_DIR/doc` ready to mount on.
enum MountPoint {
    /// Creates the directory, and clears a mount left by a crashed store
    /// (every access answers ENOTCONN). A live store there belongs to
    /// another instance: it is only taken over with `--replace`.
    static func prepare(_ path: String, replacing: Bool, logger: Logger) throws {
        // statvfs, not stat: the kernel answers stat on a dead mount's root
        // from its attribute cache, while statfs always reaches the server.
        var status = statvfs()
        if statvfs(path, &status) != 0 {
            switch errno {
            case ENOENT:
                guard mkdir(path, 0o700) == 0 || errno == EEXIST else {
                    throw PortalError.failed("cannot create \(path): \(String(cString: strerror(errno)))")
                }
                return
            case ENOTCONN:
                logger.warning("\(path): clearing the mount of a document store that is gone")
                try unmount(path)
                return
            default:
                throw PortalError.failed("cannot use \(path): \(String(cString: strerror(errno)))")
            }
        }
        guard try isMountPoint(path) else { return }
        guard replacing else {
            throw PortalError.failed("a document store is already mounted at \(path); use --replace to take over")
        }
        logger.info("\(path): detaching the running document store's mount (--replace)")
        try unmount(path)
    }

    static func device(_ path: String) throws -> UInt64 {
        var status = stat()
        guard stat(path, &status) == 0 else { throw PortalError.failed("cannot stat \(path)") }
        return UInt64(status.st_dev)
    }

    private static func isMountPoint(_ path: String) throws -> Bool {
        try device(path) != device(path + "/..")
    }

    /// Lazy unmount: processes still inside the old mount keep it until
    /// they leave, and new lookups reach the fresh one.
    private static func unmount(_ path: String) throws {
        if geteuid() == 0, umount2(path, Int32(MNT_DETACH)) == 0 { return }
        let result = try ChildCommand.run("/usr/bin/fusermount3", ["-u", "-z", "--", path])
        guard result.status == 0 else {
            throw PortalError.failed("fusermount3 -u -z \(path) failed: \(result.complaint)")
        }
    }
}
