import Foundation
import PortalCommon
import Testing
import TestSupport

/// Identity as the portals see it: a real bwrap sandbox, run as an
/// unprivileged user, calls over the bus; the service reads the caller's
/// `/.flatpak-info` through `/proc/PID/root`.
@Suite("Caller identity from real bubblewrap sandboxes")
struct SandboxIdentityTests {
    static func whoAmI(_ service: TestService, info: TestSandbox.InfoMount, method: String = "WhoAmI", _ arguments: [String] = []) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await TestSandbox.run("/usr/bin/gdbus", [
            "call", "--session", "--dest", TestService.name.rawValue, "--object-path", TestService.path.rawValue,
            "--method", "\(TestService.interface).\(method)",
        ] + arguments, bus: service.bus, info: info)
    }

    static func flatpakInfo(app: String, instance: String? = "2204339180", extra: String = "") -> String {
        var text = """
            [Application]
            name=\(app)
            runtime=runtime/org.burrow.Platform/x86_64/1

            """
        if let instance {
            text += """

                [Instance]
                instance-id=\(instance)
                arch=x86_64
                branch=master

                """
        }
        return text + extra
    }

    @Test func readOnlyFlatpakInfoNamesTheApp() async throws {
        let service = try await TestService.start(allowAllUsers: true)
        defer { service.stop() }
        let result = try await Self.whoAmI(service, info: .readOnly(Self.flatpakInfo(app: "org.burrow.Sandboxed")))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("sandboxed app org.burrow.Sandboxed (instance 2204339180)"))
        #expect(result.stdout.contains("'org.burrow.Sandboxed'"))
    }

    @Test func writableFlatpakInfoIsRefused() async throws {
        // An app that can rewrite /.flatpak-info could claim any identity.
        let service = try await TestService.start(allowAllUsers: true)
        defer { service.stop() }
        let result = try await Self.whoAmI(service, info: .writable(Self.flatpakInfo(app: "org.burrow.Sandboxed")))
        #expect(result.status != 0)
        #expect(result.stderr.contains("org.freedesktop.portal.Error.NotAllowed"))
        #expect(result.stderr.contains("writable mount"))
    }

    @Test(arguments: [
        ("[Application]\nname=../../etc\n[Instance]\ninstance-id=1\n", "cannot parse"),
        ("[Application]\nname=org.burrow.App\n", "instance-id"),
        ("not a keyfile at all\n", "cannot parse"),
    ])
    func unusableFlatpakInfoIsRefusedNotTreatedAsHost(info: String, reason: String) async throws {
        let service = try await TestService.start(allowAllUsers: true)
        defer { service.stop() }
        let result = try await Self.whoAmI(service, info: .readOnly(info))
        #expect(result.status != 0)
        #expect(result.stderr.contains("org.freedesktop.portal.Error.NotAllowed"))
        #expect(result.stderr.contains(reason), "\(result.stderr)")
    }

    @Test func sandboxWithoutFlatpakInfoIsAHostProcess() async throws {
        let service = try await TestService.start(allowAllUsers: true)
        defer { service.stop() }
        let result = try await Self.whoAmI(service, info: .none)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("host"))
    }

    @Test func hostOnlyInterfaceRefusesSandboxedApps() async throws {
        let service = try await TestService.start(access: .hostOnly, allowAllUsers: true)
        defer { service.stop() }
        let refused = try await Self.whoAmI(service, info: .readOnly(Self.flatpakInfo(app: "org.burrow.Sandboxed")), method: "Concat", ["a", "b"])
        #expect(refused.stderr.contains("org.freedesktop.portal.Error.NotAllowed"), "\(refused.stderr)")
        #expect(refused.stderr.contains("org.burrow.Sandboxed"))
    }

    @Test func talkPolicyOpensAnImplInterfaceToOneApp() async throws {
        let service = try await TestService.start(access: .hostOrTalk(TestService.name), allowAllUsers: true)
        defer { service.stop() }
        let withoutTalk = try await Self.whoAmI(service, info: .readOnly(Self.flatpakInfo(app: "org.burrow.Plain")), method: "Concat", ["a", "b"])
        #expect(withoutTalk.stderr.contains("org.freedesktop.portal.Error.NotAllowed"), "\(withoutTalk.stderr)")
        #expect(withoutTalk.stderr.contains("--talk-name=org.burrow.Test"))

        let policy = "\n[Session Bus Policy]\norg.burrow.Test=talk\n"
        let allowed = try await TestSandbox.run("/usr/bin/gdbus", [
            "call", "--session", "--dest", TestService.name.rawValue, "--object-path", TestService.path.rawValue,
            "--method", "\(TestService.interface).Concat", "a", "b",
        ], bus: service.bus, info: .readOnly(Self.flatpakInfo(app: "org.burrow.Talker", extra: policy)))
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(allowed.stdout.contains("('ab',)"))
    }

    @Test func callerThatLeftTheBusCannotBeIdentified() async throws {
        let service = try await TestService.start()
        defer { service.stop() }
        let transient = try await BusConnection.connect(.address(service.bus.address))
        let name = try BusName(transient.uniqueName)
        transient.close()
        // Wait until the bus has dropped it, then ask: identity must fail, not fall back to "host".
        for _ in 0..<500 where try await service.client.nameHasOwner(name) {
            try await Task.sleep(for: .milliseconds(10))
        }
        await #expect(throws: PortalError.self) {
            _ = try await service.server.identities.identify(name)
        }
    }
}
