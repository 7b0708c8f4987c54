import Foundation
import PortalCommon
import Testing
import TestSupport

/// xdg-desktop-portal's test variables, honoured only when a daemon was
/// started with --enable-test-hooks.
@Suite("Identity test hooks")
struct TestHookTests {
    static func hookEnvironment(_ metadata: String) -> [String: String] {
        [
            "XDG_DESKTOP_PORTAL_TEST_APP_INFO_KIND": "flatpak",
            "XDG_DESKTOP_PORTAL_TEST_FLATPAK_METADATA": metadata,
            "XDG_DESKTOP_PORTAL_TEST_HOST_APPID": "org.ignored.Host",
        ]
    }

    @Test func enabledHooksChooseTheCallersIdentity() async throws {
        let dir = try TemporaryDirectory.make(prefix: "burrow-hooks")
        defer { try? FileManager.default.removeItem(at: dir) }
        let metadata = dir.appendingPathComponent("flatpak-info").path
        try AtomicFile.write("[Application]\nname=org.burrow.Hooked\n[Instance]\ninstance-id=99\n", to: metadata)
        let options = IdentificationOptions.fromEnvironment(enableTestHooks: true, environment: Self.hookEnvironment(metadata))
        let service = try await TestService.start(identification: options)
        defer { service.stop() }
        let reply = try await service.call("WhoAmI")
        #expect(reply == [.string("sandboxed app org.burrow.Hooked (instance 99)"), .string("org.burrow.Hooked")])
    }

    @Test func hostKindReportsTheHostAppID() async throws {
        let environment = ["XDG_DESKTOP_PORTAL_TEST_APP_INFO_KIND": "host", "XDG_DESKTOP_PORTAL_TEST_HOST_APPID": "org.burrow.HostApp"]
        let service = try await TestService.start(identification: .fromEnvironment(enableTestHooks: true, environment: environment))
        defer { service.stop() }
        #expect(try await service.call("WhoAmI").last == .string("org.burrow.HostApp"))
    }

    @Test func hooksAreIgnoredUnlessEnabled() async throws {
        // Any session client can set activation environment variables, so
        // the variables alone must change nothing.
        let options = IdentificationOptions.fromEnvironment(enableTestHooks: false, environment: Self.hookEnvironment("/nonexistent"))
        #expect(options.testHooks == nil)
        let service = try await TestService.start(identification: options)
        defer { service.stop() }
        let reply = try await service.call("WhoAmI")
        #expect(reply.first?.stringValue?.hasPrefix("host") == true)
    }
}
