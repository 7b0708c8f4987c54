import PermissionData
import PortalCommon
import Testing

// Upstream validates nothing: `lookup_table` builds
// `$XDG_DATA_HOME/flatpak/db/<table>` from whatever the caller sent, so
// "../x" would name a file outside that directory. We reject every name that
// is not a plain file name, and NUL anywhere.

@Suite("Permission store input validation")
struct PermissionValidationTests {
    static let badTables = ["", ".", "..", "/", "a/b", "../escape", "tab\tle", "new\nline", "nul\u{0}",
                            "del\u{7F}", "c1\u{85}", String(repeating: "x", count: 256)]

    @Test(arguments: badTables)
    func everyOperationRejectsBadTableNames(table: String) throws {
        try withStore { store in
            let operations: [() throws -> Any] = [
                { try store.lookup(table: table, id: "id") },
                { try store.set(table: table, create: true, id: "id", permissions: [:], data: nil) },
                { try store.setValue(table: table, create: true, id: "id", data: nil) },
                { try store.setPermission(table: table, create: true, id: "id", app: "a", permissions: ["y"]) },
                { try store.delete(table: table, id: "id") },
                { try store.deletePermission(table: table, id: "id", app: "a") },
                { try store.getPermission(table: table, id: "id", app: "a") },
                { try store.list(table: table) },
                { try store.entries(table: table) },
            ]
            for operation in operations {
                expectPortalError(ErrorName.invalidArgument, containing: ["permission table name"], operation)
            }
            let tables = try store.tables()
            #expect(tables.isEmpty)
        }
    }

    // Names upstream and its clients use, plus legal oddities.
    @Test(arguments: ["TEST", "desktop-used-apps", "input-capture", ".hidden", "ünïcødé",
                      String(repeating: "x", count: 255)])
    func plainFileNamesAreAccepted(table: String) throws {
        try withStore { store in
            _ = try store.setValue(table: table, create: true, id: "id", data: [1])
            #expect(try store.tables() == [table])
        }
    }

    @Test func idsMustBeNonEmptyAndFreeOfNul() throws {
        try withStore { store in
            for id in ["", "a\u{0}b"] {
                expectPortalError(ErrorName.invalidArgument, containing: ["id"]) {
                    try store.setValue(table: "t", create: true, id: id, data: nil)
                }
                expectPortalError(ErrorName.invalidArgument) { try store.lookup(table: "t", id: id) }
            }
            // Real ids contain "/": desktop-used-apps is keyed by content type.
            _ = try store.setPermission(table: "desktop-used-apps", create: true, id: "x-scheme-handler/https",
                                        app: "org.example.App", permissions: ["org.example.Browser", "3", "3"])
            #expect(try store.list(table: "desktop-used-apps") == ["x-scheme-handler/https"])
        }
    }

    @Test func appIdsAndPermissionsMustBeFreeOfNul() throws {
        try withStore { store in
            _ = try store.setValue(table: "t", create: true, id: "id", data: [1])
            expectPortalError(ErrorName.invalidArgument, containing: ["app id"]) {
                try store.setPermission(table: "t", create: false, id: "id", app: "a\u{0}", permissions: ["y"])
            }
            expectPortalError(ErrorName.invalidArgument, containing: ["permission"]) {
                try store.setPermission(table: "t", create: false, id: "id", app: "a", permissions: ["y\u{0}"])
            }
            // One bad app in Set rejects the whole call before anything is written.
            expectPortalError(ErrorName.invalidArgument) {
                try store.set(table: "t", create: false, id: "id", permissions: ["ok": ["1"], "b\u{0}": ["2"]],
                              data: [2])
            }
            expectPortalError(ErrorName.invalidArgument) { try store.entries(forApp: "\u{0}") }
            #expect(try store.lookup(table: "t", id: "id") == PermissionEntry(permissions: [:], data: [1]))
        }
    }
}
