import PortalCommon

/// `org.freedesktop.host.portal.Registry`, version 1: an unsandboxed app
/// tells the portals its app id (`Register(s app_id, a{sv} options)`), once
/// per connection, before its other calls. The id must be valid and name an
/// installed desktop file (`APP_ID.desktop`), as upstream requires: the id
/// is then used for permission-store entries and dialogs.
struct RegistryPortal {
    static let interface = CallerIdentities.registryInterface

    let identities: CallerIdentities
    let entries: DesktopEntries

    var definition: DBusInterface {
        // Host only: the one authorization hook answers NotAllowed for a
        // sandboxed caller, whose id comes from its /.flatpak-info.
        DBusInterface(Self.interface, access: .hostOnly, methods: [
            DBusMethod("Register", in: [.init("app_id", "s"), .init("options", "a{sv}")], .deferred { call in
                let text: String = try call.argument(0)
                _ = try call.argument(1, as: [String: Variant].self)  // no options are defined yet
                if let reason = AppID.invalidityReason(text) {
                    throw PortalError.invalidArgument("cannot register \(text.debugDescription): \(reason)")
                }
                let appID = try AppID(text)
                guard await entries.run({ [appID] in $0.exists(appID.rawValue) }) else {
                    throw PortalError.notFound("""
                        no desktop file \(appID).desktop is installed (looked in $XDG_DATA_HOME and \
                        $XDG_DATA_DIRS /applications); install it before registering \(appID)
                        """)
                }
                try await identities.registerHostApp(appID, for: call.sender)
                return []
            }),
        ], properties: [.version(1)])
    }
}
