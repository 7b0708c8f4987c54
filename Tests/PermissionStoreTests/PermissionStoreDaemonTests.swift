import Foundation
import PortalCommon
import Synchronization
import Testing
import TestSupport

/// burrow-permission-store as a process on a private bus, side by side with
/// Debian's xdg-permission-store where the behaviour must match.
@Suite("burrow-permission-store daemon")
struct PermissionStoreDaemonTests {
    static func perms(_ map: [String: [String]]) -> DBusValue {
        .dictionary(key: .string, value: .array(.string), map.keys.sorted().map { app in
            .init(.string(app), .array(element: .string, map[app]!.map(DBusValue.string)))
        })
    }
    static func strings(_ list: [String]) -> DBusValue { .array(element: .string, list.map(DBusValue.string)) }

    /// A session of calls touching every method, success and failure paths.
    static let script: [(String, [DBusValue])] = [
        ("SetPermission", [.string("devices"), .bool(true), .string("camera"), .string("org.a.App"), strings(["yes"])]),
        ("Lookup", [.string("devices"), .string("camera")]),
        ("SetValue", [.string("devices"), .bool(true), .string("camera"),
                      .variant(.dictionary(key: .string, value: .variant, [.init(.string("n"), .variant(.int32(1)))]))]),
        ("Lookup", [.string("devices"), .string("camera")]),
        ("Set", [.string("devices"), .bool(true), .string("mic"), perms(["org.a.App": ["no"], "org.b.App": ["yes", "ask"]]),
                 .variant(.string("blob"))]),
        ("Lookup", [.string("devices"), .string("mic")]),
        ("GetPermission", [.string("devices"), .string("mic"), .string("org.b.App")]),
        ("GetPermission", [.string("devices"), .string("mic"), .string("org.never.Seen")]),
        ("GetPermission", [.string("devices"), .string("nope"), .string("org.a.App")]),
        ("List", [.string("devices")]),
        ("DeletePermission", [.string("devices"), .string("mic"), .string("org.a.App")]),
        ("Lookup", [.string("devices"), .string("mic")]),
        ("DeletePermission", [.string("devices"), .string("nope"), .string("org.a.App")]),
        ("Delete", [.string("devices"), .string("camera")]),
        ("Lookup", [.string("devices"), .string("camera")]),
        ("Delete", [.string("devices"), .string("camera")]),
        ("SetPermission", [.string("devices"), .bool(false), .string("speaker"), .string("org.a.App"), strings(["yes"])]),
        ("Set", [.string("devices"), .bool(false), .string("speaker"), perms([:]), .variant(.byte(1))]),
        ("SetValue", [.string("devices"), .bool(false), .string("speaker"), .variant(.byte(1))]),
        ("List", [.string("never-written")]),
        ("List", [.string("devices")]),
        ("Lookup", [.string("devices")]),
    ]

    @Test func answersLikeXdgPermissionStore() async throws {
        let ours = try await StoreDaemon(.burrow)
        defer { ours.stop() }
        let theirs = try await StoreDaemon(.upstream)
        defer { theirs.stop() }

        let ourSignals = try await SignalRecorder(ours.client)
        let theirSignals = try await SignalRecorder(theirs.client)
        for (member, arguments) in Self.script {
            let mine = await ours.outcome(member, arguments)
            let reference = await theirs.outcome(member, arguments)
            #expect(mine == reference, "\(member)\(arguments)")
        }
        let version = [DBusValue.string(StoreDaemon.interface), .string("version")]
        let ourVersion = try await ours.client.call(StoreDaemon.name, StoreDaemon.path, "org.freedesktop.DBus.Properties", "Get", version)
        let theirVersion = try await theirs.client.call(StoreDaemon.name, StoreDaemon.path, "org.freedesktop.DBus.Properties", "Get", version)
        #expect(ourVersion == theirVersion)

        // A final round trip flushes both signal streams before comparing.
        _ = try await ours.call("List", [.string("devices")])
        _ = try await theirs.call("List", [.string("devices")])
        // Five calls in the script change something; failures emit nothing.
        let mine = try await ourSignals.wait(for: 5), reference = try await theirSignals.wait(for: 5)
        #expect(reference.count == 5)
        #expect(mine == reference)
    }

    @Test(arguments: [SIGTERM, SIGHUP, SIGINT])
    func writesSurviveStopAndRestart(signal: Int32) async throws {
        let store = try await StoreDaemon(.burrow)
        defer { store.stop() }
        _ = try await store.call("Set", [.string("t"), .bool(true), .string("id"), Self.perms(["org.a.App": ["yes"]]), .variant(.uint64(42))])
        store.process.signal(signal)
        #expect(store.process.wait(timeout: .seconds(10)) == 0, "signal \(signal) is a clean exit (status 0)")
        try await store.waitUntilNameIsFree()
        try await store.restart()
        let entry = try await store.call("Lookup", [.string("t"), .string("id")])
        #expect(entry == [Self.perms(["org.a.App": ["yes"]]), .variant(.uint64(42))])
    }

    @Test func sigkillLosesNoAcknowledgedWrite() async throws {
        let store = try await StoreDaemon(.burrow)
        defer { store.stop() }
        let acknowledged = Mutex<[Int]>([])
        let writer = Task {
            for i in 0... {
                do {
                    _ = try await store.call("SetPermission", [.string("grants"), .bool(true), .string("id\(i)"),
                                                               .string("org.a.App"), Self.strings(["yes"])])
                    acknowledged.withLock { $0.append(i) }
                } catch {
                    return
                }
            }
        }
        // Kill mid-stream, once a few hundred writes are in.
        while acknowledged.withLock({ $0.count }) < 300 { try await Task.sleep(for: .milliseconds(2)) }
        store.process.signal(SIGKILL)
        _ = await writer.value
        let committed = Set(acknowledged.withLock { $0 })
        try await store.waitUntilNameIsFree()
        try await store.restart()
        let listed = try await store.call("List", [.string("grants")])
        let ids = Set(listed.first?.arrayValues?.compactMap(\.stringValue) ?? [])
        let missing = committed.filter { !ids.contains("id\($0)") }
        #expect(missing.isEmpty, "acknowledged but lost after SIGKILL: \(missing.sorted().prefix(10))")
        let sample = try await store.call("GetPermission", [.string("grants"), .string("id\(committed.max()!)"), .string("org.a.App")])
        #expect(sample == [Self.strings(["yes"])])
    }

    @Test func startsByDBusActivationFromItsServiceFile() async throws {
        let bus = try PrivateBus()
        let data = try TemporaryDirectory.make(prefix: "burrow-store")
        defer { bus.stop(); try? FileManager.default.removeItem(at: data) }
        // The installed service file, with @libexecdir@ pointing at the build.
        let template = try String(contentsOfFile: BuiltProducts.repositoryRoot + "/data/dbus-1/services/\(StoreDaemon.name.rawValue).service.in", encoding: .utf8)
        let service = template.replacingOccurrences(of: "@libexecdir@", with: BuiltProducts.directory.path)
        try AtomicFile.write(service, to: (bus.servicesDirectory.appendingPathComponent("\(StoreDaemon.name.rawValue).service")).path)

        let client = try await BusConnection.connect(.address(bus.address))
        defer { client.close() }
        _ = try await client.call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "UpdateActivationEnvironment", [
            .dictionary(key: .string, value: .string, [.init(.string("BURROW_PERMISSION_DB"), .string(data.path + "/activated.sqlite"))]),
        ])
        #expect(try await !client.nameHasOwner(StoreDaemon.name))
        let reply = try await client.call(StoreDaemon.name, StoreDaemon.path, StoreDaemon.interface, "SetPermission",
                                          [.string("t"), .bool(true), .string("id"), .string("org.a.App"), Self.strings(["yes"])])
        #expect(reply.isEmpty)
        #expect(FileManager.default.fileExists(atPath: data.path + "/activated.sqlite"), "activated with the bus's environment")
        // The activated daemon is the bus's child; stop it through its name's owner.
        let owner = try await client.call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                          "GetConnectionUnixProcessID", [.string(StoreDaemon.name.rawValue)])
        if let pid = owner.first?.uint32Value { kill(pid_t(pid), SIGTERM) }
    }

    @Test func replaceTakesTheNameAndTheOldInstanceExitsCleanly() async throws {
        let store = try await StoreDaemon(.burrow)
        defer { store.stop() }
        let second = try store.launchAnother(["--replace"])
        defer { second.stop() }
        #expect(store.process.wait(timeout: .seconds(10)).map { $0 >> 8 } == 0, "the replaced instance exits 0")
        try await store.waitForOwner()
        _ = try await store.call("SetPermission", [.string("t"), .bool(true), .string("id"), .string("org.a.App"), Self.strings(["ok"])])
        #expect(second.poll() == nil, "the new instance serves")

        // Without --replace, a second instance refuses to start and says why.
        let third = try await runProgram(try BuiltProducts.path("burrow-permission-store"), [], environment: store.bus.environment)
        #expect(third.status == 1)
        #expect(third.stderr.contains("--replace"))
    }

    @Test func badInputIsAnsweredByNameAndNeverKillsTheDaemon() async throws {
        let store = try await StoreDaemon(.burrow)
        defer { store.stop() }
        let cases: [(String, [DBusValue], String)] = [
            ("Lookup", [.string("t")], "org.freedesktop.DBus.Error.InvalidArgs"),
            ("Lookup", [.uint32(1), .string("x")], "org.freedesktop.DBus.Error.InvalidArgs"),
            ("Lookup", [.string(""), .string("x")], "org.freedesktop.portal.Error.InvalidArgument"),
            ("Lookup", [.string("../../etc"), .string("x")], "org.freedesktop.portal.Error.InvalidArgument"),
            ("Lookup", [.string(String(repeating: "t", count: 100_000)), .string("x")], "org.freedesktop.portal.Error.InvalidArgument"),
            ("SetPermission", [.string("t"), .bool(true), .string(""), .string("org.a.App"), Self.strings(["x"])],
             "org.freedesktop.portal.Error.InvalidArgument"),
            ("SetValue", [.string("t"), .bool(true), .string("id"), .variant(.unixFD(UnixFD(takingOwnershipOf: dup(2))))],
             "org.freedesktop.portal.Error.InvalidArgument"),
            ("NoSuchMethod", [], "org.freedesktop.DBus.Error.UnknownMethod"),
        ]
        for (member, arguments, expected) in cases {
            let outcome = await store.outcome(member, arguments)
            #expect(outcome == .error(expected), "\(member)")
        }
        #expect(store.process.poll() == nil, "still running")
        #expect(await store.outcome("List", [.string("t")]) == .reply([Self.strings([])]))
    }
}

/// Collects Changed signals from one store, canonicalized for comparison.
final class SignalRecorder: Sendable {
    private final class Log: Sendable {
        let signals = Mutex<[[DBusValue]]>([])
    }
    private let log = Log()
    private let subscription: MatchSubscription

    init(_ connection: BusConnection) async throws {
        let log = self.log
        subscription = try await connection.addMatch(
            "type='signal',interface='\(StoreDaemon.interface)',member='Changed'"
        ) { signal in
            log.signals.withLock { $0.append(signal.arguments.map(Outcome.canonical)) }
        }
    }

    func wait(for count: Int) async throws -> [[DBusValue]] {
        for _ in 0..<500 where log.signals.withLock({ $0.count }) < count {
            try await Task.sleep(for: .milliseconds(10))
        }
        return log.signals.withLock { $0 }
    }

    deinit { subscription.cancel() }
}
