import FoundationEssentials
import Logging
import PermissionData
import PortalCommon

/// The permission store as the permission commands reach it: through
/// `org.freedesktop.impl.portal.PermissionStore` on the session bus, never
/// by writing the database behind the daemon's back, so every change emits
/// `Changed` and running portals see it at once.
struct PermissionStoreSession {
    let connection: BusConnection
    let store: PermissionStoreClient

    /// The column titles of every permission listing (flatpak's).
    static let titles = ["Table", "Object", "App", "Permissions", "Data"]

    static func open(_ options: GlobalOptions) async throws(PortalError) -> PermissionStoreSession {
        options.bootstrapLogging()
        let connection = try await BusConnection.connect(.session, logger: Logger(label: "burrow"))
        return PermissionStoreSession(connection: connection, store: PermissionStoreClient(connection: connection))
    }

    /// Flushes and closes the connection (joins its thread briefly).
    func close() {
        connection.close()
    }

    /// Every id of `table` in byte order — upstream's store answers in hash
    /// order, and a listing must not change between runs.
    func ids(in table: String) async throws(PortalError) -> [String] {
        try await store.list(table: table).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// The listing rows of one entry: one per app holding permissions (in
    /// byte order), or — when `app` is nil and the entry has no apps — one
    /// row with empty App and Permissions, as flatpak 1.14 shows it.
    static func rows(table: String, id: String, entry: PermissionStoreClient.Entry,
                     onlyApp app: String? = nil) -> [[String]] {
        let data = GVariantCoding.text(of: entry.data)
        let apps = entry.permissions.keys
            .filter { app == nil || $0 == app }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        if apps.isEmpty {
            return app == nil ? [[table, id, "", "", data]] : []
        }
        return apps.map { [table, id, $0, entry.permissions[$0]!.joined(separator: ","), data] }
    }
}

/// Which tables exist. The PermissionStore interface cannot list its tables,
/// so — as flatpak reads `~/.local/share/flatpak/db` — burrow asks the
/// places a store keeps them, and queries each by name over the bus. A name
/// with no entries costs one `List` call and prints nothing, so the union
/// is safe whichever store is serving the bus.
enum PermissionTables {
    /// Tables xdg-desktop-portal 1.16, the document portal and GNOME write.
    static let wellKnown = [
        "background", "desktop-used-apps", "devices", "documents", "gamemode", "gnome", "inhibit",
        "location", "notifications", "realtime", "remote-desktop", "screencast", "screenshot", "wallpaper",
    ]

    /// burrow's database (read-only, if it exists), the table files of
    /// upstream's store (if any), and the well-known names; sorted.
    static func all(environment: [String: String]) throws -> [String] {
        var names = Set(wellKnown)
        let database = try PermissionDatabase.defaultPath(environment: environment)
        if FileManager.default.fileExists(atPath: database) {
            names.formUnion(try PermissionDatabase(readOnlyAt: database).tables())
        }
        names.formUnion(try upstreamTables(environment: environment))
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// File names in `$XDG_DATA_HOME/flatpak/db` (xdg-permission-store keeps
    /// one GVDB file per table there). A missing directory is no tables.
    private static func upstreamTables(environment: [String: String]) throws -> [String] {
        guard let dataHome = XDGDirectories.dataHome(environment: environment) else { return [] }
        let directory = dataHome + "/flatpak/db"
        guard FileManager.default.fileExists(atPath: directory) else { return [] }
        do {
            return try FileManager.default.contentsOfDirectory(atPath: directory)
                // Upstream writes tables atomically through temporary files
                // named ".goutputstream-XXXXXX"; never a table.
                .filter { !$0.hasPrefix(".") }
        } catch {
            throw PortalError.failed("Cannot list the permission tables in \(directory): \(error)")
        }
    }
}
