/// Who may call a method. Declared per interface (or per method) and checked
/// in exactly one place, `Authorization.authorize`, before any handler runs;
/// portals do not invent their own checks.
public enum AccessPolicy: Sendable, Hashable {
    /// No identification at all: only for calls that reveal and change
    /// nothing about any app (and for the D-Bus layer's own tests).
    case bus
    /// Any identified caller, sandboxed apps included.
    case anyone
    /// Unsandboxed callers only.
    case hostOnly
    /// Sandboxed apps only (the Flatpak portal's Spawn: a host process has
    /// no sandbox to start a sibling of).
    case sandboxedOnly
    /// Unsandboxed callers, and sandboxes whose bus policy explicitly lets
    /// them talk to `name` (or that hold the raw session bus).
    case hostOrTalk(BusName)
}

public enum Authorization {
    /// The single authorization hook. Throws NotAllowed with a message that
    /// says what the app would need.
    public static func authorize(_ caller: AppInfo, policy: AccessPolicy, method: String) throws(PortalError) {
        switch policy {
        case .bus, .anyone:
            return
        case .hostOnly:
            if case .flatpak(let app) = caller {
                throw .notAllowed("\(method) is not available to sandboxed apps (called by \(app.appID.rawValue))")
            }
        case .sandboxedOnly:
            guard case .flatpak = caller else {
                throw .notAllowed("\(method) is only for sandboxed apps; a host process can start programs itself")
            }
        case .hostOrTalk(let name):
            guard case .flatpak(let app) = caller else { return }
            // Safe because the context comes from the sandbox's read-only
            // /.flatpak-info, which the app cannot change.
            if app.info.context.allowsTalk(to: name.rawValue) { return }
            throw .notAllowed("\(app.appID.rawValue) may not call \(method): it needs --talk-name=\(name) or the session bus")
        }
    }
}
