import Foundation
import PortalCommon
import Testing
import TestSupport

/// The accessibility bus inside `burrow run`: the session's at-spi bus
/// through a proxy with Flatpak's fixed rules, at $XDG_RUNTIME_DIR/at-spi-bus.
@Suite("burrow run: the accessibility bus")
struct AccessibilityBusTests {
    static let registry: BusName = "org.a11y.atspi.Registry"

    /// A stand-in for at-spi's registry on a bus at nobody's
    /// $XDG_RUNTIME_DIR/at-spi/bus, answering who called.
    static func registry(runtimeDirectory: String) async throws -> (PrivateBus, BusConnection) {
        let directory = runtimeDirectory + "/at-spi"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        chown(directory, Nobody.uid, Nobody.uid)
        let bus = try PrivateBus(allowAllUsers: true, socketPath: directory + "/bus")
        // The launcher takes only a socket of its own user's.
        chown(directory + "/bus", Nobody.uid, Nobody.uid)
        let connection = try await BusConnection.connect(.address(bus.address))
        let answer: DBusMethod.Handler = .immediate { call in [.string(try call.identifiedCaller.description)] }
        try await connection.export(DBusInterface("org.a11y.atspi.Registry", access: .anyone, methods: [
            DBusMethod("GetRegisteredEvents", out: [.init("who", "s")], answer),
            DBusMethod("DeregisterEvent", out: [.init("who", "s")], answer),
        ]), at: "/org/a11y/atspi/registry")
        _ = try await connection.requestName(registry)
        return (bus, connection)
    }

    static func call(_ method: String, environment: [String: String]) async throws -> BurrowRun {
        try await UnmodifiedClientTests.hostTool("gdbus", [
            "call", "--address", "unix:path=/run/user/\(Nobody.uid)/at-spi-bus", "--dest", registry.rawValue,
            "--object-path", "/org/a11y/atspi/registry", "--method", "org.a11y.atspi.Registry.\(method)",
        ], environment: environment)
    }

    @Test func theRegistryIsReachableForWhatTheBridgeNeedsAndNothingElse() async throws {
        guard FileManager.default.fileExists(atPath: "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2") else {
            Issue.record("this test needs the x86_64 host loader for gdbus")
            return
        }
        let (scratch, environment) = try await RunCommandTests.prepare()
        defer { withExtendedLifetime(scratch) {} }
        let (bus, registry) = try await Self.registry(runtimeDirectory: environment["XDG_RUNTIME_DIR"]!)
        defer { registry.close(); bus.stop() }

        let allowed = try await Self.call("GetRegisteredEvents", environment: environment)
        #expect(allowed.status == 0, "\(allowed)")
        #expect(allowed.stdout.contains("sandboxed app org.example.Hello (instance "), "the proxy carries the app's identity: \(allowed)")

        let filtered = try await Self.call("DeregisterEvent", environment: environment)
        #expect(filtered.stderr.contains("org.freedesktop.DBus.Error.AccessDenied"), "not among the bridge's calls: \(filtered)")

        let address = try await RunCommandTests.runAsNobody(["run", "--command=sh", "org.example.Hello", "-c",
                                                             "echo $AT_SPI_BUS_ADDRESS; readlink /run/user/\(Nobody.uid)/at-spi-bus"],
                                                            environment: environment)
        #expect(address.stdout == "unix:path=/run/user/\(Nobody.uid)/at-spi-bus\n/run/flatpak/dbus-proxy/a11y-bus\n", "\(address)")
        let none = try await RunCommandTests.runAsNobody(["run", "--no-a11y-bus", "--command=sh", "org.example.Hello", "-c",
                                                          "echo \"[$AT_SPI_BUS_ADDRESS]\"; ls /run/user/\(Nobody.uid)/at-spi-bus 2>&1"],
                                                         environment: environment)
        #expect(none.stdout.hasPrefix("[]\n") && none.stdout.contains("No such file"), "\(none)")
    }
}
