import ArgumentParser
import FoundationEssentials
import Glibc
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

    /// D-Bus activation starts the daemon with no arguments. Such a start
    /// skips ArgumentParser: building this command's option definitions and
    /// parsing (with its completion-script check) cost 1-2 ms of a cold
    /// start. Every option then has its default.
    static func main() async {
        guard CommandLine.arguments.count == 1 else { return await main(nil) }
        Glibc.exit(await serve(DaemonOptions()))
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
