import Synchronization

/// The typed client of `org.freedesktop.impl.portal.PermissionStore`
/// (version 2), as every portal and the CLI use it. Works against
/// burrow-permission-store and upstream's xdg-permission-store alike: it
/// relies only on the documented interface.
///
/// Entry data travels as a `DBusValue`, the content of the interface's `v`
/// arguments. Errors are the store's own (`PortalError` with its D-Bus
/// name); a reply of the wrong shape is `.failed`, naming the method.
public final class PermissionStoreClient: Sendable {
    public static let busName: BusName = "org.freedesktop.impl.portal.PermissionStore"
    public static let objectPath: ObjectPath = "/org/freedesktop/impl/portal/PermissionStore"
    public static let interface = "org.freedesktop.impl.portal.PermissionStore"

    /// One entry as `Lookup` returns it.
    public struct Entry: Sendable, Hashable {
        /// App id → permission strings, each list in stored order.
        public var permissions: [String: [String]]
        /// The entry's value. An entry created without one reads as
        /// `.byte(0)` — both stores answer that (xdg-permission-store's
        /// `permission_db_entry_new (NULL)`).
        public var data: DBusValue

        public init(permissions: [String: [String]], data: DBusValue) {
            self.permissions = permissions
            self.data = data
        }
    }

    /// One `Changed` signal: the entry after a change, or the entry that
    /// was deleted (its old data, no permissions).
    public struct Change: Sendable, Hashable {
        public var table: String
        public var id: String
        public var deleted: Bool
        public var data: DBusValue
        public var permissions: [String: [String]]

        public init(table: String, id: String, deleted: Bool, data: DBusValue, permissions: [String: [String]]) {
            self.table = table
            self.id = id
            self.deleted = deleted
            self.data = data
            self.permissions = permissions
        }
    }

    public let connection: BusConnection

    public init(connection: BusConnection) {
        self.connection = connection
    }

    // MARK: Methods

    /// The entry, or `nil` when the store has none (its NotFound answer).
    public func lookup(table: String, id: String) async throws(PortalError) -> Entry? {
        let reply: [DBusValue]
        do throws(PortalError) {
            reply = try await call("Lookup", [.string(table), .string(id)])
        } catch {
            // Both stores answer a missing table or id with NotFound.
            if error.name == PortalError.notFound("").name { return nil }
            throw error
        }
        guard reply.count == 2, case .variant(let data) = reply[1] else { throw malformed("Lookup", reply) }
        return Entry(permissions: try permissions(reply[0], from: "Lookup"), data: data)
    }

    /// Replaces the whole entry: apps not in `permissions` lose theirs, and
    /// `data` replaces the value. Without `create`, a missing entry is NotFound.
    public func set(table: String, create: Bool, id: String,
                    permissions: [String: [String]], data: DBusValue) async throws(PortalError) {
        _ = try await call("Set", [.string(table), .bool(create), .string(id), permissions.dbusValue, .variant(data)])
    }

    /// Replaces the entry's value, keeping its permissions.
    public func setValue(table: String, create: Bool, id: String, data: DBusValue) async throws(PortalError) {
        _ = try await call("SetValue", [.string(table), .bool(create), .string(id), .variant(data)])
    }

    /// Replaces one app's permissions, leaving other apps and the value
    /// alone; an empty list removes the app from the entry.
    public func setPermission(table: String, create: Bool, id: String,
                              app: String, permissions: [String]) async throws(PortalError) {
        _ = try await call("SetPermission", [.string(table), .bool(create), .string(id), .string(app),
                                             permissions.dbusValue])
    }

    /// Removes one app from the entry (not an error if it has none there).
    /// A missing entry is NotFound.
    public func deletePermission(table: String, id: String, app: String) async throws(PortalError) {
        _ = try await call("DeletePermission", [.string(table), .string(id), .string(app)])
    }

    /// One app's permissions (`[]` if it has none). A missing entry is NotFound.
    public func getPermission(table: String, id: String, app: String) async throws(PortalError) -> [String] {
        try decodeSingle("GetPermission", try await call("GetPermission", [.string(table), .string(id), .string(app)]))
    }

    /// Removes the entry. A missing entry is NotFound.
    public func delete(table: String, id: String) async throws(PortalError) {
        _ = try await call("Delete", [.string(table), .string(id)])
    }

    /// Every id in the table, in the store's order (burrow's is sorted,
    /// upstream's is hash order). An unknown table is empty.
    public func list(table: String) async throws(PortalError) -> [String] {
        try decodeSingle("List", try await call("List", [.string(table)]))
    }

    // MARK: Changes

    /// The `Changed` signals for `table`, from the moment this returns: the
    /// match is registered with the bus before it does, so a write made
    /// after the call is never missed. The stream ends when the consumer
    /// stops iterating (the match is then removed) or the connection is lost.
    ///
    /// Only signals sent by the store's current owner are let through.
    /// The match rule names the store as sender, so the bus daemon delivers
    /// nothing else for it; but sd-bus matches a well-known sender name
    /// loosely on its side (it cannot know who owns the name), so a signal
    /// that reached this connection through some broader match of another
    /// subscriber would otherwise pass. Safe because the owner is tracked
    /// from NameOwnerChanged, which the bus sends in order with the
    /// owner's own messages, and any peer could forge the rest.
    public func changes(table: String) async throws(PortalError) -> AsyncStream<Change> {
        let (stream, continuation) = AsyncStream<Change>.makeStream()
        let owner = OwnerTracker()

        // Owner tracking first, then the current owner, then the signals:
        // in that order no owner change can slip between the steps.
        let ownerWatch = try await connection.addMatch(
            "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
            + "member='NameOwnerChanged',arg0='\(Self.busName.rawValue)'"
        ) { signal in
            guard signal.sender == "org.freedesktop.DBus", signal.arguments.count == 3,
                  signal.arguments[0].stringValue == Self.busName.rawValue,
                  let newOwner = signal.arguments[2].stringValue
            else { return }
            owner.changed(to: newOwner.isEmpty ? nil : newOwner)
        }
        owner.answered(await currentOwner())

        let changed: MatchSubscription
        do {
            changed = try await connection.addMatch(Self.changedRule(table: table)) { signal in
                guard let sender = signal.sender, owner.isOwner(sender),
                      let change = Self.change(from: signal.arguments), change.table == table
                else { return }
                continuation.yield(change)
            }
        } catch {
            ownerWatch.cancel()
            throw error
        }
        continuation.onTermination = { _ in
            changed.cancel()
            ownerWatch.cancel()
        }
        connection.onDisconnect { continuation.finish() }
        return stream
    }

    /// The unique name owning the store's name, or nil when none does yet
    /// (an activatable store starts on the first call; its NameOwnerChanged
    /// then arrives before any signal it sends).
    private func currentOwner() async -> String? {
        do {
            let reply = try await connection.call("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                  "org.freedesktop.DBus", "GetNameOwner",
                                                  [.string(Self.busName.rawValue)])
            return reply.first?.stringValue
        } catch {
            // NameHasNoOwner is the only expected failure; for any other the
            // stream stays silent until the owner next changes, which is
            // safe (no forged change can pass) and visible in the log.
            if error.name != "org.freedesktop.DBus.Error.NameHasNoOwner" {
                connection.logger.warning("cannot ask who owns \(Self.busName): \(error)")
            }
            return nil
        }
    }

    /// arg0 filters by table in the bus daemon. A table name that cannot be
    /// written inside a quoted match value (it has a quote or backslash) is
    /// left out of the rule; `changes(table:)` filters by table anyway.
    static func changedRule(table: String) -> String {
        var rule = "type='signal',sender='\(busName.rawValue)',path='\(objectPath.rawValue)',"
            + "interface='\(interface)',member='Changed'"
        if !table.contains("'") && !table.contains("\\") {
            rule += ",arg0='\(table)'"
        }
        return rule
    }

    /// `Changed(s table, s id, b deleted, v data, a{sas} permissions)`;
    /// nil for a signal of any other shape, which is dropped: a signal has
    /// no reply to carry an error, and the sender is the one at fault.
    static func change(from arguments: [DBusValue]) -> Change? {
        guard arguments.count == 5,
              case .string(let table) = arguments[0], case .string(let id) = arguments[1],
              case .bool(let deleted) = arguments[2], case .variant(let data) = arguments[3],
              let permissions = try? [String: [String]](dbusValue: arguments[4])
        else { return nil }
        return Change(table: table, id: id, deleted: deleted, data: data, permissions: permissions)
    }

    // MARK: Plumbing

    private func call(_ member: String, _ arguments: [DBusValue]) async throws(PortalError) -> [DBusValue] {
        try await connection.call(Self.busName, Self.objectPath, Self.interface, member, arguments)
    }

    private func permissions(_ value: DBusValue, from member: String) throws(PortalError) -> [String: [String]] {
        do {
            return try [String: [String]](dbusValue: value)
        } catch {
            throw malformed(member, [value])
        }
    }

    /// The one value of a reply with a single out argument.
    private func decodeSingle<T: DBusRepresentable>(_ member: String, _ reply: [DBusValue]) throws(PortalError) -> T {
        guard reply.count == 1 else { throw malformed(member, reply) }
        do {
            return try T(dbusValue: reply[0])
        } catch {
            throw malformed(member, reply)
        }
    }

    private func malformed(_ member: String, _ reply: [DBusValue]) -> PortalError {
        let signature = reply.map(\.type.signature).joined()
        return .failed("The permission store answered \(member) with a reply of type '(\(signature))', "
                       + "not the one its interface defines; is \(Self.busName) an incompatible implementation?")
    }
}

/// Who owns the store's name, as far as this connection knows. The
/// GetNameOwner answer is taken only if no NameOwnerChanged came first:
/// the signal is always at least as recent as the reply, and the reply's
/// task may resume after the bus thread already ran the signal handler.
private final class OwnerTracker: Sendable {
    private struct State {
        var owner: String?
        var sawChange = false
    }
    private let state = Mutex(State())

    func changed(to owner: String?) {
        state.withLock { $0 = State(owner: owner, sawChange: true) }
    }

    func answered(_ owner: String?) {
        state.withLock { if !$0.sawChange { $0.owner = owner } }
    }

    func isOwner(_ name: String) -> Bool {
        state.withLock { $0.owner == name }
    }
}
