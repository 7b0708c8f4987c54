import ArgumentParser
import Glibc
import LaunchCommands
import Runtime

/// `--user` (the default) or `--system`, as flatpak spells them.
struct InstallationOptions: ParsableArguments {
    @Flag(help: "Work on the per-user installation (default).")
    var user = false

    @Flag(help: "Work on the system-wide installation (root only for changes).")
    var system = false

    func validate() throws {
        if user && system { throw ValidationError("--user and --system cannot be combined") }
    }

    var installation: Installation { system ? .system() : .user() }

    /// Refuses changes to the system installation by non-root users up front,
    /// with a message, instead of a permission error halfway through a pull.
    func requireWritable() throws {
        if system && geteuid() != 0 {
            throw CLIError("changing the system installation needs root; use --user or run as root")
        }
    }
}
