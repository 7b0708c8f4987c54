import ArgumentParser
import FoundationEssentials
import LaunchCommands
import PortalCommon

/// `burrow permissions [TABLE [ID]]` — flatpak's `permissions`.
struct PermissionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "permissions",
        abstract: "List permissions.",
        discussion: """
            Lists every entry of the permission store, or of one TABLE, or the \
            entry ID of TABLE: one row per app with its permissions, and the \
            entry's data in GVariant text. To a pipe, rows are tab-separated \
            without a title line.
            """
    )

    @OptionGroup var options: GlobalOptions

    @Argument(help: ArgumentHelp("A permission table, e.g. devices or notifications.", valueName: "TABLE"))
    var table: String?

    @Argument(help: ArgumentHelp("An entry of TABLE, e.g. camera.", valueName: "ID"))
    var id: String?

    func run() async throws {
        // Table names come from disk, before the bus is touched: a broken
        // database is reported as such, not after half a listing.
        let tables = try table.map { [$0] } ?? PermissionTables.all(environment: ProcessInfo.processInfo.environment)
        let session = try await PermissionStoreSession.open(options)
        defer { session.close() }
        var printer = TablePrinter(titles: PermissionStoreSession.titles)
        for table in tables {
            if let id {
                // One named entry: its absence is the user's mistake to hear about.
                guard let entry = try await session.store.lookup(table: table, id: id) else {
                    throw PortalError.notFound("No entry \(String(reflecting: id)) in table \(String(reflecting: table)).")
                }
                PermissionStoreSession.rows(table: table, id: id, entry: entry).forEach { printer.append($0) }
                continue
            }
            for id in try await session.ids(in: table) {
                // Deleted between List and Lookup by someone else: not an error.
                guard let entry = try await session.store.lookup(table: table, id: id) else { continue }
                PermissionStoreSession.rows(table: table, id: id, entry: entry).forEach { printer.append($0) }
            }
        }
        printer.print()
    }
}
