import PortalCommon
// The permission store's schema and the SQL each operation uses.
//
// Normalized rows rather than one blob per app or per entry, because:
// - "an app with no permissions is absent" (see PermissionEntry) falls out of
//   the layout: no rows, no app; there is no encoded empty list to special-case;
// - `entries(forApp:)` (`burrow permissions show APP`) is an index lookup
//   instead of decoding every entry — upstream keeps a second "apps" table in
//   its GVDB file for the same reason;
// - no private serialization format to version: every column is plain
//   TEXT/INTEGER/BLOB, readable with the sqlite3 shell when debugging;
// - `position` keeps each list's order and its duplicates (both part of the
//   key), which a set-like layout would lose.
// `data` stays an opaque blob: it is a D-Bus variant the daemon serialized, and
// this layer must return it byte for byte.
//
// Tables live in their own table because upstream's tables are files that
// outlive their entries: after the last Delete the table still exists (an empty
// GVDB file) and `flatpak permissions` still lists it. A table appears with its
// first successful write; reads never create one.

extension PermissionDatabase {
    /// Schema history; the position in the list is the version stored in
    /// PRAGMA user_version. Never edit a shipped step — append a new one.
    static let migrations: [SQLiteMigration] = [
        SQLiteMigration(version: 1, sql: """
            CREATE TABLE permission_tables (
                name TEXT PRIMARY KEY NOT NULL
            ) WITHOUT ROWID;
            CREATE TABLE entries (
                table_name TEXT NOT NULL REFERENCES permission_tables(name) ON DELETE CASCADE,
                id TEXT NOT NULL,
                data BLOB,
                PRIMARY KEY (table_name, id)
            ) WITHOUT ROWID;
            CREATE TABLE permissions (
                table_name TEXT NOT NULL,
                id TEXT NOT NULL,
                app TEXT NOT NULL,
                position INTEGER NOT NULL CHECK (position >= 0),
                value TEXT NOT NULL,
                PRIMARY KEY (table_name, id, app, position),
                FOREIGN KEY (table_name, id) REFERENCES entries(table_name, id) ON DELETE CASCADE
            ) WITHOUT ROWID;
            CREATE INDEX permissions_by_app ON permissions(app, table_name, id);
            """),
    ]

    static var schemaVersion: Int { migrations.count }
}

/// The statements, as operations on a connection already inside a
/// transaction. Numbered parameters: ?1 table, ?2 id, ?3 app or data.
extension SQLiteConnection {
    func permissionEntry(table: String, id: String) throws -> PermissionEntry? {
        let key: [SQLiteValue] = [.text(table), .text(id)]
        guard let row = try query("SELECT data FROM entries WHERE table_name = ?1 AND id = ?2", key).first else {
            return nil
        }
        var entry = PermissionEntry(data: try row.optionalBlob(0))
        let rows = try query(
            "SELECT app, value FROM permissions WHERE table_name = ?1 AND id = ?2 ORDER BY app, position", key)
        for row in rows {
            entry.permissions[try row.text(0), default: []].append(try row.text(1))
        }
        return entry
    }

    func permissionEntries(table: String) throws -> [(id: String, entry: PermissionEntry)] {
        let key: [SQLiteValue] = [.text(table)]
        var entries: [String: PermissionEntry] = [:]
        for row in try query("SELECT id, data FROM entries WHERE table_name = ?1", key) {
            entries[try row.text(0)] = PermissionEntry(data: try row.optionalBlob(1))
        }
        let rows = try query(
            "SELECT id, app, value FROM permissions WHERE table_name = ?1 ORDER BY id, app, position", key)
        for row in rows {
            entries[try row.text(0)]?.permissions[try row.text(1), default: []].append(try row.text(2))
        }
        return entries.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            .map { (id: $0.key, entry: $0.value) }
    }

    func permissionIDs(table: String) throws -> [String] {
        // BINARY collation compares UTF-8 bytes: the strcmp order upstream uses.
        try query("SELECT id FROM entries WHERE table_name = ?1 ORDER BY id", [.text(table)]).map { try $0.text(0) }
    }

    func permissionTables() throws -> [String] {
        try query("SELECT name FROM permission_tables ORDER BY name").map { try $0.text(0) }
    }

    func permissionKeys(app: String) throws -> [(table: String, id: String)] {
        try query("SELECT DISTINCT table_name, id FROM permissions WHERE app = ?1 ORDER BY table_name, id",
                  [.text(app)]).map { (table: try $0.text(0), id: try $0.text(1)) }
    }

    /// Creates the entry with `data`, or replaces the data of an existing one
    /// (its permissions stay).
    func storeEntry(table: String, id: String, data: [UInt8]?) throws {
        try registerTable(table)
        try run("""
            INSERT INTO entries (table_name, id, data) VALUES (?1, ?2, ?3)
            ON CONFLICT (table_name, id) DO UPDATE SET data = excluded.data
            """, [.text(table), .text(id), data.map(SQLiteValue.blob) ?? .null])
    }

    /// Creates the entry with no data if it does not exist.
    func ensureEntry(table: String, id: String) throws {
        try registerTable(table)
        try run("INSERT INTO entries (table_name, id, data) VALUES (?1, ?2, NULL) ON CONFLICT DO NOTHING",
                [.text(table), .text(id)])
    }

    func deleteEntry(table: String, id: String) throws {
        // Its permission rows go with it (ON DELETE CASCADE).
        try run("DELETE FROM entries WHERE table_name = ?1 AND id = ?2", [.text(table), .text(id)])
    }

    func deleteAllPermissions(table: String, id: String) throws {
        try run("DELETE FROM permissions WHERE table_name = ?1 AND id = ?2", [.text(table), .text(id)])
    }

    func deletePermissions(table: String, id: String, app: String) throws {
        try run("DELETE FROM permissions WHERE table_name = ?1 AND id = ?2 AND app = ?3",
                [.text(table), .text(id), .text(app)])
    }

    /// Inserts `app`'s list; the caller removed any previous one. An empty
    /// list inserts nothing, which is how an app is removed.
    func insertPermissions(table: String, id: String, app: String, permissions: [String]) throws {
        for (position, permission) in permissions.enumerated() {
            try run("""
                INSERT INTO permissions (table_name, id, app, position, value) VALUES (?1, ?2, ?3, ?4, ?5)
                """, [.text(table), .text(id), .text(app), .integer(Int64(position)), .text(permission)])
        }
    }

    private func registerTable(_ table: String) throws {
        try run("INSERT INTO permission_tables (name) VALUES (?1) ON CONFLICT DO NOTHING", [.text(table)])
    }
}
