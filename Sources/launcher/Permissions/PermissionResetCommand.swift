import ArgumentParser
import FoundationEssentials
import PortalCommon

/// `burrow permission-reset APP_ID | --all` — flatpak's `permission-reset`.
struct PermissionResetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "permission-reset",
        abstract: "Reset permissions for an app.",
        discussion: """
            Removes every permission APP_ID holds, in all tables, or with --all \
            the permissions of every app. Entries and their data stay, so what \
            portals remember besides the answer (e.g. a chosen handler) is kept.
            """
    )

    @OptionGroup var options: GlobalOptions

    @Flag(help: "Reset all permissions.")
    var all = false

    @Argument(help: ArgumentHelp("The application whose permissions to reset.", valueName: "APP_ID"))
    var appID: String?

    func validate() throws {
        switch (appID, all) {
        case (nil, false): throw ValidationError("Give APP_ID, or --all to reset the permissions of every app.")
        case (.some, true): throw ValidationError("Give APP_ID or --all, not both.")
        default: return
        }
    }

    func run() async throws {
        let tables = try PermissionTables.all(environment: ProcessInfo.processInfo.environment)
        let session = try await PermissionStoreSession.open(options)
        defer { session.close() }
        for table in tables {
            for id in try await session.ids(in: table) {
                guard let entry = try await session.store.lookup(table: table, id: id) else { continue }
                // DeletePermission per app rather than flatpak's Set of the
                // whole looked-up entry: the same result, without writing
                // back data or apps another client changed since the Lookup.
                let apps = all ? Array(entry.permissions.keys) : entry.permissions.keys.filter { $0 == appID }
                for app in apps.sorted() {
                    do throws(PortalError) {
                        try await session.store.deletePermission(table: table, id: id, app: app)
                    } catch {
                        // NotFound: the entry was deleted meanwhile, so its
                        // permissions are gone, as asked.
                        guard error.name == PortalError.notFound("").name else { throw error }
                    }
                }
            }
        }
    }
}
