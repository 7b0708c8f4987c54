import PortalCommon
/// What the permission store keeps for one id in one table: each app's
/// permission strings, and an opaque value.
///
/// Mirrors upstream's entry `(v data, a{sas} app_permissions)`. An app whose
/// list is empty is not here: upstream keeps `{app, []}` inside the entry
/// but leaves it out of Lookup, of the Changed signal and of its app index
/// (`permission_db_entry_list_apps` skips empty lists), so "empty" and
/// "absent" are indistinguishable from outside; we store only the latter.
public struct PermissionEntry: Sendable, Hashable {
    /// App id → permission strings, each list in the order it was set
    /// (duplicates kept, as upstream keeps them).
    public var permissions: [String: [String]]

    /// The serialized D-Bus variant the daemon stored, byte for byte.
    /// `nil` when none was ever given — an entry created by SetPermission;
    /// upstream's value there is the variant `<byte 0>`
    /// (`permission_db_entry_new (NULL)`), which the daemon should send.
    public var data: [UInt8]?

    public init(permissions: [String: [String]] = [:], data: [UInt8]? = nil) {
        self.permissions = permissions
        self.data = data
    }

    /// App ids in byte order, the order upstream keeps them in an entry
    /// (and so the order of its `a{sas}` replies).
    public var apps: [String] {
        permissions.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}

/// Everything the D-Bus signal
/// `Changed(s table, s id, b deleted, v data, a{sas} permissions)` needs,
/// returned by every mutation after its transaction committed.
public struct PermissionChange: Sendable, Hashable {
    public let table: String
    public let id: String
    /// True only for `delete(table:id:)`.
    public let deleted: Bool
    /// The entry's data after the change; for a deletion, the data the
    /// entry had (upstream `emit_deleted` sends the old data).
    public let data: [UInt8]?
    /// The entry's permissions after the change; empty for a deletion.
    public let permissions: [String: [String]]

    public init(table: String, id: String, deleted: Bool, data: [UInt8]?, permissions: [String: [String]]) {
        self.table = table
        self.id = id
        self.deleted = deleted
        self.data = data
        self.permissions = permissions
    }

    init(table: String, id: String, entry: PermissionEntry) {
        self.init(table: table, id: id, deleted: false, data: entry.data, permissions: entry.permissions)
    }
}

/// One entry found by `PermissionDatabase.entries(forApp:)`.
public struct PermissionRecord: Sendable, Hashable {
    public let table: String
    public let id: String
    public let entry: PermissionEntry

    public init(table: String, id: String, entry: PermissionEntry) {
        self.table = table
        self.id = id
        self.entry = entry
    }
}
