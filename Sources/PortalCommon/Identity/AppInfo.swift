/// Who is calling, as established from the bus (never from arguments).
public enum AppInfo: Sendable {
    /// An unsandboxed process. The app id is known only when the process runs
    /// in a systemd `app-…` unit or registered through the host Registry.
    case host(HostApp)
    /// A process inside a burrow or Flatpak sandbox.
    case flatpak(SandboxedApp)

    public struct HostApp: Sendable, Hashable {
        public var appID: String?
        public init(appID: String? = nil) { self.appID = appID }
    }

    public struct SandboxedApp: Sendable {
        public let appID: AppID
        public let instanceID: String
        /// The parsed `/.flatpak-info` of the sandbox, context included.
        public let info: FlatpakInfo
        /// A pidfd of the bus peer (for a proxied bus, the proxy in the same
        /// sandbox); nil only under test hooks.
        public let pidfd: UnixFD?

        /// Package-visible: only identification (and tests) make these.
        package init(appID: AppID, instanceID: String, info: FlatpakInfo, pidfd: UnixFD?) {
            self.appID = appID
            self.instanceID = instanceID
            self.info = info
            self.pidfd = pidfd
        }
    }

    /// The app id for permission tables: "" for an unknown host app, as
    /// xdg-desktop-portal stores it.
    public var appID: String {
        switch self {
        case .host(let host): host.appID ?? ""
        case .flatpak(let app): app.appID.rawValue
        }
    }

    public var isSandboxed: Bool {
        if case .flatpak = self { true } else { false }
    }

    public var sandbox: SandboxedApp? {
        if case .flatpak(let app) = self { app } else { nil }
    }
}

extension AppInfo: CustomStringConvertible {
    public var description: String {
        switch self {
        case .host(let host): host.appID.map { "host app \($0)" } ?? "host process"
        case .flatpak(let app): "sandboxed app \(app.appID.rawValue) (instance \(app.instanceID))"
        }
    }
}
