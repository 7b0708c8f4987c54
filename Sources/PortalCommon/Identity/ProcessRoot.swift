internal import CLinux
internal import CSystemd
import Glibc

/// The syscall side of identification: a process pinned by a pidfd, its root
/// directory opened as an fd, and `/.flatpak-info` read relative to that fd.
/// Nothing here resolves a caller-controlled path on the host.
enum ProcessRoot {
    enum Finding {
        /// No `/.flatpak-info` at the process's root: an unsandboxed process.
        case noSandboxInfo
        /// The bytes of `/.flatpak-info`, verified to sit on a read-only mount.
        case sandboxInfo([UInt8])
    }

    /// Largest `.flatpak-info` we read; real ones are a few KiB.
    static let maxInfoSize = 1 << 20

    /// A pidfd for `pid`, taken at once so the process cannot be swapped
    /// underneath us between here and the final liveness check.
    static func pidfd(for pid: Int32) throws(PortalError) -> UnixFD {
        let fd = burrow_pidfd_open(pid, 0)
        guard fd >= 0 else {
            let e = burrow_errno()
            if e == ESRCH { throw .notAllowed("the calling process (pid \(pid)) exited before it could be identified") }
            throw .failed("pidfd_open(\(pid)): \(String(cString: strerror(e)))")
        }
        return UnixFD(takingOwnershipOf: fd)
    }

    /// The pid a pidfd refers to, from `/proc/self/fdinfo` (-1 once it exited).
    static func pid(of pidfd: UnixFD) throws(PortalError) -> Int32 {
        let path = pidfd.withRawDescriptor { "/proc/self/fdinfo/\($0)" }
        let text = try readSmallFile(path)
        for line in text.split(separator: "\n") where line.hasPrefix("Pid:") {
            if let pid = Int32(line.dropFirst(4).trimmingCharacters(in: " \t")) {
                if pid <= 0 { throw .notAllowed("the calling process exited before it could be identified") }
                return pid
            }
        }
        throw .failed("could not read the pid of a pidfd from \(path)")
    }

    /// True while the process behind `pidfd` is alive.
    static func isAlive(_ pidfd: UnixFD) -> Bool {
        pidfd.withRawDescriptor { burrow_pidfd_send_signal($0, 0, 0) } == 0
    }

    /// Reads `/.flatpak-info` of process `pid` through an fd of its root.
    static func inspect(pid: Int32) throws(PortalError) -> Finding {
        // O_PATH of the magic link opens the process's root directory itself;
        // later lookups are relative to it, so they stay inside that tree.
        let root = open("/proc/\(pid)/root", burrow_o_path | O_DIRECTORY | O_CLOEXEC)
        guard root >= 0 else {
            let e = burrow_errno()
            if e == ENOENT || e == ESRCH {
                throw .notAllowed("the calling process (pid \(pid)) exited before it could be identified")
            }
            // EACCES (another user, a FUSE root) and the rest: we cannot tell
            // what the caller is, so it is refused rather than called host.
            throw .notAllowed("cannot inspect the calling process (pid \(pid)): \(String(cString: strerror(e)))")
        }
        defer { close(root) }
        let fd = openat(root, ".flatpak-info", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        guard fd >= 0 else {
            let e = burrow_errno()
            if e == ENOENT { return .noSandboxInfo }
            // ELOOP (a symlink), EACCES, …: something is there that is not a
            // plain readable file. Never treat that as "host".
            throw .notAllowed("cannot read /.flatpak-info of pid \(pid): \(String(cString: strerror(e)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw .notAllowed("/.flatpak-info of pid \(pid) is not a regular file")
        }
        // Safe because only a read-only bind (bwrap --ro-bind-data) proves the
        // file was put there by the launcher: on a writable mount the app
        // could have written its own identity.
        var vfs = statvfs()
        guard fstatvfs(fd, &vfs) == 0 else {
            throw .failed("fstatvfs on /.flatpak-info of pid \(pid): \(String(cString: strerror(burrow_errno())))")
        }
        guard vfs.f_flag & UInt(ST_RDONLY) != 0 else {
            throw .notAllowed("/.flatpak-info of pid \(pid) is on a writable mount; refusing to trust it")
        }
        guard st.st_size <= maxInfoSize else {
            throw .notAllowed("/.flatpak-info of pid \(pid) is larger than \(maxInfoSize) bytes")
        }
        return .sandboxInfo(try readAll(fd, what: "/.flatpak-info of pid \(pid)"))
    }

    /// The user unit (`app-….scope`) of a host process, if it has one.
    static func userUnit(of pid: Int32) -> String? {
        var unit: UnsafeMutablePointer<CChar>?
        guard burrow_sd_pid_get_user_unit(pid, &unit) >= 0, let unit else { return nil }
        defer { free(unit) }
        return String(cString: unit)
    }

    static func readSmallFile(_ path: String) throws(PortalError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .failed("cannot open \(path): \(String(cString: strerror(burrow_errno())))") }
        defer { close(fd) }
        return String(decoding: try readAll(fd, what: path), as: UTF8.self)
    }

    private static func readAll(_ fd: Int32, what: String) throws(PortalError) -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if burrow_errno() == EINTR { continue }
                throw .failed("reading \(what): \(String(cString: strerror(burrow_errno())))")
            }
            if n == 0 { return result }
            result += buffer[0..<n]
            guard result.count <= maxInfoSize else { throw .notAllowed("\(what) is larger than \(maxInfoSize) bytes") }
        }
    }
}

