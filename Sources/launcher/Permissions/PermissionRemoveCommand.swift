import ArgumentParser
import PortalCommon

/// `burrow permission-remove TABLE ID [APP_ID]` — flatpak's
/// `permission-remove`: the whole entry, or one app's permissions in it.
struct PermissionRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "permission-remove",
        abstract: "Remove item from permission store.",
        discussion: """
            Without APP_ID, deletes the entry ID of TABLE. With APP_ID, removes \
            only that app's permissions from it; the entry and its data stay.
            """
    )

    @OptionGroup var options: GlobalOptions

    @Argument(help: ArgumentHelp("The permission table.", valueName: "TABLE"))
    var table: String

    @Argument(help: ArgumentHelp("The entry to remove.", valueName: "ID"))
    var id: String

    @Argument(help: ArgumentHelp("Remove only this app's permissions.", valueName: "APP_ID"))
    var appID: String?

    func run() async throws {
        let session = try await PermissionStoreSession.open(options)
        defer { session.close() }
        if let appID {
            try await session.store.deletePermission(table: table, id: id, app: appID)
        } else {
            try await session.store.delete(table: table, id: id)
        }
    }
}
