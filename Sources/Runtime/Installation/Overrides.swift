public import PortalCommon

/// Permission overrides, kept as Flatpak keeps them: one keyfile per app
/// (or `global` for all apps) under `<installation>/overrides/`, holding
/// `[Context]`-shaped groups that are merged over the app's metadata.
extension Installation {
    /// The file holding the overrides for `app`, or the global ones.
    public func overridesPath(for app: AppID?) -> String {
        "\(path)/overrides/\(app?.rawValue ?? "global")"
    }

    /// The overrides recorded for `app` (or global ones); empty when none.
    public func overrides(for app: AppID?) throws -> PermissionContext {
        let path = overridesPath(for: app)
        guard FileSystem.isRegularFile(path) else { return PermissionContext() }
        return try PermissionContext(parsing: try FileSystem.contents(of: path, limit: 1 << 20), fileName: path)
    }

    /// Merges `changes` into the recorded overrides (later settings win,
    /// negations stay recorded so they keep revoking what metadata grants).
    public func addOverrides(_ changes: PermissionContext, for app: AppID?) throws {
        let merged = try overrides(for: app).merging(changes)
        try FileSystem.makeDirectories(path + "/overrides")
        try FileSystem.writeAtomically(Array(merged.serialized(fileName: overridesPath(for: app)).utf8), to: overridesPath(for: app))
    }

    /// Forgets every override for `app` (or the global ones).
    public func resetOverrides(for app: AppID?) throws {
        try FileSystem.removeTree(overridesPath(for: app))
    }

    /// An app's effective permissions: its metadata, then the system
    /// installation's global and per-app overrides, then the user's —
    /// Flatpak's order, so the most specific, most personal setting wins.
    public static func effectiveContext(of app: AppID, metadata: PermissionContext) throws -> PermissionContext {
        var context = metadata
        for installation in [Installation.system(), Installation.user()] {
            context = context.merging(try installation.overrides(for: nil)).merging(try installation.overrides(for: app))
        }
        return context
    }
}
