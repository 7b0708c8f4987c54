import Foundation
import PortalCommon
import Testing
import TestSupport

/// Failures of `burrow permission*`: `error: MESSAGE` on stderr, status 1,
/// nothing on stdout, nothing written — never a Swift trace.
@Suite("burrow permission command errors")
struct PermissionCommandErrorTests {
    static func expectFailure(_ run: BurrowRun, _ message: String,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.status == 1, "\(run)", sourceLocation: sourceLocation)
        #expect(run.stdout.isEmpty, "\(run)", sourceLocation: sourceLocation)
        #expect(run.stderr.hasPrefix("error: \(message)"), "\(run)", sourceLocation: sourceLocation)
        #expect(!run.stderr.contains("Fatal error") && !run.stderr.contains("Stack dump"), sourceLocation: sourceLocation)
    }

    @Test(arguments: StoreDaemon.Kind.allCases)
    func anUnknownEntryIsNamed(kind: StoreDaemon.Kind) async throws {
        let store = try await StoreDaemon(kind)
        defer { store.stop() }
        try await store.permissions.setPermission(table: "devices", create: true, id: "camera",
                                                  app: "a", permissions: ["yes"])

        Self.expectFailure(try await burrow(["permissions", "devices", "nosuch"], store: store),
                           "No entry \"nosuch\" in table \"devices\".\n")
        // Remove answers with the store's own NotFound message.
        let remove = try await burrow(["permission-remove", "devices", "nosuch"], store: store)
        Self.expectFailure(remove, "")
        #expect(remove.stderr.contains("nosuch"), "\(remove)")
        let removeApp = try await burrow(["permission-remove", "devices", "nosuch", "a"], store: store)
        Self.expectFailure(removeApp, "")
        #expect(try await store.permissions.list(table: "devices") == ["camera"])
    }

    @Test func badDataTextIsRefusedBeforeAnythingIsWritten() async throws {
        let store = try await StoreDaemon(.burrow)
        defer { store.stop() }
        let changes = try await store.permissions.changes(table: "devices")
        let cases = [
            ("{'a': ", "Failed to parse '{'a': ' as GVariant: 6:expected value"),
            ("[]", "Failed to parse '[]' as GVariant: 0-2:unable to infer type"),
            ("just 1", "'just 1' is a GVariant of type 'mi', which D-Bus cannot carry"),
        ]
        for (text, message) in cases {
            let run = try await burrow(["permission-set", "--data=\(text)", "devices", "camera", "org.a.App", "yes"],
                                       store: store)
            Self.expectFailure(run, message)
        }
        #expect(try await store.permissions.list(table: "devices") == [])
        // The control write's signal is the first one: the failures sent none.
        try await store.permissions.setPermission(table: "devices", create: true, id: "probe", app: "a", permissions: [])
        #expect(try await first(1, of: changes).map(\.id) == ["probe"])
    }

    @Test func usageErrorsSayWhereHelpIs() async throws {
        let store = try await StoreDaemon(.burrow)
        defer { store.stop() }
        let cases: [([String], String)] = [
            (["permission-set", "devices", "camera"],
             "Missing expected argument '<APP_ID>'\n\nSee 'burrow permission-set --help'."),
            (["permissions", "a", "b", "c"], "Unexpected argument 'c'\n\nSee 'burrow permissions --help'."),
            (["permission-reset"], "Give APP_ID, or --all to reset the permissions of every app.\n\n"),
            (["permission-reset", "--all", "org.a.App"], "Give APP_ID or --all, not both."),
            (["permission-show"], "Missing expected argument '<APP_ID>'"),
            (["no-such-command"], "Unexpected argument 'no-such-command'\n\nSee 'burrow --help'."),
        ]
        for (arguments, message) in cases {
            Self.expectFailure(try await burrow(arguments, store: store), message)
        }
        let help = try await burrow(["permission-set", "--help"], store: store)
        #expect(help.status == 0 && help.stdout.contains("USAGE: burrow permission-set") && help.stderr.isEmpty)
    }

    @Test func noStoreOnTheBusIsReportedNotHung() async throws {
        let bus = try PrivateBus()
        defer { bus.stop() }
        var environment = bus.environment
        environment["BURROW_PERMISSION_DB"] = bus.directory.appendingPathComponent("absent.sqlite").path
        let run = try await burrow(["permissions", "devices"], environment: environment)
        Self.expectFailure(run, "The name org.freedesktop.impl.portal.PermissionStore was not provided")
        // Listing every table reads the (absent) database first; still no file appears.
        Self.expectFailure(try await burrow(["permissions"], environment: environment), "The name ")
        #expect(!FileManager.default.fileExists(atPath: environment["BURROW_PERMISSION_DB"]!))

        environment["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=" + bus.directory.appendingPathComponent("nobody").path
        Self.expectFailure(try await burrow(["permissions"], environment: environment),
                           "could not connect to the session bus")
    }
}
