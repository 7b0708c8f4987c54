import PortalCommon
// Input checks for the permission store. Swift strings are valid Unicode by
// construction (and the daemon's D-Bus layer rejects malformed UTF-8), so what
// is left is NUL, which no D-Bus string can carry and which C readers of the
// file would truncate at, and the table-name rules below.

extension PermissionDatabase {
    /// Upstream turns the table name straight into a file name,
    /// `$XDG_DATA_HOME/flatpak/db/<table>` (`lookup_table` in
    /// xdg-permission-store.c, no check at all): "../x" would reach outside
    /// that directory, "" or ".." opens a directory and fails. Our tables are
    /// rows, but names must stay valid file names so the store can be
    /// exported to (or imported from) upstream's one-file-per-table layout,
    /// and so `burrow permissions` can print them safely.
    static func validateTable(_ table: String) throws {
        func reject(_ reason: String) -> PortalError {
            .invalidArgument("Invalid permission table name \(String(reflecting: table)): \(reason). "
                             + "Use a short name such as \"notifications\" or \"devices\".")
        }
        if table.isEmpty { throw reject("it is empty") }
        if table == "." || table == ".." { throw reject("\".\" and \"..\" are not table names") }
        if table.contains("/") { throw reject("it must not contain \"/\"") }
        if table.utf8.count > 255 {
            throw reject("it is \(table.utf8.count) bytes long, the limit is 255 (a file name)")
        }
        if table.unicodeScalars.contains(where: isControl) {
            throw reject("it must not contain control characters")
        }
    }

    /// Ids are any non-empty string without NUL: real ones contain "/"
    /// (`desktop-used-apps` is keyed by content type, e.g.
    /// "x-scheme-handler/https") and are never used as file names.
    static func validateID(_ id: String) throws {
        if id.isEmpty {
            throw PortalError.invalidArgument("The permission entry id is empty; give the resource's id.")
        }
        if id.utf8.contains(0) {
            throw PortalError.invalidArgument("The permission entry id \(String(reflecting: id)) contains NUL.")
        }
    }

    /// The empty app id is allowed: it is how x-d-p stores the answer for a
    /// host app it cannot name (`xdp_set_permission_sync` with the app info
    /// of an unidentified host caller), and upstream's own tests
    /// (tests/test_permission_store.py, test_create/test_delete) store
    /// permissions for app "".
    static func validateApp(_ app: String) throws {
        if app.utf8.contains(0) {
            throw PortalError.invalidArgument("The app id \(String(reflecting: app)) contains NUL.")
        }
    }

    static func validatePermissions(_ permissions: [String], app: String) throws {
        try validateApp(app)
        for permission in permissions where permission.utf8.contains(0) {
            throw PortalError.invalidArgument(
                "The permission \(String(reflecting: permission)) for app \(String(reflecting: app)) contains NUL.")
        }
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        // C0 controls, DEL and C1 controls: invisible or terminal-driving
        // in a listing, and never part of a meaningful table name.
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}
