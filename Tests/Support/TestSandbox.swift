import Foundation

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

    /// The unprivileged uid sandboxes run as (nobody).
    public static let uid: UInt32 = 65534

    public static func run(
        _ program: String, _ arguments: [String], bus: PrivateBus, info: InfoMount
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        let scratch = try TemporaryDirectory.make(prefix: "burrow-sandbox")
        defer { try? FileManager.default.removeItem(at: scratch) }
        chmod(scratch.path, 0o755)
        var bwrap = [
            "--unshare-all", "--die-with-parent", "--new-session",
            "--ro-bind", "/usr", "/usr",
            "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
            "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
            "--bind", bus.directory.path, "/run/bus",
            "--setenv", "DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/bus/bus",
        ]
        switch info {
        case .none:
            break
        case .readOnly(let text), .writable(let text):
            let file = scratch.appendingPathComponent("flatpak-info")
            try text.write(to: file, atomically: false, encoding: .utf8)
            chmod(file.path, 0o644)
            if case .writable = info { chmod(file.path, 0o666) }
            let flag = if case .writable = info { "--bind" } else { "--ro-bind" }
            bwrap += [flag, file.path, "/.flatpak-info"]
        }
        return try await runProgram("/usr/bin/setpriv", [
            "--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "--inh-caps=-all",
            "/usr/bin/bwrap",
        ] + bwrap + [program] + arguments)
    }
}
