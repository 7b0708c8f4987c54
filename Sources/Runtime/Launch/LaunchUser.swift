import FoundationEssentials
import Glibc

extension SandboxPlan.User {
    /// The user running the launcher, with their home (`$HOME` wins over
    /// the passwd entry, as in a session) and runtime directory, which must
    /// exist and be theirs.
    static func current(environment: [String: String]) throws(SandboxError) -> Self {
        let uid = getuid(), gid = getgid()
        guard let entry = getpwuid(uid) else { throw SandboxError("cannot find the user entry of uid \(uid)") }
        let name = String(cString: entry.pointee.pw_name)
        let home = environment["HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? String(cString: entry.pointee.pw_dir)
        let runtimeDirectory = Self.runtimeDirectory(environment: environment)
        var info = stat()
        guard stat(runtimeDirectory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, info.st_uid == uid else {
            throw SandboxError("the runtime directory \(runtimeDirectory) is missing or not yours; set XDG_RUNTIME_DIR (mode 0700)")
        }
        let group = getgrgid(gid).map { String(cString: $0.pointee.gr_name) }
        return .init(uid: uid, gid: gid, name: name, realName: String(cString: entry.pointee.pw_gecos),
                     groupName: group, home: home, runtimeDirectory: runtimeDirectory)
    }

    /// `$XDG_RUNTIME_DIR`, or the session's usual `/run/user/UID`.
    public static func runtimeDirectory(environment: [String: String]) -> String {
        environment["XDG_RUNTIME_DIR"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "/run/user/\(getuid())"
    }
}

extension InstanceRecord {
    /// A fresh instance id, reserved by creating its directory (as Flatpak
    /// does under `$XDG_RUNTIME_DIR/.flatpak`), so two launches never share
    /// one. The caller then sweeps ended records (`removeEnded`), once its
    /// D-Bus proxy is starting.
    static func reserveID(runtimeDirectory: String) throws -> String {
        let base = base(runtimeDirectory: runtimeDirectory)
        try FileSystem.ensureDirectory(base, mode: 0o700)
        for _ in 0..<100 {
            let id = String(UInt32.random(in: 1_000_000_000...UInt32.max))
            if mkdir(base + "/" + id, 0o700) == 0 { return id }
            if errno != EEXIST { break }
        }
        throw SandboxError("cannot reserve an instance directory in \(base): \(String(cString: strerror(errno)))")
    }
}
