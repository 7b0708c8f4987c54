import Foundation
import PortalCommon
import Testing
import TestSupport

/// `burrow permission*` run as a process against burrow-permission-store
/// and Debian's xdg-permission-store on a private session bus. Expected
/// output is what flatpak 1.14 prints for the same store contents.
@Suite("burrow permission commands")
struct PermissionCommandTests {
    static let data = DBusValue.dictionary(key: .string, value: .variant, [.init(.string("a"), .variant(.int32(1)))])

    /// A store holding: devices/camera (two apps, data), devices/speakers
    /// (no apps), notifications/notification (one app, no data), and a
    /// table no well-known list names, which only the store's files reveal.
    static func seed(_ store: StoreDaemon) async throws {
        let client = store.permissions
        try await client.setPermission(table: "devices", create: true, id: "camera", app: "org.b.App",
                                       permissions: ["no", "ask"])
        try await client.setPermission(table: "devices", create: true, id: "camera", app: "org.a.App", permissions: ["yes"])
        try await client.setValue(table: "devices", create: false, id: "camera", data: data)
        try await client.setValue(table: "devices", create: true, id: "speakers", data: .string("left"))
        try await client.setPermission(table: "notifications", create: true, id: "notification", app: "org.a.App",
                                       permissions: ["yes"])
        try await client.setPermission(table: "zz-custom", create: true, id: "thing", app: "org.c.App", permissions: ["1"])
    }

    @Test(arguments: StoreDaemon.Kind.allCases)
    func permissionsListsEveryTableOrOneTableOrOneEntry(kind: StoreDaemon.Kind) async throws {
        let store = try await StoreDaemon(kind)
        defer { store.stop() }

        let empty = try await burrow(["permissions"], store: store)
        #expect(empty.status == 0 && empty.stdout.isEmpty && empty.stderr.isEmpty, "\(empty)")

        try await Self.seed(store)
        let all = try await burrow(["permissions"], store: store)
        #expect(all.status == 0 && all.stderr.isEmpty, "\(all)")
        #expect(all.lines == [
            row("devices", "camera", "org.a.App", "yes", "{'a': <1>}"),
            row("devices", "camera", "org.b.App", "no,ask", "{'a': <1>}"),
            row("devices", "speakers", "", "", "'left'"),
            row("notifications", "notification", "org.a.App", "yes", "0x00"),
            row("zz-custom", "thing", "org.c.App", "1", "0x00"),
        ])

        let table = try await burrow(["permissions", "notifications"], store: store)
        #expect(table.status == 0 && table.lines == [row("notifications", "notification", "org.a.App", "yes", "0x00")])

        let entry = try await burrow(["permissions", "devices", "speakers"], store: store)
        #expect(entry.status == 0 && entry.lines == [row("devices", "speakers", "", "", "'left'")], "\(entry)")

        let unknownTable = try await burrow(["permissions", "never-written"], store: store)
        #expect(unknownTable.status == 0 && unknownTable.stdout.isEmpty, "an unknown table is empty, as in flatpak")
    }

    @Test(arguments: StoreDaemon.Kind.allCases)
    func permissionShowListsOneAppAcrossTables(kind: StoreDaemon.Kind) async throws {
        let store = try await StoreDaemon(kind)
        defer { store.stop() }
        try await Self.seed(store)

        let shown = try await burrow(["permission-show", "org.a.App"], store: store)
        #expect(shown.status == 0 && shown.stderr.isEmpty, "\(shown)")
        #expect(shown.lines == [
            row("devices", "camera", "org.a.App", "yes", "{'a': <1>}"),
            row("notifications", "notification", "org.a.App", "yes", "0x00"),
        ])
        let nobody = try await burrow(["permission-show", "org.nobody.App"], store: store)
        #expect(nobody.status == 0 && nobody.stdout.isEmpty)
    }

    @Test(arguments: StoreDaemon.Kind.allCases)
    func permissionSetFiresChangedAndIsVisibleToLookup(kind: StoreDaemon.Kind) async throws {
        let store = try await StoreDaemon(kind)
        defer { store.stop() }
        let changes = try await store.permissions.changes(table: "devices")

        let set = try await burrow(["permission-set", "--data={'remember': <true>}", "devices", "camera",
                                    "org.a.App", "yes", "ask"], store: store)
        #expect(set.status == 0 && set.stdout.isEmpty && set.stderr.isEmpty, "\(set)")

        // SetPermission, then SetValue: two signals, as flatpak sends them.
        let remember = DBusValue.dictionary(key: .string, value: .variant,
                                            [.init(.string("remember"), .variant(.bool(true)))])
        let received = try await first(2, of: changes)
        #expect(received.map(\.permissions) == [["org.a.App": ["yes", "ask"]], ["org.a.App": ["yes", "ask"]]])
        #expect(received.last?.data == remember)
        #expect(try await store.permissions.lookup(table: "devices", id: "camera")
                == .init(permissions: ["org.a.App": ["yes", "ask"]], data: remember))

        // Another app is left alone; no PERMISSION removes the app, not the entry.
        _ = try await burrow(["permission-set", "devices", "camera", "org.b.App", "no"], store: store)
        let cleared = try await burrow(["permission-set", "devices", "camera", "org.a.App"], store: store)
        #expect(cleared.status == 0, "\(cleared)")
        #expect(try await store.permissions.lookup(table: "devices", id: "camera")
                == .init(permissions: ["org.b.App": ["no"]], data: remember))
    }

    @Test(arguments: StoreDaemon.Kind.allCases)
    func permissionRemoveDeletesAnEntryOrOneApp(kind: StoreDaemon.Kind) async throws {
        let store = try await StoreDaemon(kind)
        defer { store.stop() }
        try await Self.seed(store)

        let oneApp = try await burrow(["permission-remove", "devices", "camera", "org.b.App"], store: store)
        #expect(oneApp.status == 0 && oneApp.stderr.isEmpty, "\(oneApp)")
        #expect(try await store.permissions.lookup(table: "devices", id: "camera")
                == .init(permissions: ["org.a.App": ["yes"]], data: Self.data))

        // An app that holds nothing there is not an error (flatpak: exit 0).
        let absentApp = try await burrow(["permission-remove", "devices", "camera", "org.x.App"], store: store)
        #expect(absentApp.status == 0, "\(absentApp)")

        let entry = try await burrow(["permission-remove", "devices", "camera"], store: store)
        #expect(entry.status == 0, "\(entry)")
        #expect(try await store.permissions.lookup(table: "devices", id: "camera") == nil)
        #expect(try await store.permissions.list(table: "devices") == ["speakers"])
    }

    @Test(arguments: StoreDaemon.Kind.allCases)
    func permissionResetRemovesOneAppOrEveryApp(kind: StoreDaemon.Kind) async throws {
        let store = try await StoreDaemon(kind)
        defer { store.stop() }
        try await Self.seed(store)

        let one = try await burrow(["permission-reset", "org.a.App"], store: store)
        #expect(one.status == 0 && one.stderr.isEmpty, "\(one)")
        let afterOne = try await burrow(["permissions"], store: store)
        #expect(afterOne.lines == [
            row("devices", "camera", "org.b.App", "no,ask", "{'a': <1>}"),
            row("devices", "speakers", "", "", "'left'"),
            row("notifications", "notification", "", "", "0x00"),
            row("zz-custom", "thing", "org.c.App", "1", "0x00"),
        ])

        let all = try await burrow(["permission-reset", "--all"], store: store)
        #expect(all.status == 0 && all.stderr.isEmpty, "\(all)")
        // Entries and their data stay; only permissions go (flatpak 1.14 alike).
        let afterAll = try await burrow(["permissions"], store: store)
        #expect(afterAll.lines == [
            row("devices", "camera", "", "", "{'a': <1>}"),
            row("devices", "speakers", "", "", "'left'"),
            row("notifications", "notification", "", "", "0x00"),
            row("zz-custom", "thing", "", "", "0x00"),
        ])
    }

    @Test func aTerminalGetsATitleAndAlignedColumns() async throws {
        let store = try await StoreDaemon(.burrow)
        defer { store.stop() }
        try await Self.seed(store)
        // script(1) gives burrow a pseudo-terminal as stdout.
        let command = "\(try BuiltProducts.path("burrow")) permissions devices"
        let result = try await runProgram("/usr/bin/script", ["-qec", command, "/dev/null"],
                                          environment: store.clientEnvironment)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.replacingOccurrences(of: "\r\n", with: "\n") == """
            \u{1B}[1mTable   Object   App       Permissions Data\u{1B}[22m
            devices camera   org.a.App yes         {'a': <1>}
            devices camera   org.b.App no,ask      {'a': <1>}
            devices speakers                       'left'

            """)
    }

    @Test func controlCharactersInFieldsAreEscaped() async throws {
        // Ids and app ids come from apps; one with a newline must not forge
        // a row, one with an escape sequence must not reach the terminal.
        let store = try await StoreDaemon(.burrow)
        defer { store.stop() }
        try await store.permissions.setPermission(table: "documents", create: true, id: "doc\nfake\trow",
                                                  app: "org.\u{1B}[2J.App", permissions: ["read\r"])
        let listed = try await burrow(["permissions", "documents"], store: store)
        #expect(listed.lines == [row("documents", "doc\\nfake\\trow", "org.\\x1b[2J.App", "read\\r", "0x00")], "\(listed)")
    }
}
