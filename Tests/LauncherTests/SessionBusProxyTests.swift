import Foundation
import PortalCommon
import Testing
import TestSupport

/// The session bus inside `burrow run`: xdg-dbus-proxy in its own bwrap,
/// Flatpak's default policy, and — what portals depend on — callers
/// identified as the sandboxed app through the proxy.
@Suite("burrow run: the session-bus proxy")
struct SessionBusProxyTests {
    static let probeName: BusName = "org.freedesktop.portal.BurrowProbe"
    static let otherName: BusName = "org.burrow.Other"

    /// A service on the private bus answering who called it.
    static func probe(on bus: PrivateBus, name: BusName) async throws -> BusConnection {
        let connection = try await BusConnection.connect(.address(bus.address))
        try await connection.export(DBusInterface("org.burrow.Probe", access: .anyone, methods: [
            DBusMethod("WhoAmI", out: [.init("who", "s")], .immediate { call in [.string(try call.identifiedCaller.description)] }),
        ]), at: "/org/burrow/Probe")
        _ = try await connection.requestName(name)
        return connection
    }

    /// gdbus from the host's /usr, reached in the sandbox via --filesystem=host-os.
    static func gdbusCall(_ name: BusName, bus: String = "--session", extraFlags: [String] = [], environment: [String: String]) async throws -> BurrowRun {
        try await UnmodifiedClientTests.hostTool("gdbus", [
            "call", bus, "--dest", name.rawValue, "--object-path", "/org/burrow/Probe", "--method", "org.burrow.Probe.WhoAmI",
        ], flags: extraFlags, environment: environment)
    }

    @Test func portalsSeeTheSandboxedAppAndOtherNamesAreFiltered() async throws {
        guard FileManager.default.fileExists(atPath: "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2") else {
            Issue.record("this test needs the x86_64 host loader for gdbus")
            return
        }
        let (scratch, baseEnvironment) = try await RunCommandTests.prepare()
        defer { withExtendedLifetime(scratch) {} }
        let bus = try PrivateBus(allowAllUsers: true)
        defer { bus.stop() }
        let portal = try await Self.probe(on: bus, name: Self.probeName)
        defer { portal.close() }
        let other = try await Self.probe(on: bus, name: Self.otherName)
        defer { other.close() }
        var environment = baseEnvironment
        environment["DBUS_SESSION_BUS_ADDRESS"] = bus.address

        let viaProxy = try await Self.gdbusCall(Self.probeName, environment: environment)
        #expect(viaProxy.status == 0, "\(viaProxy)")
        #expect(viaProxy.stdout.contains("sandboxed app org.example.Hello (instance "), "\(viaProxy)")

        let filtered = try await Self.gdbusCall(Self.otherName, environment: environment)
        #expect(filtered.status != 0)
        #expect(filtered.stderr.contains("ServiceUnknown"), "\(filtered)")

        let granted = try await Self.gdbusCall(Self.otherName, extraFlags: ["--talk-name=org.burrow.Other"], environment: environment)
        #expect(granted.status == 0, "\(granted)")
        #expect(granted.stdout.contains("sandboxed app org.example.Hello"))

        // No proxy outlives its sandbox.
        try await Task.sleep(for: .milliseconds(300))
        let proxies = try await runProgram("/usr/bin/pgrep", ["-f", "xdg-dbus-proxy --fd=4 \(bus.address)"])
        #expect(proxies.stdout.isEmpty, "proxy still running: \(proxies.stdout)")
    }

    @Test func systemBusOnlyThroughTheAppsOwnRules() async throws {
        let (scratch, baseEnvironment) = try await RunCommandTests.prepare()
        defer { withExtendedLifetime(scratch) {} }
        // A private bus standing in for the system bus.
        let system = try PrivateBus(allowAllUsers: true)
        defer { system.stop() }
        let service = try await Self.probe(on: system, name: "org.burrow.SystemProbe")
        defer { service.close() }
        var environment = baseEnvironment
        environment["DBUS_SYSTEM_BUS_ADDRESS"] = system.address
        environment.removeValue(forKey: "DBUS_SESSION_BUS_ADDRESS")

        let none = try await Self.gdbusCall("org.burrow.SystemProbe", bus: "--system", environment: environment)
        #expect(none.status != 0, "no [System Bus Policy], no system bus: \(none)")

        let granted = try await Self.gdbusCall("org.burrow.SystemProbe", bus: "--system",
                                               extraFlags: ["--system-talk-name=org.burrow.SystemProbe"], environment: environment)
        #expect(granted.status == 0, "\(granted)")
        #expect(granted.stdout.contains("sandboxed app org.example.Hello"), "the system-bus proxy carries the identity too")
    }

    /// The proxy may still be starting while bwrap builds the sandbox, so
    /// the sandbox gets the proxy's directory, not its socket: read-only,
    /// holding the socket alone, with /run/flatpak/bus a link into it.
    @Test func theProxysDirectoryIsReadOnlyAndHoldsOnlyTheSocket() async throws {
        let (scratch, baseEnvironment) = try await RunCommandTests.prepare()
        defer { withExtendedLifetime(scratch) {} }
        let bus = try PrivateBus(allowAllUsers: true)
        defer { bus.stop() }
        var environment = baseEnvironment
        environment["DBUS_SESSION_BUS_ADDRESS"] = bus.address
        let script = """
            ls -A /run/flatpak/dbus-proxy; readlink /run/flatpak/bus; test -S /run/flatpak/bus && echo socket
            touch /run/flatpak/dbus-proxy/planted 2>&1; rm -f /run/flatpak/dbus-proxy/bus 2>&1; ls -A /run/flatpak/dbus-proxy
            """
        let run = try await RunCommandTests.runAsNobody(["run", "--command=sh", "org.example.Hello", "-c", script], environment: environment)
        #expect(run.status == 0, "\(run)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "bus", "\(run.stdout)")
        #expect(lines.contains("/run/flatpak/dbus-proxy/bus"), "\(run.stdout)")
        #expect(lines.contains("socket"), "\(run.stdout)")
        #expect(lines.filter { $0.contains("Read-only file system") }.count == 2, "\(run.stdout)")
        #expect(lines.last == "bus", "nothing planted, nothing removed: \(run.stdout)")
    }
}
