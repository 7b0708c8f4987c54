import ArgumentParser
import PortalCommon

/// `burrow permission-set [--data=DATA] TABLE ID APP_ID [PERMISSION…]` —
/// flatpak's `permission-set`.
struct PermissionSetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "permission-set",
        abstract: "Set permissions.",
        discussion: """
            Replaces APP_ID's permissions in the entry ID of TABLE, creating the \
            entry if needed; other apps keep theirs. No PERMISSION removes the \
            app from the entry. --data replaces the entry's data with a value \
            in GVariant text, e.g. --data="{'shown': <true>}".
            """
    )

    @OptionGroup var options: GlobalOptions

    // .unconditional: like GOption, take the next word even if it starts
    // with "-" (`--data -1`).
    @Option(parsing: .unconditional, help: ArgumentHelp("Associate DATA with the entry.", valueName: "DATA"))
    var data: String?

    @Argument(help: ArgumentHelp("The permission table, e.g. devices.", valueName: "TABLE"))
    var table: String

    @Argument(help: ArgumentHelp("The entry, e.g. camera.", valueName: "ID"))
    var id: String

    @Argument(help: ArgumentHelp("The application, e.g. org.gnome.Cheese.", valueName: "APP_ID"))
    var appID: String

    @Argument(help: ArgumentHelp("Permissions to grant, e.g. yes.", valueName: "PERMISSION"))
    var permissions: [String] = []

    func validate() throws {
        // Bad --data is refused before anything is written.
        guard let data else { return }
        do {
            _ = try GVariantCoding.parse(data)
        } catch {
            throw ValidationError(error.message)
        }
    }

    func run() async throws {
        let value = try data.map { text throws(PortalError) in try GVariantCoding.parse(text) }
        let session = try await PermissionStoreSession.open(options)
        defer { session.close() }
        // Two calls, as flatpak makes them: SetPermission touches only this
        // app, and SetValue (create=false) only the data, so changes other
        // clients make to other apps in between are never overwritten.
        try await session.store.setPermission(table: table, create: true, id: id, app: appID, permissions: permissions)
        if let value {
            try await session.store.setValue(table: table, create: false, id: id, data: value)
        }
    }
}
