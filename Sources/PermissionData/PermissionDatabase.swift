import PortalCommon
/// The permission store: tables → entries (by id) → each app's permission
/// strings, plus an opaque value per entry. The semantics are those of
/// upstream's `xdg-permission-store` (xdg-desktop-portal,
/// document-portal/xdg-permission-store.c and permission-db.c), so the
/// D-Bus daemon `org.freedesktop.impl.portal.PermissionStore` (version 2)
/// is a thin adapter: one method per D-Bus method, and each mutation
/// returns the `PermissionChange` to emit as `Changed`.
///
/// Where upstream and this type differ, deliberately:
/// - Writes are synchronous SQLite transactions. Upstream edits memory,
///   emits `Changed`, then rewrites the whole table file asynchronously and
///   replies after that; a crash in between loses the change. Here a method
///   returns only after COMMIT, and a failed write changes nothing.
/// - Inputs are validated (see PermissionDatabase+Validation.swift); upstream
///   checks nothing, and a table name like "../x" names a file outside its
///   directory.
/// - Listings are sorted (byte order); upstream's are in hash order.
///
/// Errors: `PortalError.notFound` / `.invalidArgument` for what the caller
/// can fix, `SQLiteError` (→ `PortalError.failed` naming the file) for the
/// rest; map with `PortalError(error)`.
///
/// Thread-safe (`Sendable`); calls block the calling thread, see
/// `SQLiteDatabase` for why that is the right trade here.
public final class PermissionDatabase: Sendable {
    /// The SQLite file.
    public let path: String
    /// Package-visible so tests can check the connection's pragmas.
    package let database: SQLiteDatabase

    /// Opens (creating it and its directories if needed) the store at `path`.
    public convenience init(path: String) throws {
        try self.init(path: path, options: SQLiteOptions())
    }

    /// Opens an existing store for reading only — nothing is created or
    /// migrated, every write fails. For tools that inspect a store a daemon
    /// owns (`burrow permissions` lists its tables this way); they change it
    /// only through the daemon, so `Changed` reaches everyone.
    public convenience init(readOnlyAt path: String) throws {
        var options = SQLiteOptions()
        options.readOnly = true
        try self.init(path: path, options: options)
    }

    package init(path: String, options: SQLiteOptions) throws {
        self.path = path
        database = try SQLiteDatabase(path: path, migrations: Self.migrations, options: options)
    }

    /// `$BURROW_PERMISSION_DB` if set, else
    /// `$XDG_DATA_HOME/burrow/db/permissions.sqlite` with XDG_DATA_HOME
    /// defaulting to `$HOME/.local/share`. Relative XDG_DATA_HOME values are
    /// ignored, as the XDG base directory spec requires.
    public static func defaultPath(environment: [String: String]) throws -> String {
        if let override = environment["BURROW_PERMISSION_DB"], !override.isEmpty {
            return override
        }
        guard let dataHome = XDGDirectories.dataHome(environment: environment) else {
            throw PortalError.failed(
                "Cannot locate the permission database: HOME is not an absolute path. "
                + "Set HOME, XDG_DATA_HOME or BURROW_PERMISSION_DB.")
        }
        return dataHome + "/burrow/db/permissions.sqlite"
    }

    // MARK: - D-Bus methods

    /// `Lookup`. A table that was never written is simply empty (upstream
    /// opens any table name, missing file = no entries), so an unknown table
    /// and an unknown id both answer NotFound.
    public func lookup(table: String, id: String) throws -> PermissionEntry {
        try Self.validateTable(table)
        try Self.validateID(id)
        return try database.read { connection in
            try Self.existingEntry(table: table, id: id, in: connection)
        }
    }

    /// `Set`: replaces the whole entry — every app not in `permissions` is
    /// dropped, `data` replaces the old value (upstream builds a fresh entry,
    /// `permission_db_entry_new (data)`, and adds each app). Apps with an empty
    /// list are left out. The entry exists afterwards even if no app has
    /// permissions. `create == false` and no entry → NotFound, nothing written.
    public func set(table: String, create: Bool, id: String,
                    permissions: [String: [String]], data: [UInt8]?) throws -> PermissionChange {
        try Self.validateTable(table)
        try Self.validateID(id)
        for (app, list) in permissions { try Self.validatePermissions(list, app: app) }
        return try database.write { connection in
            try Self.requireEntry(table: table, id: id, create: create, in: connection)
            try connection.storeEntry(table: table, id: id, data: data)
            try connection.deleteAllPermissions(table: table, id: id)
            for (app, list) in permissions {
                try connection.insertPermissions(table: table, id: id, app: app, permissions: list)
            }
            return try Self.change(table: table, id: id, in: connection)
        }
    }

    /// `SetValue`: replaces the data, keeps the permissions
    /// (`permission_db_entry_modify_data`); creates an entry without
    /// permissions if allowed. `create == false` and no entry → NotFound.
    public func setValue(table: String, create: Bool, id: String, data: [UInt8]?) throws -> PermissionChange {
        try Self.validateTable(table)
        try Self.validateID(id)
        return try database.write { connection in
            try Self.requireEntry(table: table, id: id, create: create, in: connection)
            try connection.storeEntry(table: table, id: id, data: data)
            return try Self.change(table: table, id: id, in: connection)
        }
    }

    /// `SetPermission`: replaces one app's list, leaving other apps and the
    /// data alone. An empty list removes the app; the entry stays (even when
    /// it was just created for this call). A created entry has no data
    /// (upstream: `<byte 0>`). `create == false` and no entry → NotFound.
    public func setPermission(table: String, create: Bool, id: String,
                              app: String, permissions: [String]) throws -> PermissionChange {
        try Self.validateTable(table)
        try Self.validateID(id)
        try Self.validatePermissions(permissions, app: app)
        return try database.write { connection in
            try Self.requireEntry(table: table, id: id, create: create, in: connection)
            try connection.ensureEntry(table: table, id: id)
            try connection.deletePermissions(table: table, id: id, app: app)
            try connection.insertPermissions(table: table, id: id, app: app, permissions: permissions)
            return try Self.change(table: table, id: id, in: connection)
        }
    }

    /// `Delete`: removes the entry. No entry → NotFound. The change carries
    /// `deleted == true`, the old data and no permissions (`emit_deleted`).
    public func delete(table: String, id: String) throws -> PermissionChange {
        try Self.validateTable(table)
        try Self.validateID(id)
        return try database.write { connection in
            let old = try Self.existingEntry(table: table, id: id, in: connection)
            try connection.deleteEntry(table: table, id: id)
            return PermissionChange(table: table, id: id, deleted: true, data: old.data, permissions: [:])
        }
    }

    /// `DeletePermission`: removes one app from the entry. No entry →
    /// NotFound; an app that is not there is not an error, and a change is
    /// still reported (upstream rewrites the entry and emits `Changed`
    /// unconditionally). Removing the last app leaves an entry without
    /// permissions; it is not deleted.
    public func deletePermission(table: String, id: String, app: String) throws -> PermissionChange {
        try Self.validateTable(table)
        try Self.validateID(id)
        try Self.validateApp(app)
        return try database.write { connection in
            _ = try Self.existingEntry(table: table, id: id, in: connection)
            try connection.deletePermissions(table: table, id: id, app: app)
            return try Self.change(table: table, id: id, in: connection)
        }
    }

    /// `GetPermission`: one app's list. No entry → NotFound; an app without
    /// permissions → `[]` (`permission_db_entry_list_permissions`).
    public func getPermission(table: String, id: String, app: String) throws -> [String] {
        try Self.validateTable(table)
        try Self.validateID(id)
        try Self.validateApp(app)
        return try database.read { connection in
            try Self.existingEntry(table: table, id: id, in: connection).permissions[app] ?? []
        }
    }

    /// `List`: every id in the table, with or without permissions, sorted.
    /// An unknown table is empty, not an error.
    public func list(table: String) throws -> [String] {
        try Self.validateTable(table)
        return try database.read { try $0.permissionIDs(table: table) }
    }

    // MARK: - For `burrow permissions`

    /// Every table that has been written to, sorted — including tables
    /// whose entries were all deleted, as upstream's table files remain.
    public func tables() throws -> [String] {
        try database.read { try $0.permissionTables() }
    }

    /// Every entry of `table`, sorted by id.
    public func entries(table: String) throws -> [(id: String, entry: PermissionEntry)] {
        try Self.validateTable(table)
        return try database.read { try $0.permissionEntries(table: table) }
    }

    /// Every entry in any table where `app` has permissions, sorted by table
    /// then id; each with its whole entry.
    public func entries(forApp app: String) throws -> [PermissionRecord] {
        try Self.validateApp(app)
        return try database.read { connection in
            try connection.permissionKeys(app: app).map { key in
                PermissionRecord(table: key.table, id: key.id,
                                 entry: try Self.existingEntry(table: key.table, id: key.id, in: connection))
            }
        }
    }

    // MARK: - Shared steps (inside a transaction)

    private static func existingEntry(table: String, id: String,
                                      in connection: SQLiteConnection) throws -> PermissionEntry {
        guard let entry = try connection.permissionEntry(table: table, id: id) else {
            throw PortalError.notFound(
                "No permission entry \(String(reflecting: id)) in table \(String(reflecting: table)).")
        }
        return entry
    }

    /// Upstream's answer when `create` is false and the id is missing
    /// (handle_set / handle_set_value / handle_set_permission: "Id %s not found").
    private static func requireEntry(table: String, id: String, create: Bool,
                                     in connection: SQLiteConnection) throws {
        guard !create else { return }
        guard try connection.permissionEntry(table: table, id: id) != nil else {
            throw PortalError.notFound(
                "No permission entry \(String(reflecting: id)) in table \(String(reflecting: table)), "
                + "and create was false; pass create=true to add it.")
        }
    }

    private static func change(table: String, id: String, in connection: SQLiteConnection) throws -> PermissionChange {
        PermissionChange(table: table, id: id, entry: try existingEntry(table: table, id: id, in: connection))
    }
}
