import Logging
import PermissionData
import PortalCommon

/// `org.freedesktop.impl.portal.PermissionStore` (version 2) over a
/// `PermissionDatabase`.
///
/// Every method runs on the bus thread (`.immediate`): calls are answered
/// in the order they arrive, as upstream's single-threaded store does, so a
/// client's SetPermission followed by Lookup always sees its own write. A
/// write is one SQLite transaction in WAL mode — no fsync on the hot path —
/// and the Changed signal goes out only after the commit.
struct PermissionStoreService {
    static let name: BusName = "org.freedesktop.impl.portal.PermissionStore"
    static let path: ObjectPath = "/org/freedesktop/impl/portal/PermissionStore"
    static let interface = "org.freedesktop.impl.portal.PermissionStore"

    let database: PermissionDatabase
    let connection: BusConnection
    let logger: Logger

    /// Who may call: the host, and sandboxed apps only if their bus policy
    /// explicitly lets them talk to the store (upstream's xdg-dbus-proxy
    /// rules mean the same; the default Flatpak sandbox cannot).
    static let access = AccessPolicy.hostOrTalk(name)

    var definition: DBusInterface {
        DBusInterface(Self.interface, access: Self.access, methods: [
            DBusMethod("Lookup", in: [.init("table", "s"), .init("id", "s")],
                       out: [.init("permissions", "a{sas}"), .init("data", "v")], .immediate { call in
                let entry = try database.lookup(table: call.argument(0), id: call.argument(1))
                return [Self.permissionsValue(entry.permissions), .variant(Self.dataValue(entry.data))]
            }),
            DBusMethod("Set", in: [.init("table", "s"), .init("create", "b"), .init("id", "s"),
                                   .init("app_permissions", "a{sas}"), .init("data", "v")], .immediate { call in
                let change = try database.set(
                    table: call.argument(0), create: call.argument(1), id: call.argument(2),
                    permissions: call.argument(3, as: [String: [String]].self), data: Self.storedData(call.arguments[4]))
                emit(change)
                return []
            }),
            DBusMethod("Delete", in: [.init("table", "s"), .init("id", "s")], .immediate { call in
                emit(try database.delete(table: call.argument(0), id: call.argument(1)))
                return []
            }),
            DBusMethod("SetValue", in: [.init("table", "s"), .init("create", "b"), .init("id", "s"), .init("data", "v")],
                       .immediate { call in
                emit(try database.setValue(table: call.argument(0), create: call.argument(1), id: call.argument(2),
                                           data: Self.storedData(call.arguments[3])))
                return []
            }),
            DBusMethod("SetPermission", in: [.init("table", "s"), .init("create", "b"), .init("id", "s"),
                                             .init("app", "s"), .init("permissions", "as")], .immediate { call in
                emit(try database.setPermission(table: call.argument(0), create: call.argument(1), id: call.argument(2),
                                                app: call.argument(3), permissions: call.argument(4)))
                return []
            }),
            DBusMethod("DeletePermission", in: [.init("table", "s"), .init("id", "s"), .init("app", "s")], .immediate { call in
                emit(try database.deletePermission(table: call.argument(0), id: call.argument(1), app: call.argument(2)))
                return []
            }),
            DBusMethod("GetPermission", in: [.init("table", "s"), .init("id", "s"), .init("app", "s")],
                       out: [.init("permissions", "as")], .immediate { call in
                let list = try database.getPermission(table: call.argument(0), id: call.argument(1), app: call.argument(2))
                return [.array(element: .string, list.map(DBusValue.string))]
            }),
            DBusMethod("List", in: [.init("table", "s")], out: [.init("ids", "as")], .immediate { call in
                [.array(element: .string, try database.list(table: call.argument(0)).map(DBusValue.string))]
            }),
        ], properties: [
            .version(2),
        ], signals: [
            DBusSignal("Changed", [.init("table", "s"), .init("id", "s"), .init("deleted", "b"),
                                   .init("data", "v"), .init("permissions", "a{sas}")]),
        ])
    }

    private func emit(_ change: PermissionChange) {
        logger.debug("changed \(change.table)/\(change.id)\(change.deleted ? " (deleted)" : "")")
        connection.emitSignal(path: Self.path, interface: Self.interface, member: "Changed", [
            .string(change.table), .string(change.id), .bool(change.deleted),
            .variant(Self.dataValue(change.data)), Self.permissionsValue(change.permissions),
        ])
    }

    /// The `v` argument's content, serialized for the database.
    private static func storedData(_ argument: DBusValue) throws(PortalError) -> [UInt8] {
        guard case .variant(let inner) = argument else { throw .invalidArgs("data must be a variant") }
        return try GVariantCoding.serialize(inner)
    }

    /// An entry without data answers a byte 0, as xdg-permission-store does
    /// (`data ? data : g_variant_new_byte (0)`): clients unpack whatever is there.
    private static func dataValue(_ stored: [UInt8]?) -> DBusValue {
        guard let stored else { return .byte(0) }
        return GVariantCoding.deserialize(stored) ?? .byte(0)
    }

    static func permissionsValue(_ permissions: [String: [String]]) -> DBusValue {
        .dictionary(key: .string, value: .array(.string), permissions.keys.sorted().map { app in
            .init(.string(app), .array(element: .string, permissions[app]!.map(DBusValue.string)))
        })
    }
}
