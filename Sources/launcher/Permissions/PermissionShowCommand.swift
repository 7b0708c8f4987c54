import ArgumentParser
import FoundationEssentials
import LaunchCommands
import PortalCommon

/// `burrow permission-show APP_ID` — flatpak's `permission-show`.
struct PermissionShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "permission-show",
        abstract: "Show permissions for an app.",
        discussion: "Lists, across all tables, every entry in which APP_ID holds permissions."
    )

    @OptionGroup var options: GlobalOptions

    @Argument(help: ArgumentHelp("The application, e.g. org.gnome.Maps.", valueName: "APP_ID"))
    var appID: String

    func run() async throws {
        let tables = try PermissionTables.all(environment: ProcessInfo.processInfo.environment)
        let session = try await PermissionStoreSession.open(options)
        defer { session.close() }
        var printer = TablePrinter(titles: PermissionStoreSession.titles)
        for table in tables {
            for id in try await session.ids(in: table) {
                guard let entry = try await session.store.lookup(table: table, id: id) else { continue }
                PermissionStoreSession.rows(table: table, id: id, entry: entry, onlyApp: appID)
                    .forEach { printer.append($0) }
            }
        }
        printer.print()
    }
}
