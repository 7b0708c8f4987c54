import Foundation
import PortalCommon
import TestSupport

/// `burrow-desktop-portal` running as nobody on a private bus, with every
/// directory it reads in one temporary tree owned by nobody:
///
/// - `portals/` — `XDG_DESKTOP_PORTAL_DIR` (unless `portalDirectory` is false)
/// - `data/` — `XDG_DATA_DIRS` (desktop files in `data/applications`)
/// - `home/` — `HOME`, `XDG_DATA_HOME` = `home/.local/share`
/// - `config/` — `XDG_CONFIG_DIRS` (lockdown file: `config/burrow/desktop-portal.conf`)
/// - `files/` — test files and what handlers write
///
/// The daemon identifies callers through /proc, which nobody cannot do for
/// root's processes, so callers connect through `BridgedConnection`.
final class DesktopDaemon: @unchecked Sendable {
    static let name: BusName = "org.freedesktop.portal.Desktop"
    static let path: ObjectPath = "/org/freedesktop/portal/desktop"

    let bus: PrivateBus
    let root: URL
    let client: BusConnection
    private let process: ChildProcess

    var portalsDirectory: String { root.appendingPathComponent("portals").path }
    var dataDirectory: String { root.appendingPathComponent("data").path }
    var configDirectory: String { root.appendingPathComponent("config").path }
    var filesDirectory: String { root.appendingPathComponent("files").path }
    var homeDirectory: String { root.appendingPathComponent("home").path }
    var logPath: String { root.appendingPathComponent("daemon.log").path }
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// `files` are written (relative to the tree) before the daemon starts,
    /// e.g. `["portals/burrow.portal": …]`; `@ROOT@` in their contents and
    /// in `environment` values stands for the tree's path. With `bus`, the daemon joins that
    /// bus (a DocumentDaemon's); otherwise it gets one of its own.
    init(bus: PrivateBus? = nil, files: [String: String] = ["portals/burrow.portal": DesktopDaemon.burrowPortal],
         portalDirectory: Bool = true, environment extra: [String: String] = [:]) async throws {
        let bus = try bus.map { $0 } ?? PrivateBus(allowAllUsers: true)
        self.bus = bus
        root = try TemporaryDirectory.make(prefix: "burrow-desktop")
        do {
            for directory in ["portals", "data/applications", "home/.local/share", "config/burrow", "files", "run"] {
                try FileManager.default.createDirectory(at: root.appendingPathComponent(directory), withIntermediateDirectories: true)
            }
            for (relative, contents) in files {
                let url = root.appendingPathComponent(relative)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try contents.replacing("@ROOT@", with: root.path).write(to: url, atomically: false, encoding: .utf8)
            }
            try Self.giveToNobody(root)
            chmod(root.appendingPathComponent("run").path, 0o700)
            var environment = [
                "PATH": "/usr/bin:/bin",
                "HOME": root.appendingPathComponent("home").path,
                "XDG_DATA_HOME": root.appendingPathComponent("home/.local/share").path,
                "XDG_CONFIG_HOME": root.appendingPathComponent("home/.config").path,
                "XDG_DATA_DIRS": root.appendingPathComponent("data").path,
                "XDG_CONFIG_DIRS": root.appendingPathComponent("config").path,
                "XDG_RUNTIME_DIR": root.appendingPathComponent("run").path,
                "DBUS_SESSION_BUS_ADDRESS": bus.address,
                "DAEMON_LOG": root.appendingPathComponent("daemon.log").path,
                "LC_ALL": "C",
            ]
            if portalDirectory { environment["XDG_DESKTOP_PORTAL_DIR"] = root.appendingPathComponent("portals").path }
            for (key, value) in extra { environment[key] = value.replacing("@ROOT@", with: root.path) }
            let command = Nobody.command("/bin/sh", ["-c", "exec \"$0\" -v \"$@\" 2>>\"$DAEMON_LOG\"",
                                                     try BuiltProducts.path("burrow-desktop-portal")])
            process = try ChildProcess(command[0], Array(command.dropFirst()), environment: environment)
            client = try await BridgedConnection.host(bus)
        } catch {
            try? FileManager.default.removeItem(at: root)
            throw error
        }
        try await waitForOwner()
    }

    static let burrowPortal = """
        [portal]
        DBusName=org.freedesktop.impl.portal.desktop.burrow
        Interfaces=org.freedesktop.impl.portal.FileChooser;org.freedesktop.impl.portal.AppChooser;org.freedesktop.impl.portal.Access;org.freedesktop.impl.portal.Print;
        UseIn=burrow

        """

    private static func giveToNobody(_ url: URL) throws {
        guard let walker = FileManager.default.enumerator(atPath: url.path) else { return }
        let paths = [url.path] + walker.compactMap { ($0 as? String).map { url.path + "/" + $0 } }
        for path in paths {
            guard chown(path, Nobody.uid, Nobody.uid) == 0 else { throw TestFailure("cannot chown \(path)") }
        }
        chmod(url.path, 0o755)
    }

    func waitForOwner() async throws {
        for _ in 0..<2000 {
            if try await client.nameHasOwner(Self.name) { return }
            if process.poll() != nil { throw TestFailure("the desktop portal exited during start-up:\n\(log)") }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw TestFailure("the desktop portal did not take its name within 10 s:\n\(log)")
    }

    /// A file in `files/` owned by nobody.
    @discardableResult
    func makeFile(_ name: String, contents: String = "", mode: mode_t = 0o644) throws -> String {
        let path = filesDirectory + "/" + name
        guard FileManager.default.createFile(atPath: path, contents: Data(contents.utf8)) else { throw TestFailure("cannot create \(path)") }
        guard chown(path, Nobody.uid, Nobody.uid) == 0, chmod(path, mode) == 0 else { throw TestFailure("cannot chown \(path)") }
        return path
    }

    func open(_ path: String, _ flags: Int32) throws -> UnixFD {
        let fd = Glibc.open(path, flags | O_CLOEXEC)
        guard fd >= 0 else { throw TestFailure("cannot open \(path): \(String(cString: strerror(errno)))") }
        return UnixFD(takingOwnershipOf: fd)
    }

    /// A sandboxed app's connection: real bwrap, read-only /.flatpak-info.
    func connectSandboxedApp(_ appID: String) async throws -> BusConnection {
        try await BridgedConnection.sandboxedApp(appID, bus: bus, directory: root)
    }

    func stop() {
        client.close()
        process.stop()
        try? FileManager.default.removeItem(at: root)
    }

    deinit { stop() }
}
