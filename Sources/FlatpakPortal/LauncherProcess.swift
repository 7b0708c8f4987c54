internal import CLinux
import Foundation
import Glibc
import PortalCommon

/// Starting `burrow run` for a Spawn call: its descriptors at exactly the
/// numbers the caller asked for, a fresh process group (so SpawnSignal and
/// WATCH_BUS reach the whole sandbox), default signal dispositions, and an
/// environment made by the portal, never by the app.
enum LauncherProcess {
    struct Started {
        let pid: pid_t
        let pidfd: Int32
        /// Read end of --instance-id-fd.
        let instanceID: Int32
    }

    /// The `burrow` executable: $BURROW_LAUNCHER, else next to this daemon
    /// (a build directory) or in ../bin (an installed prefix).
    static func executable(environment: [String: String]) -> String {
        if let path = environment["BURROW_LAUNCHER"], path.hasPrefix("/") { return path }
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for candidate in [directory.appendingPathComponent("burrow"), directory.appendingPathComponent("../bin/burrow")] {
            if access(candidate.path, X_OK) == 0 { return candidate.standardizedFileURL.path }
        }
        return "/usr/bin/burrow"
    }

    static func start(_ executable: String, arguments: (Int32) throws(PortalError) -> [String],
                      descriptors: [Int32: UnixFD], environment: [String: String]) throws(PortalError) -> Started {
        var pipe: [Int32] = [-1, -1]
        guard burrow_pipe2(&pipe, O_CLOEXEC) == 0 else { throw .failed("cannot create a pipe: \(String(cString: strerror(errno)))") }
        defer { close(pipe[1]) }
        // The instance-ID slot sits just above every requested descriptor;
        // burrow closes it before it places its own.
        let idSlot = max(2, descriptors.keys.max() ?? 2) + 1
        let argv = [executable] + (try arguments(idSlot))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // First every source out of the way, above every target, then into
        // place: a source already sitting on another's target survives.
        var staged: [(Int32, Int32)] = []
        defer { staged.forEach { close($0.1) } }
        var mapping = descriptors.mapValues { Optional($0) }
        for target in 0...2 where mapping[Int32(target)] == nil { mapping[Int32(target)] = .some(nil) }
        for (target, fd) in mapping {
            let raw: Int32
            if let fd {
                raw = fd.withRawDescriptor { fcntl($0, F_DUPFD_CLOEXEC, idSlot + 1) }
            } else {
                // Unset stdio reads and writes nothing, never the portal's own.
                let null = Glibc.open("/dev/null", O_RDWR | O_CLOEXEC)
                raw = null < 0 ? -1 : fcntl(null, F_DUPFD_CLOEXEC, idSlot + 1)
                if null >= 0 { close(null) }
            }
            guard raw >= 0 else { throw .failed("cannot prepare descriptor \(target): \(String(cString: strerror(errno)))") }
            staged.append((target, raw))
        }
        for (target, raw) in staged { posix_spawn_file_actions_adddup2(&actions, raw, target) }
        posix_spawn_file_actions_adddup2(&actions, pipe[1], idSlot)
        burrow_spawn_addclosefrom(&actions, idSlot + 1)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The daemon ignores SIGPIPE; ignored signals survive exec, and the
        // sandbox must start with every signal at its default.
        var defaults = sigset_t()
        sigfillset(&defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))

        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (cArguments + cEnvironment).forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, cArguments, cEnvironment)
        guard result == 0 else {
            close(pipe[0])
            throw .failed("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        let pidfd = burrow_pidfd_open(pid, 0)
        guard pidfd >= 0 else {
            close(pipe[0])
            throw .failed("cannot watch process \(pid): \(String(cString: strerror(errno)))")
        }
        return Started(pid: pid, pidfd: pidfd, instanceID: pipe[0])
    }

    /// What `burrow run` needs from the portal's own environment. The
    /// app's variables are not here: they reach the sandbox as --env only.
    static func environment(from portal: [String: String], clear: Bool, sessionBus: Bool) -> [String: String] {
        var kept = ["HOME", "USER", "LOGNAME", "PATH", "XDG_RUNTIME_DIR", "XDG_DATA_HOME", "XDG_CONFIG_HOME",
                    "XDG_CACHE_HOME", "XDG_DATA_DIRS", "BURROW_USER_DIR", "BURROW_SYSTEM_DIR", "BURROW_PERMISSION_DB",
                    "WAYLAND_DISPLAY", "DISPLAY", "XAUTHORITY", "PULSE_SERVER", "DBUS_SYSTEM_BUS_ADDRESS"]
        if sessionBus { kept.append("DBUS_SESSION_BUS_ADDRESS") }
        // CLEAR_ENV: not even the session's locale and terminal.
        if !clear { kept += ["LANG", "LANGUAGE", "LC_ALL", "TERM", "COLORTERM"] }
        return portal.filter { kept.contains($0.key) }
    }
}
