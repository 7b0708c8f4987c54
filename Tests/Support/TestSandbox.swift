import Foundation
import PortalCommon

/// Runs a host program inside a real bubblewrap sandbox, as an unprivileged
/// user, with the private bus bound at `/run/bus` and, optionally, a
/// `/.flatpak-info` — the shape of a burrow/Flatpak sandbox, reduced to what
/// identity checks look at.
public enum TestSandbox {
    public enum InfoMount: Sendable {
        /// No `/.flatpak-info`: looks like a host process in a container.
        case none
        /// Bound read-only, as Flatpak and burrow do.
        case readOnly(String)
        /// Bound writable: an app could rewrite its own identity. Must be refused.
        case writable(String)
    }

    /// The unprivileged uid sandboxes run as.
    public static let uid = Nobody.uid

    /// The bus address inside the sandbox.
    public static let busAddress = "unix:path=/run/bus/bus"

    /// bwrap's options for the sandbox's file system and bus, without the
    /// info mount: /usr, /proc, /dev, a private /tmp and the bus at /run/bus.
    public static func baseArguments(bus: PrivateBus) -> [String] {
        [
            "--unshare-all", "--die-with-parent", "--new-session",
            "--ro-bind", "/usr", "/usr",
            "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
            "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
            "--bind", bus.directory.path, "/run/bus",
            "--setenv", "DBUS_SESSION_BUS_ADDRESS", busAddress,
        ]
    }

    /// `extraArguments` are more bwrap options (e.g. binds), placed before
    /// the program.
    public static func run(
        _ program: String, _ arguments: [String], bus: PrivateBus, info: InfoMount, extraArguments: [String] = []
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        let scratch = try TemporaryDirectory.make(prefix: "burrow-sandbox")
        defer { try? FileManager.default.removeItem(at: scratch) }
        chmod(scratch.path, 0o755)
        var bwrap = baseArguments(bus: bus) + extraArguments
        var fileToPass: String?
        switch info {
        case .none:
            break
        case .readOnly(let text):
            // Exactly as the launcher does it: the file reaches bwrap as an fd
            // (opened by the shell as root, fd 9) and becomes a read-only
            // file of its own with --ro-bind-data.
            let file = scratch.appendingPathComponent("flatpak-info")
            try AtomicFile.write(text, to: file.path)
            fileToPass = file.path
            bwrap += ["--ro-bind-data", "9", "/.flatpak-info"]
        case .writable(let text):
            let file = scratch.appendingPathComponent("flatpak-info")
            try AtomicFile.write(text, to: file.path)
            chmod(file.path, 0o666)
            bwrap += ["--bind", file.path, "/.flatpak-info"]
        }
        let command = Nobody.command("/usr/bin/bwrap", bwrap + [program] + arguments)
        if let fileToPass {
            return try await runProgram("/bin/sh", ["-c", "exec 9<\"$0\" && exec \"$@\"", fileToPass] + command)
        }
        return try await runProgram(command[0], Array(command.dropFirst()))
    }
}
