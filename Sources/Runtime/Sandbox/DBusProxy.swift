import CLinux
import Glibc
public import PortalCommon

/// The session-bus proxy of one sandbox: `xdg-dbus-proxy` with Flatpak's
/// default policy plus the app's `[Session Bus Policy]`, run in a small bwrap
/// of its own that carries the app's `/.flatpak-info`.
///
/// Why a sandbox for the proxy: the portals see the *proxy* as the caller
/// (it is the bus peer), and identify callers through
/// `/proc/PID/root/.flatpak-info`. Run on the host, the proxy would make
/// every app look like an unsandboxed host process.
public struct DBusProxy: Sendable {
    public let appID: AppID
    /// The real bus, `unix:path=…` only (checked by `init`).
    public let busAddress: String
    public let busSocket: String
    /// Where the proxy listens on the host; bound at /run/flatpak/bus inside.
    public let proxySocket: String
    public let policy: BusPolicy
    public let kind: Kind
    /// Names a sub-sandbox may own on the accessibility bus (Spawn's
    /// sandbox-a11y-own-names, each checked to start with the app's ID).
    public var accessibilityOwnNames: [String] = []

    /// The session bus gets Flatpak's defaults on top of the app's rules
    /// (own the app's names, reach the portals); the system bus only the
    /// app's rules; the accessibility bus Flatpak's fixed rules.
    public enum Kind: Sendable {
        case session, system, accessibility
    }

    public var isSessionBus: Bool { kind == .session }

    /// `nil` when the address is not a plain `unix:path=` socket (abstract
    /// sockets and TCP cannot be bound into a sandbox).
    public init?(appID: AppID, busAddress: String, proxySocket: String, policy: BusPolicy, kind: Kind = .session) {
        let first = busAddress.split(separator: ";").first.map(String.init) ?? ""
        guard first.hasPrefix("unix:") else { return nil }
        let parameters = first.dropFirst(5).split(separator: ",")
        guard let path = parameters.first(where: { $0.hasPrefix("path=") })?.dropFirst(5), path.hasPrefix("/") else { return nil }
        self.appID = appID
        self.busAddress = first
        busSocket = String(path)
        self.proxySocket = proxySocket
        self.policy = policy
        self.kind = kind
    }

    /// xdg-dbus-proxy's arguments: Flatpak's defaults (own the app's names,
    /// call and hear the portals), then the app's own rules.
    public var proxyArguments: [String] {
        var arguments = [busAddress, proxySocket, "--filter"]
        if kind == .accessibility { return arguments + Self.accessibilityRules + accessibilityOwnNames.map { "--own=\($0)" } }
        if isSessionBus {
            arguments += ["--own=\(appID.rawValue)", "--own=\(appID.rawValue).*",
                          "--call=org.freedesktop.portal.*=*",
                          "--broadcast=org.freedesktop.portal.*=@/org/freedesktop/portal/*"]
        }
        for name in policy.rules.keys.sorted() {
            switch policy.rules[name]! {
            case .none: continue
            case .see: arguments.append("--see=\(name)")
            case .talk: arguments.append("--talk=\(name)")
            case .own: arguments.append("--own=\(name)")
            }
        }
        return arguments
    }

    /// The accessibility bus carries what the user types and reads, so an
    /// app gets only what the toolkit's bridge needs: embedding its tree in
    /// the registry's and learning which events anyone listens to. The same
    /// rules as Flatpak's (with the registry's listener broadcasts); names
    /// are matched sloppily because the registry is reached by unique name.
    static let accessibilityRules: [String] = {
        let registry = "org.a11y.atspi.Registry", controller = "/org/a11y/atspi/registry/deviceeventcontroller"
        return ["--sloppy-names",
                "--broadcast=\(registry).EventListenerRegistered=@/org/a11y/atspi/registry",
                "--broadcast=\(registry).EventListenerDeregistered=@/org/a11y/atspi/registry",
                "--call=\(registry)=org.a11y.atspi.Socket.Embed@/org/a11y/atspi/accessible/root",
                "--call=\(registry)=org.a11y.atspi.Socket.Unembed@/org/a11y/atspi/accessible/root",
                "--call=\(registry)=org.a11y.atspi.Registry.GetRegisteredEvents@/org/a11y/atspi/registry"]
            + ["GetKeystrokeListeners", "GetDeviceEventListeners", "NotifyListenersSync", "NotifyListenersAsync"].map {
                "--call=\(registry)=org.a11y.atspi.DeviceEventController.\($0)@\(controller)"
            }
    }()

    /// The proxy's own sandbox: the host's /usr read-only (xdg-dbus-proxy
    /// and its libraries), the bus socket and the proxy's directory, and the
    /// app's /.flatpak-info from `infoSlot`. Nothing else of the host.
    public func bwrapArguments(infoSlot: Int32) -> [String] {
        let proxyDirectory = FileSystem.parent(of: proxySocket)
        let busDirectory = FileSystem.parent(of: busSocket)
        var arguments = ["--unshare-all", "--share-net", "--die-with-parent", "--ro-bind", "/usr", "/usr"]
        for (link, target) in [("/lib", "usr/lib"), ("/lib64", "usr/lib64"), ("/bin", "usr/bin")] {
            var info = stat()
            if lstat(link, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK { arguments += ["--symlink", target, link] }
            else if stat(link, &info) == 0 { arguments += ["--ro-bind", link, link] }
        }
        arguments += ["--bind", busDirectory, busDirectory, "--bind", proxyDirectory, proxyDirectory,
                      "--ro-bind-data", String(infoSlot), "/.flatpak-info"]
        return arguments
    }

    /// A started proxy: read `ready` to wait for it; hand `keepAlive` to the
    /// sandbox's bwrap (`--sync-fd`): when it closes, the proxy exits.
    public struct Started: Sendable {
        public let pid: Int32
        public let readyAndKeepAlive: UnixFD

        /// Throws when the proxy has already exited without becoming
        /// ready (its end of the pipe is closed and nothing was written);
        /// does not wait, and leaves the ready byte for bwrap's --block-fd.
        public func checkNotFailed() throws(SandboxError) {
            var entry = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
            let result = readyAndKeepAlive.withRawDescriptor { fd in
                entry.fd = fd
                return poll(&entry, 1, 0)
            }
            if result == 1 && entry.revents & Int16(POLLIN) == 0 && entry.revents & Int16(POLLHUP) != 0 {
                throw SandboxError("the D-Bus proxy did not start (see its messages above)")
            }
        }
    }

    /// Starts the proxy without waiting for it: the caller prepares the
    /// sandbox meanwhile and waits only right before exec.
    public func start(info: [UInt8], bwrap: String = "/usr/bin/bwrap", proxy: String = "/usr/bin/xdg-dbus-proxy") throws(SandboxError) -> Started {
        try Self.start(proxies: [self], info: info, bwrap: bwrap, proxy: proxy)
    }

    /// One xdg-dbus-proxy process serving several buses (it takes ADDRESS
    /// PATH pairs), as Flatpak runs it: one process, one sandbox, one pipe.
    public static func start(proxies: [DBusProxy], info: [UInt8], bwrap: String = "/usr/bin/bwrap",
                             proxy: String = "/usr/bin/xdg-dbus-proxy") throws(SandboxError) -> Started {
        guard let first = proxies.first else { throw SandboxError("no bus to proxy") }
        var pipe: [Int32] = [0, 0]
        guard burrow_pipe2(&pipe, O_CLOEXEC) == 0 else { throw SandboxError("pipe: \(String(cString: strerror(errno)))") }
        let ready = UnixFD(takingOwnershipOf: pipe[0])
        let write = UnixFD(takingOwnershipOf: pipe[1])
        let infoFile = try SealedMemoryFile.make(name: "flatpak-info", contents: info)
        let infoSlot: Int32 = 3, syncSlot: Int32 = 4
        var sandbox = first.bwrapArguments(infoSlot: infoSlot)
        for other in proxies.dropFirst() {
            // Each extra bus's socket directory must be reachable too.
            let directory = FileSystem.parent(of: other.busSocket)
            sandbox += ["--bind", directory, directory]
        }
        let argv = [bwrap] + sandbox + ["--", proxy, "--fd=\(syncSlot)"] + proxies.flatMap(\.proxyArguments)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        infoFile.withRawDescriptor { _ = posix_spawn_file_actions_adddup2(&actions, $0, infoSlot) }
        write.withRawDescriptor { _ = posix_spawn_file_actions_adddup2(&actions, $0, syncSlot) }
        // Only stdio and the two slots reach the proxy's sandbox.
        burrow_spawn_addclosefrom(&actions, syncSlot + 1)
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let result = SpawnAttributes.withCleanSignals { posix_spawn(&pid, bwrap, &actions, $0, cArguments, environ) }
        guard result == 0 else { throw SandboxError("cannot start the D-Bus proxy: \(String(cString: strerror(result)))") }
        return Started(pid: pid, readyAndKeepAlive: ready)
    }
}
