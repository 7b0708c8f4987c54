import Foundation
import PortalCommon
import Testing
import TestSupport

/// Unmodified GLib clients inside `burrow run` (the host's gdbus and gio,
/// reached with --filesystem=host-os) reach burrow-desktop-portal through
/// the sandbox's D-Bus proxy, exactly as they reach upstream's portal.
@Suite("Unmodified clients in a burrow sandbox")
struct UnmodifiedClientTests {
    static let libraries = "/run/host/usr/lib/x86_64-linux-gnu"

    /// `program` from the host's /usr, run inside the demo app's sandbox
    /// (with `flags` for `burrow run`).
    static func hostTool(_ program: String, _ arguments: [String], flags: [String] = [],
                         environment: [String: String]) async throws -> BurrowRun {
        try await RunCommandTests.runAsNobody(["run", "--filesystem=host-os"] + flags + ["--command=\(libraries)/ld-linux-x86-64.so.2",
                                               "org.example.Hello", "--library-path", libraries, "/run/host/usr/bin/\(program)"]
                                              + arguments, environment: environment)
    }

    @Test func gdbusAndGioOpenReachTheDesktopPortal() async throws {
        guard FileManager.default.fileExists(atPath: "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2") else {
            Issue.record("this test needs the x86_64 host loader for gdbus and gio")
            return
        }
        let (scratch, baseEnvironment) = try await RunCommandTests.prepare()
        defer { withExtendedLifetime(scratch) {} }
        let bus = try PrivateBus(allowAllUsers: true)
        defer { bus.stop() }
        // A host handler for burrowtest: URIs that records what it was given.
        let tree = scratch.root.path + "/desktop"
        for directory in ["data/applications", "portals", "files", "config"] {
            try FileManager.default.createDirectory(atPath: "\(tree)/\(directory)", withIntermediateDirectories: true)
        }
        try "#!/bin/sh\nprintf '%s' \"$1\" > \(tree)/files/opened\n".write(toFile: "\(tree)/files/record.sh", atomically: false, encoding: .utf8)
        chmod("\(tree)/files/record.sh", 0o755)
        try """
            [Desktop Entry]
            Type=Application
            Name=Recorder
            Exec=\(tree)/files/record.sh %u
            MimeType=x-scheme-handler/burrowtest;

            """.write(toFile: "\(tree)/data/applications/org.burrow.Recorder.desktop", atomically: false, encoding: .utf8)
        try "[MIME Cache]\nx-scheme-handler/burrowtest=org.burrow.Recorder.desktop;\n"
            .write(toFile: "\(tree)/data/applications/mimeinfo.cache", atomically: false, encoding: .utf8)
        #expect(try await runProgram("/bin/chown", ["-R", "65534:65534", tree]).status == 0)

        var environment = baseEnvironment
        environment["DBUS_SESSION_BUS_ADDRESS"] = bus.address
        var portalEnvironment = environment
        portalEnvironment["XDG_DATA_DIRS"] = "\(tree)/data:/usr/share"
        portalEnvironment["XDG_CONFIG_HOME"] = "\(tree)/config"
        portalEnvironment["XDG_DESKTOP_PORTAL_DIR"] = "\(tree)/portals"
        let command = Nobody.command(try BuiltProducts.path("burrow-desktop-portal"))
        let portal = try ChildProcess(command[0], Array(command.dropFirst()), environment: portalEnvironment)
        defer { portal.stop() }
        let probe = try await BusConnection.connect(.address(bus.address))
        defer { probe.close() }
        for _ in 0..<1000 where try await !probe.nameHasOwner("org.freedesktop.portal.Desktop") {
            try await Task.sleep(for: .milliseconds(5))
        }

        let version = try await Self.hostTool("gdbus", [
            "call", "--session", "--dest", "org.freedesktop.portal.Desktop", "--object-path", "/org/freedesktop/portal/desktop",
            "--method", "org.freedesktop.DBus.Properties.Get", "org.freedesktop.portal.FileChooser", "version",
        ], environment: environment)
        #expect(version.status == 0, "\(version)")
        #expect(version.stdout == "(<uint32 4>,)\n")

        // gio sees /.flatpak-info, so GLib sends the URI to the OpenURI
        // portal, which starts the handler on the host.
        let open = try await Self.hostTool("gio", ["open", "burrowtest:from-the-sandbox"], environment: environment)
        #expect(open.status == 0, "\(open)")
        var opened: String?
        for _ in 0..<1000 where opened == nil {
            opened = try? String(contentsOfFile: "\(tree)/files/opened", encoding: .utf8)
            if opened == nil { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(opened == "burrowtest:from-the-sandbox")
    }
}
