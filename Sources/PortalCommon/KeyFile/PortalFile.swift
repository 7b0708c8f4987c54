/// An xdg-desktop-portal backend description (`*.portal` in
/// `share/xdg-desktop-portal/portals/`), e.g.
///
/// ```
/// [portal]
/// DBusName=org.freedesktop.impl.portal.desktop.gtk
/// Interfaces=org.freedesktop.impl.portal.FileChooser;org.freedesktop.impl.portal.Print;
/// UseIn=gnome
/// ```
///
/// The desktop portal forwards requests to the bus name given here, so a
/// name that is not a valid well-known name, or an interface list it cannot
/// trust, makes the whole file invalid (xdg-desktop-portal skips such files
/// too; burrow's caller decides whether to skip or stop).
public struct PortalFile: Hashable, Sendable, KeyFileDecodable {
    static let group = "portal"
    /// Every backend interface's prefix.
    public static let implPrefix = "org.freedesktop.impl.portal."

    /// The backend's well-known bus name (never a unique `:1.x` name: those
    /// belong to whichever process connected, not to the backend).
    public let dbusName: String
    /// The `org.freedesktop.impl.portal.*` interfaces it implements, in file order; never empty.
    public let interfaces: [String]
    /// Desktop names (`gnome`, `kde`) it is meant for; empty when not given.
    public let useIn: [String]

    /// Validates like parsing; the error names the bad key.
    public init(dbusName: String, interfaces: [String], useIn: [String] = []) throws(KeyFileError) {
        if let reason = DBusNameSyntax.wellKnownNameInvalidityReason(dbusName) {
            throw KeyFileError(group: Self.group, key: "DBusName", message: "invalid bus name \(dbusName.debugDescription): \(reason)")
        }
        if interfaces.isEmpty {
            throw KeyFileError(group: Self.group, key: "Interfaces", message: "must list at least one interface")
        }
        for interface in interfaces {
            if let reason = DBusNameSyntax.interfaceNameInvalidityReason(interface) {
                throw KeyFileError(
                    group: Self.group, key: "Interfaces",
                    message: "invalid interface name \(interface.debugDescription): \(reason)")
            }
            // A backend only ever implements impl interfaces; anything else
            // would let a .portal file claim a frontend name (upstream refuses too).
            guard interface.hasPrefix(Self.implPrefix) else {
                throw KeyFileError(
                    group: Self.group, key: "Interfaces",
                    message: "\(interface.debugDescription) is not a portal backend interface (\(Self.implPrefix)…)")
            }
        }
        for desktop in useIn where desktop.isEmpty || PathSyntax.unsafeCharacterReason(desktop) != nil {
            throw KeyFileError(group: Self.group, key: "UseIn", message: "invalid desktop name \(desktop.debugDescription)")
        }
        self.dbusName = dbusName
        self.interfaces = interfaces
        self.useIn = useIn
    }

    public init(keyFile: KeyFile) throws(KeyFileError) {
        let group = Self.group
        let dbusName = try keyFile.requiredString(forKey: "DBusName", in: group)
        guard let interfaces = try keyFile.stringList(forKey: "Interfaces", in: group) else {
            throw keyFile.error(group: group, key: "Interfaces", "required key is missing")
        }
        let useIn = try keyFile.stringList(forKey: "UseIn", in: group) ?? []
        do {
            try self.init(dbusName: dbusName, interfaces: interfaces, useIn: useIn)
        } catch {
            throw error.located(fileName: keyFile.fileName, group: group, key: nil)
        }
    }

    /// Whether this backend implements `interface`.
    public func implements(_ interface: String) -> Bool {
        interfaces.contains(interface)
    }
}
