internal import CGLib
internal import CLinux
import Dispatch
import Glibc
import PortalCommon

/// Starts a handler on the host from its desktop file's `Exec` line.
///
/// GIO's own launchers are not used: they open a GDBus connection to the
/// session bus (to announce launches, and to D-Bus-activate some apps),
/// and burrow speaks D-Bus only through sd-bus. The Exec line is split with
/// GLib's shell-quoting rules, as GIO does, and its field codes are expanded
/// per argument — a URI always becomes exactly one argument, so no URI can
/// inject options or a shell command.
struct HandlerLauncher: Sendable {
    /// argv for `entry` opening `uri` (`path` is the local path of a file URI).
    static func arguments(for entry: DesktopEntry, uri: String, path: String?) throws(PortalError) -> [String] {
        var argc: Int32 = 0
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<gchar>?>?
        var error: UnsafeMutablePointer<GError>?
        guard g_shell_parse_argv(entry.exec, &argc, &argv, &error) != 0, let argv else {
            let message = error.map { String(cString: $0.pointee.message) } ?? "unparsable"
            g_clear_error(&error)
            throw .failed("\(entry.path): cannot parse Exec \(entry.exec.debugDescription): \(message)")
        }
        defer { g_strfreev(argv) }
        let words = (0..<Int(argc)).compactMap { argv[$0].map { String(cString: $0) } }
        let file = path ?? uri
        var result: [String] = []
        for word in words {
            switch word {
            case "%f", "%F": result.append(file)
            case "%u", "%U": result.append(uri)
            case "%i": if let icon = entry.icon { result += ["--icon", icon] }
            default: result.append(expandInline(word, entry: entry, file: file, uri: uri))
            }
        }
        guard let program = result.first, !program.isEmpty else {
            throw .failed("\(entry.path): Exec is empty")
        }
        return entry.terminal ? try inTerminal(result, entry: entry) : result
    }

    /// Terminal emulators, as GIO looks for them (xdg-terminal-exec, then
    /// Debian's x-terminal-emulator alternative, then known ones), each with
    /// the option after which it takes the command as separate arguments.
    static let terminals: [(name: String, option: String?)] = [
        ("xdg-terminal-exec", nil), ("x-terminal-emulator", "-e"), ("kgx", "-e"), ("gnome-terminal", "--"),
        ("mate-terminal", "-x"), ("xfce4-terminal", "-x"), ("tilix", "-e"), ("konsole", "-e"), ("xterm", "-e"),
    ]

    /// `Terminal=true`: the handler's argv after the first terminal found on
    /// PATH. Passed as argv, never as one shell string, so the URI stays one
    /// argument inside the terminal too.
    static func inTerminal(_ command: [String], entry: DesktopEntry,
                           path: String = ProcessEnvironment.current["PATH"] ?? "/usr/bin:/bin") throws(PortalError) -> [String] {
        let directories = path.split(separator: ":").map(String.init)
        for (name, option) in terminals {
            for directory in directories where access(directory + "/" + name, X_OK) == 0 {
                return [directory + "/" + name] + (option.map { [$0] } ?? []) + command
            }
        }
        throw .failed("""
            \(entry.id) runs in a terminal (Terminal=true in \(entry.path)) and no terminal emulator is installed: \
            install one (xterm, or any that provides x-terminal-emulator)
            """)
    }

    /// Field codes inside a word (`--file=%f`); deprecated and unknown codes vanish.
    private static func expandInline(_ word: String, entry: DesktopEntry, file: String, uri: String) -> String {
        var out = ""
        var iterator = word.makeIterator()
        while let character = iterator.next() {
            guard character == "%" else { out.append(character); continue }
            switch iterator.next() {
            case "%": out.append("%")
            case "f", "F": out += file
            case "u", "U": out += uri
            case "c": out += entry.name
            case "k": out += entry.path
            default: break
            }
        }
        return out
    }

    /// Spawns `arguments` detached (own session, stdin from /dev/null) in
    /// the portal's environment plus `extraEnvironment`; the child is reaped
    /// on a dispatch thread so no zombie is left.
    static func spawn(_ arguments: [String], extraEnvironment: [String: String]) throws(PortalError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        // The handler gets none of the portal's descriptors (bus socket,
        // documents being exported), whatever their close-on-exec flag.
        burrow_spawn_addclosefrom(&actions, 3)

        var environment = ProcessEnvironment.current
        for (key, value) in extraEnvironment { environment[key] = value }
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        // Signals the portal ignores (SIGPIPE) must not stay ignored in the
        // app; a session of its own detaches it from the portal.
        let result = SpawnAttributes.withCleanSignals(flags: SpawnAttributes.newSession) {
            posix_spawnp(&pid, arguments[0], &actions, $0, argv, envp)
        }
        guard result == 0 else {
            throw .failed("cannot start \(arguments[0]): \(String(cString: strerror(result)))")
        }
        let child = pid
        DispatchQueue.global().async {
            var status: Int32 = 0
            while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        }
        return pid
    }
}
