import Glibc
import PortalCommon

/// `--allow=per-app-dev-shm`: one /dev/shm for every running instance of an
/// app, shared with none of the host or other apps (Flatpak's feature, for
/// apps such as games and browsers whose processes meet in shared memory).
///
/// On the host it is a directory `/dev/shm/burrow-APPID-XXXXXX`, made 0700
/// by mkdtemp, named by the link `$XDG_RUNTIME_DIR/.flatpak/APPID/dev-shm`.
/// /dev/shm is writable by everyone, so the directory is trusted only when
/// opened without following links, owned by us and closed to others, and
/// reaches bwrap as that open descriptor (--bind-fd): nobody can swap
/// another directory in between the check and the bind.
enum PerAppSharedMemory {
    static func recordDirectory(runtimeDirectory: String, appID: AppID) -> String {
        InstanceRecord.base(runtimeDirectory: runtimeDirectory) + "/" + appID.rawValue
    }

    /// The app's directory, open, made on first use. Concurrent launches
    /// agree on one through a lock next to the link.
    static func open(appID: AppID, runtimeDirectory: String) throws -> UnixFD {
        let record = recordDirectory(runtimeDirectory: runtimeDirectory, appID: appID)
        try FileSystem.makeDirectories(record)
        // makeDirectories follows links (installations may be moved); this
        // directory is ours alone, and a link in its place is refused.
        guard FileSystem.isDirectory(record) else { throw SandboxError("\(record) is not a plain directory") }
        let lock = Glibc.open(record + "/dev-shm.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard lock >= 0 else { throw SandboxError("cannot lock \(record)/dev-shm.lock: \(String(cString: strerror(errno)))") }
        defer { close(lock) }  // closing releases the flock
        guard flock(lock, LOCK_EX) == 0 else { throw SandboxError("cannot lock \(record)/dev-shm.lock") }
        // The lock file's time says "a launch is using this now" to
        // `remove`, which may run (from `burrow ps`) before this launch's
        // instance is recorded as running.
        _ = futimens(lock, nil)

        let link = record + "/dev-shm"
        if let target = try? FileSystem.symbolicLinkTarget(link), isOurs(target, appID: appID),
           let directory = openTrusted(target) {
            return directory
        }
        var template = Array("/dev/shm/burrow-\(appID.rawValue)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw SandboxError("cannot make the app's /dev/shm directory: \(String(cString: strerror(errno)))")
        }
        let target = String(cString: made)
        try FileSystem.replaceSymbolicLink(link, target: target)
        guard let directory = openTrusted(target) else { throw SandboxError("\(target) changed while it was being set up") }
        return directory
    }

    /// Removes the directory of an app none of whose instances runs, unless
    /// a launch took it in the last minute (it may not be recorded yet).
    static func remove(appID: String, runtimeDirectory: String) {
        let record = InstanceRecord.base(runtimeDirectory: runtimeDirectory) + "/" + appID
        guard let id = AppID(rawValue: appID), let target = try? FileSystem.symbolicLinkTarget(record + "/dev-shm"),
              isOurs(target, appID: id) else { return }
        let lock = Glibc.open(record + "/dev-shm.lock", O_RDWR | O_CLOEXEC | O_NOFOLLOW)
        guard lock >= 0 else { return }
        defer { close(lock) }
        var status = stat()
        guard flock(lock, LOCK_EX | LOCK_NB) == 0, fstat(lock, &status) == 0,
              time(nil) - status.st_mtim.tv_sec > 60 else { return }
        // Only a directory of ours: a name in /dev/shm someone else made
        // (after ours went) is left alone, and only the link goes.
        if openTrusted(target) != nil { try? FileSystem.removeTree(target) }
        unlink(record + "/dev-shm")
    }

    private static func isOurs(_ target: String, appID: AppID) -> Bool {
        let prefix = "/dev/shm/burrow-\(appID.rawValue)-"
        return target.hasPrefix(prefix) && !target.dropFirst(prefix.count).contains("/")
    }

    private static func openTrusted(_ path: String) -> UnixFD? {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_uid == getuid(), status.st_mode & 0o077 == 0 else {
            close(fd)
            return nil
        }
        return UnixFD(takingOwnershipOf: fd)
    }
}
