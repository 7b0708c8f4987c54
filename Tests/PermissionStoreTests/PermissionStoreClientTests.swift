import Foundation
import PortalCommon
import Testing
import TestSupport

/// PermissionStoreClient against both stores: whatever a portal does
/// through it must mean the same with burrow's daemon and upstream's.
@Suite("PermissionStoreClient")
struct PermissionStoreClientTests {
    static let dictionaryData = DBusValue.dictionary(key: .string, value: .variant, [
        .init(.string("n"), .variant(.int32(1))),
        .init(.string("label"), .variant(.string("Camera"))),
    ])

    @Test(arguments: StoreDaemon.Kind.allCases)
    func everyMethodRoundTrips(kind: StoreDaemon.Kind) async throws {
        let store = try await StoreDaemon(kind)
        defer { store.stop() }
        let client = PermissionStoreClient(connection: store.client)

        #expect(try await client.lookup(table: "devices", id: "camera") == nil, "missing entry is nil")

        // An entry created by SetPermission has no data: both answer byte 0.
        try await client.setPermission(table: "devices", create: true, id: "camera", app: "org.a.App", permissions: ["yes"])
        #expect(try await client.lookup(table: "devices", id: "camera")
                == .init(permissions: ["org.a.App": ["yes"]], data: .byte(0)))

        try await client.setValue(table: "devices", create: false, id: "camera", data: Self.dictionaryData)
        try await client.setPermission(table: "devices", create: false, id: "camera", app: "org.b.App",
                                       permissions: ["no", "ask", "no"])
        #expect(try await client.lookup(table: "devices", id: "camera")
                == .init(permissions: ["org.a.App": ["yes"], "org.b.App": ["no", "ask", "no"]], data: Self.dictionaryData))
        #expect(try await client.getPermission(table: "devices", id: "camera", app: "org.b.App") == ["no", "ask", "no"])
        #expect(try await client.getPermission(table: "devices", id: "camera", app: "org.never.Seen") == [])

        // Set replaces the whole entry.
        try await client.set(table: "devices", create: true, id: "mic",
                             permissions: ["org.c.App": ["yes"]], data: .string("x"))
        try await client.set(table: "devices", create: false, id: "mic",
                             permissions: ["org.d.App": ["no"]], data: .uint64(9))
        #expect(try await client.lookup(table: "devices", id: "mic")
                == .init(permissions: ["org.d.App": ["no"]], data: .uint64(9)))
        #expect(try await client.list(table: "devices").sorted() == ["camera", "mic"])
        #expect(try await client.list(table: "never-written") == [])

        try await client.deletePermission(table: "devices", id: "camera", app: "org.a.App")
        try await client.deletePermission(table: "devices", id: "camera", app: "org.not.There")
        #expect(try await client.lookup(table: "devices", id: "camera")?.permissions == ["org.b.App": ["no", "ask", "no"]])

        try await client.delete(table: "devices", id: "camera")
        #expect(try await client.lookup(table: "devices", id: "camera") == nil)
        #expect(try await client.list(table: "devices") == ["mic"])
    }

    @Test(arguments: StoreDaemon.Kind.allCases)
    func missingEntriesAreNotFoundWhereTheInterfaceSaysSo(kind: StoreDaemon.Kind) async throws {
        let store = try await StoreDaemon(kind)
        defer { store.stop() }
        let client = PermissionStoreClient(connection: store.client)
        let notFound = PortalError.notFound("").name
        typealias Attempt = @Sendable () async throws(PortalError) -> Void
        let attempts: [(String, Attempt)] = [
            ("setPermission", { () async throws(PortalError) in
                try await client.setPermission(table: "t", create: false, id: "x", app: "a", permissions: ["y"]) }),
            ("setValue", { () async throws(PortalError) in
                try await client.setValue(table: "t", create: false, id: "x", data: .bool(true)) }),
            ("set", { () async throws(PortalError) in
                try await client.set(table: "t", create: false, id: "x", permissions: [:], data: .bool(true)) }),
            ("delete", { () async throws(PortalError) in
                try await client.delete(table: "t", id: "x") }),
            ("deletePermission", { () async throws(PortalError) in
                try await client.deletePermission(table: "t", id: "x", app: "a") }),
            ("getPermission", { () async throws(PortalError) in
                _ = try await client.getPermission(table: "t", id: "x", app: "a") }),
        ]
        for (method, attempt) in attempts {
            do {
                try await attempt()
                Issue.record("\(method) on a missing entry succeeded")
            } catch {
                #expect(error.name == notFound, "\(method): \(error)")
            }
        }
    }

    @Test func errorsOtherThanNotFoundAreThrownNotHidden() async throws {
        let store = try await StoreDaemon(.burrow)
        defer { store.stop() }
        let client = PermissionStoreClient(connection: store.client)
        await #expect(throws: PortalError.invalidArgument(
            "Invalid permission table name \"../x\": it must not contain \"/\". "
            + "Use a short name such as \"notifications\" or \"devices\".")) {
            try await client.lookup(table: "../x", id: "camera")
        }
    }

    @Test(arguments: StoreDaemon.Kind.allCases)
    func changesOfOneTableArriveInOrder(kind: StoreDaemon.Kind) async throws {
        let store = try await StoreDaemon(kind)
        defer { store.stop() }
        let client = PermissionStoreClient(connection: store.client)
        let changes = try await client.changes(table: "devices")

        // A second client makes the changes, as another portal or the CLI would.
        let writerConnection = try await BusConnection.connect(.address(store.bus.address))
        defer { writerConnection.close() }
        let writer = PermissionStoreClient(connection: writerConnection)
        try await writer.setPermission(table: "devices", create: true, id: "camera", app: "org.a.App", permissions: ["yes"])
        try await writer.setPermission(table: "location", create: true, id: "location",
                                       app: "org.a.App", permissions: ["EXACT"])
        try await writer.setValue(table: "devices", create: false, id: "camera", data: Self.dictionaryData)
        try await writer.delete(table: "devices", id: "camera")

        let received = try await first(3, of: changes)
        #expect(received == [
            .init(table: "devices", id: "camera", deleted: false, data: .byte(0), permissions: ["org.a.App": ["yes"]]),
            .init(table: "devices", id: "camera", deleted: false, data: Self.dictionaryData,
                  permissions: ["org.a.App": ["yes"]]),
            // A deletion carries the old data and no permissions.
            .init(table: "devices", id: "camera", deleted: true, data: Self.dictionaryData, permissions: [:]),
        ])
    }

    /// A peer other than the store cannot feed a portal false changes, even
    /// when the portal's connection receives its signal through some other,
    /// broader subscription.
    @Test func changedSignalsFromOtherPeersAreDropped() async throws {
        let store = try await StoreDaemon(.burrow)
        defer { store.stop() }
        let client = PermissionStoreClient(connection: store.client)
        let changes = try await client.changes(table: "devices")
        let everything = try await store.client.addMatch("type='signal'") { _ in }
        defer { everything.cancel() }

        let forger = try await BusConnection.connect(.address(store.bus.address))
        defer { forger.close() }
        forger.emitSignal(path: StoreDaemon.path, interface: StoreDaemon.interface, member: "Changed", [
            .string("devices"), .string("camera"), .bool(false), .variant(.byte(0)),
            ["org.evil.App": ["yes"]].dbusValue,
        ])
        // A round trip after the emit: the bus has routed the forged signal
        // before the real change below is even made.
        _ = try await forger.nameHasOwner(StoreDaemon.name)
        try await client.setPermission(table: "devices", create: true, id: "camera", app: "org.a.App", permissions: ["no"])

        let received = try await first(1, of: changes)
        #expect(received.map(\.permissions) == [["org.a.App": ["no"]]])
    }

    @Test func aStoreStartedAfterSubscribingIsHeard() async throws {
        // Subscribing before the store owns its name (D-Bus activation
        // starts it on the first call): its NameOwnerChanged makes it the
        // trusted sender.
        let bus = try PrivateBus()  // stopped with the store
        let connection = try await BusConnection.connect(.address(bus.address))
        defer { connection.close() }
        let client = PermissionStoreClient(connection: connection)
        let changes = try await client.changes(table: "devices")

        let store = try await StoreDaemon(.burrow, bus: bus)
        defer { store.stop() }
        try await client.setPermission(table: "devices", create: true, id: "camera", app: "org.a.App", permissions: ["yes"])
        let received = try await first(1, of: changes)
        #expect(received.first?.id == "camera")
    }
}
