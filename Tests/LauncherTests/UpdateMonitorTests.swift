import Foundation
import PortalCommon
import Testing
import TestSupport

/// The Flatpak portal's UpdateMonitor: a new commit published to the app's
/// remote is announced, and Update installs it (or refuses it when the new
/// version asks for more).
@Suite("Flatpak portal: UpdateMonitor")
struct UpdateMonitorTests {
    /// The portal (as nobody) updates nobody's installation: hand the
    /// scratch installation to nobody, and record consent in a permission
    /// store on the same bus.
    static func fixture() async throws -> (FlatpakPortalFixture, ChildProcess) {
        let portal = try await FlatpakPortalFixture(arguments: ["--poll-interval", "1"])
        let chown = try await runProgram("/bin/chown", ["-R", "65534:65534", portal.scratch.root.path + "/user"])
        #expect(chown.status == 0, "\(chown.stderr)")
        var environment = portal.environment
        environment["DBUS_SESSION_BUS_ADDRESS"] = portal.bus.address
        environment["BURROW_PERMISSION_DB"] = portal.scratch.root.path + "/nobody-home/permissions.sqlite"
        let command = Nobody.command(try BuiltProducts.path("burrow-permission-store"))
        let store = try ChildProcess(command[0], Array(command.dropFirst()), environment: environment)
        return (portal, store)
    }

    static func createMonitor(_ portal: FlatpakPortalFixture) async throws -> ObjectPath {
        let reply = try await portal.app.call(FlatpakPortalFixture.name, FlatpakPortalFixture.path, FlatpakPortalFixture.interface,
                                              "CreateUpdateMonitor", [["handle_token": Variant(.string("watch"))].dbusValue])
        guard case .objectPath(let path)? = reply.first else { throw TestFailure("CreateUpdateMonitor answered \(reply)") }
        return path
    }

    /// Re-exports the demo app with a changed script (and `metadata` if given).
    static func publishNewVersion(_ portal: FlatpakPortalFixture, metadataLine: String? = nil) async throws -> String {
        let app = portal.scratch.root.path + "/app"
        try "#!/bin/sh\necho version 2\n".write(toFile: app + "/files/bin/hello", atomically: false, encoding: .utf8)
        chmod(app + "/files/bin/hello", 0o755)
        if let metadataLine {
            let metadata = try String(contentsOfFile: app + "/metadata", encoding: .utf8)
            try (metadata + metadataLine + "\n").write(toFile: app + "/metadata", atomically: false, encoding: .utf8)
        }
        let export = try await portal.scratch.run("build-export", portal.scratch.repository, app, "stable")
        #expect(export.status == 0, "\(export)")
        return try String(contentsOfFile: portal.scratch.repository + "/refs/heads/app/org.example.Hello/\(InstallCommandTests.arch)/stable",
                          encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func newCommitIsAnnouncedAndUpdateInstallsIt() async throws {
        let (portal, store) = try await Self.fixture()
        defer { store.stop() }
        let host = try await BridgedConnection.host(portal.bus)
        defer { host.close() }
        for _ in 0..<1000 where try await !host.nameHasOwner("org.freedesktop.impl.portal.PermissionStore") {
            try await Task.sleep(for: .milliseconds(5))
        }
        _ = try await host.call("org.freedesktop.impl.portal.PermissionStore", "/org/freedesktop/impl/portal/PermissionStore",
                                "org.freedesktop.impl.portal.PermissionStore", "SetPermission",
                                [.string("flatpak"), .bool(true), .string("updates"), .string("org.example.Hello"),
                                 .array(element: .string, [.string("yes")])])
        let monitor = try await Self.createMonitor(portal)
        #expect(monitor.rawValue.hasSuffix("/watch"))
        let newCommit = try await Self.publishNewVersion(portal)

        let available = try await portal.waitForSignal("UpdateAvailable", timeout: .seconds(20))
        let info = try [String: Variant](dbusValue: available.arguments[0])
        #expect(info["remote-commit"]?.value == .string(newCommit))
        #expect(info["running-commit"]?.value != .string(newCommit))

        _ = try await portal.app.call(FlatpakPortalFixture.name, monitor, "org.freedesktop.portal.Flatpak.UpdateMonitor",
                                      "Update", [.string(""), [String: Variant]().dbusValue])
        let done = try await portal.waitForSignal("Progress", timeout: .seconds(60)) { message in
            guard let values = try? [String: Variant](dbusValue: message.arguments[0]) else { return false }
            return values["status"]?.value == .uint32(2) || values["status"]?.value == .uint32(3)
        }
        let final = try [String: Variant](dbusValue: done.arguments[0])
        #expect(final["status"]?.value == .uint32(2), "\(final)")
        let run = try await portal.burrow("run", "org.example.Hello")
        #expect(run.stdout == "version 2\n", "the next run uses the new commit: \(run)")
    }

    @Test func updateAskingForMorePermissionsIsRefused() async throws {
        let (portal, store) = try await Self.fixture()
        defer { store.stop() }
        let monitor = try await Self.createMonitor(portal)
        _ = try await Self.publishNewVersion(portal, metadataLine: "devices=all;")
        _ = try await portal.waitForSignal("UpdateAvailable", timeout: .seconds(20))
        _ = try await portal.app.call(FlatpakPortalFixture.name, monitor, "org.freedesktop.portal.Flatpak.UpdateMonitor",
                                      "Update", [.string(""), [String: Variant]().dbusValue])
        let failed = try await portal.waitForSignal("Progress", timeout: .seconds(30))
        let values = try [String: Variant](dbusValue: failed.arguments[0])
        #expect(values["status"]?.value == .uint32(3))
        #expect(values["error"]?.value == .string("org.freedesktop.DBus.Error.NotSupported"))
        let run = try await portal.burrow("run", "org.example.Hello")
        #expect(!run.stdout.contains("version 2"), "nothing was installed")
    }
}
