import Glibc
import Synchronization

/// How a daemon identifies callers.
public struct IdentificationOptions: Sendable {
    /// Honour upstream's test variables (`XDG_DESKTOP_PORTAL_TEST_APP_INFO_KIND`,
    /// `…_HOST_APPID`, `…_FLATPAK_METADATA`). Off unless a daemon is started
    /// with `--enable-test-hooks`: the variables alone are not enough, because
    /// any session-bus client can change the D-Bus activation environment.
    public var testHooks: [String: String]?

    public init(testHooks: [String: String]? = nil) {
        self.testHooks = testHooks
    }

    /// Test hooks taken from `environment`, if enabled.
    public static func fromEnvironment(enableTestHooks: Bool, environment: [String: String]) -> Self {
        guard enableTestHooks else { return .init() }
        return .init(testHooks: environment.filter { $0.key.hasPrefix("XDG_DESKTOP_PORTAL_TEST_") })
    }
}

/// Identifies bus peers and remembers the answer per unique name until the
/// peer leaves the bus (unique names are never reused on a bus).
public final class CallerIdentities: Sendable {
    private let options: IdentificationOptions
    private let cache = Mutex<[String: AppInfo]>([:])
    /// Senders that registered a host app id (`registerHostApp`): once each.
    private let registered = Mutex<Set<String>>([])
    /// Senders that made a call other than Register: too late to register.
    private let served = Mutex<Set<String>>([])
    /// The interface whose Register names a host app.
    public static let registryInterface = "org.freedesktop.host.portal.Registry"
    private let connectionRef = Mutex<WeakConnection>(WeakConnection())

    private struct WeakConnection { weak var connection: BusConnection? }

    init(options: IdentificationOptions) {
        self.options = options
    }

    func attach(to connection: BusConnection) {
        connectionRef.withLock { $0.connection = connection }
        connection.onPeerVanished { [weak self] name in
            _ = self?.cache.withLock { $0.removeValue(forKey: name) }
            _ = self?.registered.withLock { $0.remove(name) }
            _ = self?.served.withLock { $0.remove(name) }
        }
    }

    /// Records that `sender` was served through `interface` (called by the
    /// dispatcher for every identified call).
    func noteServed(_ sender: BusName, interface: String) {
        guard interface != Self.registryInterface else { return }
        served.withLock { _ = $0.insert(sender.rawValue) }
    }

    public func cached(_ sender: BusName) -> AppInfo? {
        cache.withLock { $0[sender.rawValue] }
    }

    /// Drops what is known about `sender` (e.g. after a host app registers).
    public func forget(_ sender: BusName) {
        _ = cache.withLock { $0.removeValue(forKey: sender.rawValue) }
    }

    /// `org.freedesktop.host.portal.Registry.Register`: from now on the
    /// unsandboxed `sender` is host app `appID`. Once per connection, as
    /// upstream allows; a sandboxed caller can never be renamed this way
    /// (its id comes from the read-only /.flatpak-info).
    public func registerHostApp(_ appID: AppID, for sender: BusName) async throws(PortalError) {
        let current = try await identify(sender)
        guard case .host = current else {
            throw .notAllowed("only unsandboxed callers can register an app id; \(current) has its own")
        }
        // As upstream: the id must be known before the first call it would
        // apply to, or some of the app's requests would carry none.
        if served.withLock({ $0.contains(sender.rawValue) }) {
            throw .failed("\(sender) already made portal calls without an app id; call Register first, before any other portal call")
        }
        let first = registered.withLock { $0.insert(sender.rawValue).inserted }
        guard first else {
            throw .failed("\(sender) already registered an app id; a connection can register only once")
        }
        cache.withLock { $0[sender.rawValue] = .host(.init(appID: appID.rawValue)) }
    }

    /// Identifies `sender`. Anything that cannot be established is refused
    /// with NotAllowed; no failure ever yields `.host`.
    public func identify(_ sender: BusName) async throws(PortalError) -> AppInfo {
        if let known = cached(sender) { return known }
        let info: AppInfo
        if let hooks = options.testHooks, let kind = hooks["XDG_DESKTOP_PORTAL_TEST_APP_INFO_KIND"] {
            info = try Self.fromTestHooks(kind: kind, hooks)
        } else {
            info = try await identifyFromBus(sender)
        }
        cache.withLock { $0[sender.rawValue] = info }
        return info
    }

    private func identifyFromBus(_ sender: BusName) async throws(PortalError) -> AppInfo {
        guard let connection = connectionRef.withLock({ $0.connection }) else {
            throw .failed("the bus connection is closed")
        }
        let reply = try await connection.call(.init("org.freedesktop.DBus"), "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                              "GetConnectionCredentials", [.string(sender.rawValue)])
        let credentials = try [String: Variant](dbusValue: reply.first ?? .string(""))
        let pidfd: UnixFD
        let pidFromBus: Bool
        if let fd = try credentials.option("ProcessFD", as: UnixFD.self) {
            // dbus-broker hands over the peer's pidfd (SO_PEERPIDFD): no race.
            pidfd = fd
            pidFromBus = true
        } else if let pid = try credentials.option("ProcessID", as: UInt32.self), pid > 0, pid <= UInt32(Int32.max) {
            pidfd = try ProcessRoot.pidfd(for: Int32(pid))
            pidFromBus = false
        } else {
            throw .notAllowed("the bus did not say which process \(sender) is")
        }
        let pid = try ProcessRoot.pid(of: pidfd)
        let finding = try ProcessRoot.inspect(pid: pid)
        let hostUnit = finding.isHost ? ProcessRoot.userUnit(of: pid) : nil

        // Re-check after reading: if the process died meanwhile, what we read
        // may belong to a successor with the same pid.
        guard ProcessRoot.isAlive(pidfd) else {
            throw .notAllowed("the calling process (pid \(pid)) exited during identification")
        }
        if !pidFromBus {
            // pidfd_open(pid) could have caught a new process reusing the pid of
            // a caller that had already gone. A caller still on the bus still
            // holds its socket, so its pid cannot have been reused.
            guard try await connection.nameHasOwner(sender) else {
                throw .notAllowed("\(sender) left the bus during identification")
            }
        }
        switch finding {
        case .noSandboxInfo:
            return .host(.init(appID: hostUnit.flatMap(Self.appID(fromUnit:))))
        case .sandboxInfo(let bytes):
            return .flatpak(try Self.sandboxedApp(from: bytes, source: "/.flatpak-info of pid \(pid)", pidfd: pidfd))
        }
    }

    static func sandboxedApp(from bytes: [UInt8], source: String, pidfd: UnixFD?) throws(PortalError) -> AppInfo.SandboxedApp {
        let info: FlatpakInfo
        do {
            info = try FlatpakInfo(parsing: bytes, fileName: source)
        } catch {
            // Unparseable means "refuse", never "host".
            throw .notAllowed("cannot parse \(source): \(PortalError(error).message)")
        }
        guard let instanceID = info.instance.instanceID, !instanceID.isEmpty else {
            throw .notAllowed("\(source) has no [Instance] instance-id")
        }
        return .init(appID: info.appID, instanceID: instanceID, info: info, pidfd: pidfd)
    }

    static func fromTestHooks(kind: String, _ hooks: [String: String]) throws(PortalError) -> AppInfo {
        switch kind {
        case "host":
            let id = hooks["XDG_DESKTOP_PORTAL_TEST_HOST_APPID"]
            return .host(.init(appID: id?.isEmpty == false ? id : nil))
        case "flatpak":
            guard let path = hooks["XDG_DESKTOP_PORTAL_TEST_FLATPAK_METADATA"] else {
                throw .failed("test hooks: XDG_DESKTOP_PORTAL_TEST_FLATPAK_METADATA is not set")
            }
            let text = try ProcessRoot.readSmallFile(path)
            return .flatpak(try sandboxedApp(from: Array(text.utf8), source: path, pidfd: nil))
        default:
            throw .failed("test hooks: unknown XDG_DESKTOP_PORTAL_TEST_APP_INFO_KIND '\(kind)' (host or flatpak)")
        }
    }

    /// The app id in a systemd user unit name, per the desktop-entry spec's
    /// unit naming: `app-[LAUNCHER-]APPID[@RANDOM].service` or
    /// `app-[LAUNCHER-]APPID-RANDOM.scope`, with `-` in the id escaped `\x2d`.
    static func appID(fromUnit unit: String) -> String? {
        guard unit.hasPrefix("app-") else { return nil }
        var name = Substring(unit.dropFirst(4))
        if name.hasSuffix(".service") {
            name = name.dropLast(8)
            if let at = name.firstIndex(of: "@") { name = name[..<at] }
        } else if name.hasSuffix(".scope") {
            name = name.dropLast(6)
            guard let dash = name.lastIndex(of: "-") else { return nil }
            name = name[..<dash]
        } else {
            return nil
        }
        // What remains is [LAUNCHER-]APPID; real dashes in APPID are escaped.
        let last = name.split(separator: "-", omittingEmptySubsequences: false).last ?? name
        let id = String(last.replacing("\\x2d", with: "-"))
        return AppID(rawValue: id) == nil ? nil : id
    }
}

extension ProcessRoot.Finding {
    var isHost: Bool { if case .noSandboxInfo = self { true } else { false } }
}
