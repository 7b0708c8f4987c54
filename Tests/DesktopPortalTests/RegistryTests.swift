import Foundation
import PortalCommon
import Testing
import TestSupport

/// org.freedesktop.host.portal.Registry: host apps name themselves.
@Suite("Desktop portal: host Registry")
struct RegistryTests {
    static let app = "org.burrow.HostApp"

    static func daemon() async throws -> DesktopDaemon {
        try await DesktopDaemon(files: [
            "portals/burrow.portal": DesktopDaemon.burrowPortal,
            "data/applications/\(app).desktop": "[Desktop Entry]\nType=Application\nName=Host App\nExec=/bin/true\n",
        ])
    }

    @Test func aRegisteredHostAppIsKnownByItsIDAndRegistersOnce() async throws {
        let portal = try await Self.daemon()
        let backend = try await FakeBackend(bus: portal.bus)
        let host = try await BridgedConnection.host(portal.bus)
        defer { host.close() }
        _ = try await portal.call(Interface.registry, "Register", [.string(Self.app), [String: Variant]().dbusValue], as: host)
        _ = try await portal.request(Interface.fileChooser, "OpenFile", [.string(""), .string("t")], as: host)
        #expect(backend.calls.first?.appID == Self.app)
        let again = await #expect(throws: PortalError.self) {
            _ = try await portal.call(Interface.registry, "Register", [.string(Self.app), [String: Variant]().dbusValue], as: host)
        }
        #expect(again?.name == ErrorName.failed)
        // Another connection is still anonymous.
        _ = try await portal.request(Interface.fileChooser, "OpenFile", [.string(""), .string("t")])
        #expect(backend.calls.last?.appID == "")
    }

    @Test func badIDsUnknownAppsAndSandboxesAreRefused() async throws {
        let portal = try await Self.daemon()
        for (id, name) in [("not an id", ErrorName.invalidArgument), ("org.burrow.NotInstalled", ErrorName.notFound)] {
            let error = await #expect(throws: PortalError.self) {
                _ = try await portal.call(Interface.registry, "Register", [.string(id), [String: Variant]().dbusValue])
            }
            #expect(error?.name == name, "\(id)")
        }
        let sandbox = try await portal.connectSandboxedApp("org.burrow.Boxed")
        defer { sandbox.close() }
        let error = await #expect(throws: PortalError.self) {
            _ = try await portal.call(Interface.registry, "Register", [.string(Self.app), [String: Variant]().dbusValue], as: sandbox)
        }
        #expect(error?.name == ErrorName.notAllowed)
    }

    /// As upstream: Register names the app for the calls that follow, so it
    /// must come before any of them.
    @Test func registeringAfterOtherCallsIsRefused() async throws {
        let portal = try await Self.daemon()
        let backend = try await FakeBackend(bus: portal.bus)
        let host = try await BridgedConnection.host(portal.bus)
        defer { host.close() }
        _ = try await portal.request(Interface.fileChooser, "OpenFile", [.string(""), .string("t")], as: host)
        let late = await #expect(throws: PortalError.self) {
            _ = try await portal.call(Interface.registry, "Register", [.string(Self.app), [String: Variant]().dbusValue], as: host)
        }
        #expect(late?.name == ErrorName.failed)
        #expect(late?.message.contains("call Register first") == true, "\(String(describing: late))")
        #expect(backend.calls.map(\.appID) == [""])
    }
}
