import ArgumentParser
import FoundationEssentials
import PermissionData
import PortalCommon

/// `burrow-permission-store`: the permission store daemon, normally started
/// by D-Bus activation (data/dbus-1/services).
@main
struct PermissionStoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "burrow-permission-store",
        abstract: "Serve org.freedesktop.impl.portal.PermissionStore from an SQLite database.",
        discussion: """
            The database is $BURROW_PERMISSION_DB, or \
            $XDG_DATA_HOME/burrow/db/permissions.sqlite (~/.local/share/… by default).
            """,
        version: BurrowVersion.string
    )

    @Flag(name: .shortAndLong, help: "Log every change at debug level.")
    var verbose = false

    @Flag(name: .shortAndLong, help: "Replace a running permission store.")
    var replace = false

    /// Started by D-Bus activation (no arguments), without ArgumentParser.
    static func main() async {
        await Daemon.serveIfActivated { await serve($0) }
        await main(nil)
    }

    func run() async throws {
        throw ExitCode(await Self.serve(DaemonOptions(verbose: verbose, replace: replace)))
    }

    static func serve(_ options: DaemonOptions) async -> Int32 {
        let status = await Daemon.run(name: PermissionStoreService.name, label: "burrow.permission-store", options: options) { connection, logger in
            let path = try PermissionDatabase.defaultPath(environment: ProcessInfo.processInfo.environment)
            let database = try PermissionDatabase(path: path)
            logger.info("permission database: \(path)")
            let service = PermissionStoreService(database: database, connection: connection, logger: logger)
            try await connection.export(service.definition, at: PermissionStoreService.path)
        }
        return status
    }
}
