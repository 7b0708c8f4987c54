import PortalCommon

/// Whether a new version of an app asks for nothing its running version
/// lacks. Only grants count: a new version that asks for less is fine.
enum UpdatePermissions {
    /// The grants of `new` that `old` does not give, in Flatpak's words
    /// (empty: the update may go ahead without asking again).
    static func added(by new: PermissionContext, over old: PermissionContext) -> [String] {
        var added: [String] = []
        added += new.shared.granted.subtracting(old.shared.granted).map { "share=\($0.rawValue)" }
        added += new.sockets.granted.subtracting(old.sockets.granted).map { "socket=\($0.rawValue)" }
        added += new.devices.granted.subtracting(old.devices.granted).map { "device=\($0.rawValue)" }
        added += new.features.granted.subtracting(old.features.granted).map { "allow=\($0.rawValue)" }
        for (filesystem, mode) in new.filesystems where mode > (old.filesystems[filesystem] ?? .none) {
            added.append("filesystem=\(filesystem)")
        }
        for (bus, newPolicy, oldPolicy) in [("session", new.sessionBusPolicy, old.sessionBusPolicy),
                                            ("system", new.systemBusPolicy, old.systemBusPolicy)] {
            for (name, level) in newPolicy.rules where level > (oldPolicy.rules[name] ?? .none) {
                added.append("\(bus)-bus \(name)=\(level)")
            }
        }
        return added.sorted()
    }
}
