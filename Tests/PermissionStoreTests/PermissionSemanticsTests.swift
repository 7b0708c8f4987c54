import PermissionData
import PortalCommon
import Testing

// Each test names the upstream behaviour it pins down. "upstream" is
// flatpak/xdg-desktop-portal: document-portal/xdg-permission-store.c (the
// D-Bus handlers), document-portal/permission-db.c (the entry model) and
// tests/test_permission_store.py (upstream's own D-Bus tests).

/// A store in a fresh directory, dropped (and closed) when `body` returns.
func withStore<Result>(_ body: (PermissionDatabase) throws -> Result) throws -> Result {
    try withTemporaryDirectory { directory in
        try body(PermissionDatabase(path: directory + "/permissions.sqlite"))
    }
}

@Suite("Permission store semantics")
struct PermissionSemanticsTests {
    // handle_lookup: any table name opens (a missing file is an empty table),
    // a missing id is NotFound "No entry for %s"; test_lookup starts this way.
    @Test func lookupOfUnknownEntryIsNotFound() throws {
        try withStore { store in
            expectPortalError(ErrorName.notFound, containing: ["\"test-resource\"", "\"TEST\""]) {
                try store.lookup(table: "TEST", id: "test-resource")
            }
            _ = try store.setPermission(table: "TEST", create: true, id: "other", app: "a", permissions: ["x"])
            expectPortalError(ErrorName.notFound) { try store.lookup(table: "TEST", id: "test-resource") }
        }
    }

    // test_lookup: Set then Lookup returns the permissions and the data.
    // g_variant_new_strv keeps order and duplicates of each list.
    @Test func setThenLookupReturnsWhatWasStored() throws {
        try withStore { store in
            let permissions = ["org.example.App": ["write", "read", "read"], "org.other.App": ["yes"]]
            _ = try store.set(table: "TEST", create: true, id: "test-resource", permissions: permissions,
                              data: [0x62, 0x00, 0x01])
            let entry = try store.lookup(table: "TEST", id: "test-resource")
            #expect(entry.permissions == permissions)
            #expect(entry.data == [0x62, 0x00, 0x01])
            #expect(entry.apps == ["org.example.App", "org.other.App"])
        }
    }

    // handle_set: old_entry == NULL && !create → NotFound "Id %s not found",
    // returned before ensure_writeout, so no table file appears either.
    @Test func setWithoutCreateOnMissingEntryIsNotFoundAndWritesNothing() throws {
        try withStore { store in
            expectPortalError(ErrorName.notFound, containing: ["create"]) {
                try store.set(table: "TEST", create: false, id: "x", permissions: ["a": ["yes"]], data: [1])
            }
            let entries = try store.list(table: "TEST"), tables = try store.tables()
            #expect(entries.isEmpty)
            #expect(tables.isEmpty)
        }
    }

    // handle_set builds a new entry (permission_db_entry_new (data)) and adds
    // the given apps: apps not named are gone, the data is replaced. With
    // create=false on an existing entry it replaces too.
    @Test func setReplacesTheWholeEntry() throws {
        try withStore { store in
            _ = try store.set(table: "t", create: true, id: "id", permissions: ["a": ["1"], "b": ["2"]], data: [1])
            let change = try store.set(table: "t", create: false, id: "id", permissions: ["c": ["3"]], data: [2])
            let entry = try store.lookup(table: "t", id: "id")
            #expect(entry == PermissionEntry(permissions: ["c": ["3"]], data: [2]))
            #expect(change == PermissionChange(table: "t", id: "id", deleted: false, data: [2],
                                               permissions: ["c": ["3"]]))
        }
    }

    // permission_db_entry_list_apps skips apps whose list is empty, so Set
    // with `{a: []}` shows no `a` in Lookup or Changed, yet the entry exists.
    @Test func setLeavesOutAppsWithEmptyListsButKeepsTheEntry() throws {
        try withStore { store in
            let change = try store.set(table: "t", create: true, id: "id", permissions: ["a": [], "b": ["x"]],
                                       data: nil)
            #expect(change.permissions == ["b": ["x"]])
            _ = try store.set(table: "t", create: false, id: "id", permissions: [:], data: [7])
            #expect(try store.lookup(table: "t", id: "id") == PermissionEntry(permissions: [:], data: [7]))
            #expect(try store.list(table: "t") == ["id"])
        }
    }

    // handle_set_value: missing + create → entry with the data and no apps
    // (test_set_value: Lookup gives {} and the data); existing → only the
    // data changes (permission_db_entry_modify_data); missing + !create →
    // NotFound.
    @Test func setValueCreatesOrReplacesOnlyTheData() throws {
        try withStore { store in
            expectPortalError(ErrorName.notFound) { try store.setValue(table: "t", create: false, id: "id", data: [1]) }
            _ = try store.setValue(table: "t", create: true, id: "id", data: [1])
            #expect(try store.lookup(table: "t", id: "id") == PermissionEntry(permissions: [:], data: [1]))

            _ = try store.setPermission(table: "t", create: false, id: "id", app: "a", permissions: ["yes"])
            let change = try store.setValue(table: "t", create: false, id: "id", data: [2, 3])
            #expect(change == PermissionChange(table: "t", id: "id", deleted: false, data: [2, 3],
                                               permissions: ["a": ["yes"]]))
            #expect(try store.lookup(table: "t", id: "id").permissions == ["a": ["yes"]])
        }
    }

    // test_create: SetPermission with create=false on a missing id is
    // NotFound; with create=true it succeeds — for app "" (the id x-d-p
    // stores for an unidentified host app).
    @Test func setPermissionHonoursCreate() throws {
        try withStore { store in
            expectPortalError(ErrorName.notFound) {
                try store.setPermission(table: "inhibit", create: false, id: "inhibit", app: "",
                                        permissions: ["logout", "suspend"])
            }
            #expect(try store.list(table: "inhibit").isEmpty)
            _ = try store.setPermission(table: "inhibit", create: true, id: "inhibit", app: "",
                                        permissions: ["logout", "suspend"])
            #expect(try store.getPermission(table: "inhibit", id: "inhibit", app: "") == ["logout", "suspend"])
        }
    }

    // handle_set_permission: a created entry has permission_db_entry_new (NULL)
    // data (<byte 0>, our nil); permission_db_entry_set_app_permissions
    // replaces one app's list and keeps the data and the other apps.
    @Test func setPermissionChangesOneAppOnly() throws {
        try withStore { store in
            let created = try store.setPermission(table: "t", create: true, id: "id", app: "a", permissions: ["1"])
            #expect(created == PermissionChange(table: "t", id: "id", deleted: false, data: nil,
                                                permissions: ["a": ["1"]]))
            _ = try store.setValue(table: "t", create: false, id: "id", data: [9])
            _ = try store.setPermission(table: "t", create: false, id: "id", app: "b", permissions: ["2"])
            let change = try store.setPermission(table: "t", create: false, id: "id", app: "a",
                                                 permissions: ["3", "4"])
            #expect(change.permissions == ["a": ["3", "4"], "b": ["2"]])
            #expect(try store.lookup(table: "t", id: "id") == PermissionEntry(
                permissions: ["a": ["3", "4"], "b": ["2"]], data: [9]))
        }
    }

    // An empty list hides the app (list_apps skips it) but the entry stays,
    // even when SetPermission just created it for that empty list.
    @Test func setPermissionWithEmptyListRemovesTheAppNotTheEntry() throws {
        try withStore { store in
            _ = try store.set(table: "t", create: true, id: "id", permissions: ["a": ["1"], "b": ["2"]], data: [1])
            let change = try store.setPermission(table: "t", create: false, id: "id", app: "a", permissions: [])
            #expect(change.permissions == ["b": ["2"]])
            #expect(try store.getPermission(table: "t", id: "id", app: "a") == [])

            _ = try store.setPermission(table: "t", create: true, id: "fresh", app: "a", permissions: [])
            #expect(try store.lookup(table: "t", id: "fresh") == PermissionEntry())
        }
    }

    // handle_delete: missing → NotFound "No entry for %s"; otherwise the
    // entry goes and emit_deleted sends deleted=TRUE, the old data and an
    // empty a{sas}. test_delete: Lookup afterwards is NotFound.
    @Test func deleteRemovesTheEntryAndReportsItsOldData() throws {
        try withStore { store in
            expectPortalError(ErrorName.notFound) { try store.delete(table: "inhibit", id: "inhibit") }
            _ = try store.set(table: "inhibit", create: true, id: "inhibit", permissions: ["": ["logout"]], data: [5])
            let change = try store.delete(table: "inhibit", id: "inhibit")
            #expect(change == PermissionChange(table: "inhibit", id: "inhibit", deleted: true, data: [5],
                                               permissions: [:]))
            expectPortalError(ErrorName.notFound) { try store.lookup(table: "inhibit", id: "inhibit") }
            expectPortalError(ErrorName.notFound) { try store.delete(table: "inhibit", id: "inhibit") }
            // A new entry under the same id starts empty: nothing survives.
            _ = try store.setValue(table: "inhibit", create: true, id: "inhibit", data: [6])
            #expect(try store.lookup(table: "inhibit", id: "inhibit").permissions.isEmpty)
        }
    }

    // handle_delete_permission: missing entry → NotFound; an absent app is
    // no error and Changed is still emitted (remove_permissions just copies
    // the others); removing the last app keeps the entry (test_delete_race
    // ends with Lookup == {} rather than NotFound).
    @Test func deletePermissionRemovesOneAppAndKeepsTheEntry() throws {
        try withStore { store in
            expectPortalError(ErrorName.notFound) { try store.deletePermission(table: "t", id: "id", app: "a") }
            _ = try store.set(table: "t", create: true, id: "id", permissions: ["a": ["1"], "b": ["2"]], data: [3])

            let absent = try store.deletePermission(table: "t", id: "id", app: "nobody")
            #expect(absent == PermissionChange(table: "t", id: "id", deleted: false, data: [3],
                                               permissions: ["a": ["1"], "b": ["2"]]))
            #expect(try store.deletePermission(table: "t", id: "id", app: "a").permissions == ["b": ["2"]])
            let last = try store.deletePermission(table: "t", id: "id", app: "b")
            #expect(last == PermissionChange(table: "t", id: "id", deleted: false, data: [3], permissions: [:]))
            #expect(try store.lookup(table: "t", id: "id") == PermissionEntry(permissions: [:], data: [3]))
        }
    }

    // handle_get_permission: missing entry → NotFound; an app not in the
    // entry → [] (test_get_permission: "no-such-app" gives []).
    @Test func getPermissionAnswersEmptyForUnknownApp() throws {
        try withStore { store in
            expectPortalError(ErrorName.notFound) {
                try store.getPermission(table: "notifications", id: "notification", app: "a")
            }
            _ = try store.setPermission(table: "notifications", create: true, id: "notification", app: "a",
                                        permissions: ["yes"])
            #expect(try store.getPermission(table: "notifications", id: "notification", app: "a") == ["yes"])
            #expect(try store.getPermission(table: "notifications", id: "notification", app: "no-such-app") == [])
        }
    }

    // handle_list → permission_db_list_ids: every id, with or without
    // apps; an unknown table is empty. Tables do not share ids.
    @Test func listGivesEveryIdOfOneTable() throws {
        try withStore { store in
            #expect(try store.list(table: "never-written").isEmpty)
            _ = try store.setValue(table: "t", create: true, id: "b-no-apps", data: [1])
            _ = try store.setPermission(table: "t", create: true, id: "a", app: "x", permissions: ["1"])
            _ = try store.setPermission(table: "u", create: true, id: "a", app: "y", permissions: ["2"])
            #expect(try store.list(table: "t") == ["a", "b-no-apps"])
            #expect(try store.list(table: "u") == ["a"])
            #expect(try store.lookup(table: "t", id: "a").permissions == ["x": ["1"]])
            #expect(try store.lookup(table: "u", id: "a").permissions == ["y": ["2"]])
        }
    }

    // Upstream's tables are files: created by the first write (not by a
    // read or a failed write) and kept after their last entry is deleted.
    @Test func tablesListsEveryWrittenTable() throws {
        try withStore { store in
            _ = try store.list(table: "read-only")
            expectPortalError(ErrorName.notFound) { try store.lookup(table: "read-only", id: "x") }
            _ = try store.setPermission(table: "devices", create: true, id: "camera", app: "a", permissions: ["yes"])
            _ = try store.setValue(table: "background", create: true, id: "x", data: [1])
            _ = try store.delete(table: "background", id: "x")
            #expect(try store.tables() == ["background", "devices"])
        }
    }

    // What `flatpak permission-show APP` lists: every table/id where the
    // app has permissions — not entries where its list was emptied.
    @Test func entriesListsWholeTablesAndOneAppsGrants() throws {
        try withStore { store in
            _ = try store.set(table: "devices", create: true, id: "camera", permissions: ["a": ["yes"], "b": ["no"]],
                              data: nil)
            _ = try store.set(table: "devices", create: true, id: "speakers", permissions: ["b": ["yes"]], data: [1])
            _ = try store.setPermission(table: "location", create: true, id: "location", app: "a", permissions: ["1"])
            _ = try store.setPermission(table: "location", create: true, id: "other", app: "a", permissions: [])

            let devices = try store.entries(table: "devices")
            #expect(devices.map(\.id) == ["camera", "speakers"])
            #expect(devices.map(\.entry) == [PermissionEntry(permissions: ["a": ["yes"], "b": ["no"]]),
                                             PermissionEntry(permissions: ["b": ["yes"]], data: [1])])

            let grants = try store.entries(forApp: "a")
            #expect(grants.map { "\($0.table)/\($0.id)" } == ["devices/camera", "location/location"])
            #expect(grants.first?.entry.permissions["a"] == ["yes"])
            #expect(try store.entries(forApp: "nobody").isEmpty)
        }
    }

    // test_change: the Changed payload names the table and id and carries
    // the entry as Lookup would return it.
    @Test func everyChangeMatchesTheStoredEntry() throws {
        try withStore { store in
            let changes = [
                try store.setPermission(table: "TEST", create: true, id: "r", app: "one.two.three",
                                        permissions: ["one", "two"]),
                try store.setValue(table: "TEST", create: false, id: "r", data: [1]),
                try store.set(table: "TEST", create: false, id: "r", permissions: ["x": ["y"]], data: [2]),
                try store.deletePermission(table: "TEST", id: "r", app: "x"),
            ]
            #expect(changes[0].permissions == ["one.two.three": ["one", "two"]])
            let last = try #require(changes.last)
            let entry = try store.lookup(table: "TEST", id: "r")
            #expect(!last.deleted && last.data == entry.data && last.permissions == entry.permissions)
            #expect(changes.allSatisfy { $0.table == "TEST" && $0.id == "r" && !$0.deleted })
        }
    }

    // The data is opaque bytes: an empty value is not "no value".
    @Test func emptyDataIsKeptApartFromNoData() throws {
        try withStore { store in
            _ = try store.setValue(table: "t", create: true, id: "empty", data: [])
            _ = try store.setPermission(table: "t", create: true, id: "none", app: "a", permissions: ["1"])
            #expect(try store.lookup(table: "t", id: "empty").data == [])
            #expect(try store.lookup(table: "t", id: "none").data == nil)
        }
    }
}
