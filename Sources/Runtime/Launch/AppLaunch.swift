import FoundationEssentials
import Glibc
public import PortalCommon

/// One start of an installed app in its sandbox, planned and ready to go:
/// `burrow run` execs it, the Flatpak portal spawns it. Everything the two
/// share — which deployments, which context, the buses, the document
/// store, the instance record, the bwrap command line — is decided here.
public struct AppLaunch: Sendable {
    public struct Request: Sendable {
        public var installation: Installation
        public var app: FlatpakRef
        /// A deployed commit to run instead of the active one (Spawn runs
        /// the caller's own commits).
        public var commit: String?
        public var runtimeCommit: String?
        /// Another runtime than the metadata's (`--runtime=`): the parts
        /// left nil are the metadata's runtime's (or SDK's).
        public var runtimeID: AppID?
        public var runtimeArch: String?
        public var runtimeBranch: String?
        /// The app's SDK instead of its runtime (`--devel`).
        public var useSDK = false
        public var command: String?
        public var arguments: [String] = []
        public var workingDirectory: String?
        /// Grants on top of the app's own (the command line's --socket, …).
        public var extraContext = PermissionContext()
        /// A sub-sandbox: the context starts from nothing, never the app's
        /// metadata or overrides.
        public var sandboxed = false
        /// An empty /app (Spawn's EMPTY_APP).
        public var emptyApp = false
        /// Descriptors the sandbox inherits at their numbers; the plan's own
        /// slots go above them.
        public var forwarded: Set<Int32> = []
        /// Files bound by descriptor (Spawn's sandbox-expose-fd).
        public var fileBinds: [SandboxPlan.FileBind] = []
        /// Start in another sandbox's namespaces (Spawn's SHARE/EXPOSE_PIDS).
        public var parentNamespaces: SandboxPlan.ParentNamespaces?
        /// The accessibility bus, through its proxy (`nil`: none, as with
        /// `--no-a11y-bus` or a sub-sandbox without sandbox-flags 16).
        public var accessibility: AccessibilityBus? = AccessibilityBus()
        /// The environment the launch is decided from: the session's
        /// locale and terminal, bus addresses, HOME, XDG_RUNTIME_DIR.
        public var environment: [String: String]

        public init(installation: Installation, app: FlatpakRef, environment: [String: String]) {
            self.installation = installation
            self.app = app
            self.environment = environment
        }
    }

    public struct AccessibilityBus: Sendable {
        /// Names the sandbox may own on it; each must be the app's ID or
        /// start with it and a dot (checked by `init`).
        public let ownNames: [String]

        public init() { ownNames = [] }

        public init(ownNames: [String], appID: AppID) throws(SandboxError) {
            for name in ownNames where !(name.hasPrefix(appID.rawValue + ".") || name == appID.rawValue) || (try? BusName(name)) == nil {
                throw SandboxError("'\(name)' cannot be owned on the accessibility bus: only names starting with \(appID.rawValue)")
            }
            self.ownNames = ownNames
        }
    }

    public let instance: InstanceRecord
    /// bwrap and its options; the app's command after `--`.
    public let commandLine: [String]
    /// What goes in bwrap's descriptor table, by slot.
    public let descriptors: [Int32: UnixFD]
    public let forwarded: Set<Int32>
    let proxy: DBusProxy.Started?
    /// Grants left out and why, for the launcher to show.
    public let notes: [String]

    /// Plans the launch on the caller's executor. The only wait (asking
    /// the document portal where its store is, when none is mounted yet)
    /// comes first; everything after it, from starting the D-Bus proxy on,
    /// runs on the caller's thread without suspending, so a caller that
    /// then execs does so on the thread that started the proxy (bwrap's
    /// --die-with-parent follows the parent *thread*). `burrow run` calls
    /// it from its main thread: with the store mounted a launch starts no
    /// other thread at all (the pool's first workers were ~0.3 ms of it).
    nonisolated(nonsending) public static func prepare(_ request: Request) async throws -> AppLaunch {
        let runtimeDirectory = SandboxPlan.User.runtimeDirectory(environment: request.environment)
        let mount = await DocumentStoreMount.find(runtimeDirectory: runtimeDirectory, environment: request.environment)
        return try plan(request, documentPortalMount: mount)
    }

    /// `prepare` without the wait, for callers that must run it on a thread
    /// of their choosing: children started here (the D-Bus proxy) die with
    /// the calling thread.
    public static func plan(_ request: Request, documentPortalMount: String?) throws -> AppLaunch {
        let installation = request.installation, appRef = request.app
        guard let active = try installation.deployment(for: appRef) else { throw SandboxError("\(appRef) is not installed") }
        let deployment = try request.commit.map { try installation.deployment(for: appRef, commit: $0) } ?? active
        let named = request.useSDK ? deployment.metadata.sdk : deployment.metadata.runtime
        guard let named else {
            throw SandboxError("\(appRef) names no \(request.useSDK ? "sdk" : "runtime") in its metadata" + (request.useSDK ? "; pass --runtime" : ""))
        }
        let runtimeRef = try FlatpakRef(kind: .runtime, id: request.runtimeID ?? named.id,
                                        arch: request.runtimeArch ?? named.arch, branch: request.runtimeBranch ?? named.branch)
        // The metadata names the runtime exactly: look it up, no pattern search.
        var found: Deployment?
        for candidate in [Installation.user(environment: request.environment), Installation.system(environment: request.environment)]
            where found == nil {
            found = try candidate.deployment(for: runtimeRef)
            if let commit = request.runtimeCommit, found != nil { found = try candidate.deployment(for: runtimeRef, commit: commit) }
        }
        guard let runtime = found else { throw SandboxError("\(appRef.id) needs \(runtimeRef.partial), which is not installed") }
        guard let commandName = request.command ?? deployment.metadata.command else {
            throw SandboxError("\(appRef.id) has no command in its metadata; pass --command")
        }

        let environment = request.environment
        let user = try SandboxPlan.User.current(environment: environment)
        // Metadata, then system and user overrides, then the request's own.
        let base = request.sandboxed ? PermissionContext()
            : try Installation.effectiveContext(of: appRef.id, metadata: deployment.metadata.context)
        let context = base.merging(request.extraContext)
        let instanceID = try InstanceRecord.reserveID(runtimeDirectory: user.runtimeDirectory)
        // A launch that fails from here on leaves no record behind.
        var planned = false
        defer { if !planned { InstanceRecord.remove(id: instanceID, runtimeDirectory: user.runtimeDirectory) } }
        let buses = try SandboxBuses.choose(appID: appRef.id, context: context, instanceID: instanceID,
                                            runtimeDirectory: user.runtimeDirectory, environment: environment,
                                            accessibility: request.accessibility)
        let info = try FlatpakInfo(appID: appRef.id, runtime: runtimeRef, instance: .init(
            instanceID: instanceID, instancePath: "\(user.home)/.var/app/\(appRef.id.rawValue)",
            appPath: deployment.filesPath, appCommit: deployment.commit,
            runtimePath: runtime.filesPath, runtimeCommit: runtime.commit,
            branch: appRef.branch, arch: appRef.arch, flatpakVersion: "1.14.10",
            sessionBusProxy: buses.proxies.contains(where: \.isSessionBus),
            systemBusProxy: buses.proxies.contains { $0.kind == .system }), context: context)
        // Serialized once, for the proxy's sandbox and the instance record.
        let infoBytes = Array(try info.serialized(fileName: "/.flatpak-info").utf8)
        // The proxy starts now and comes up while bwrap builds the sandbox;
        // bwrap's --block-fd holds the app back until it is ready.
        let proxy = buses.proxies.isEmpty ? nil : try DBusProxy.start(proxies: buses.proxies, info: infoBytes)
        // Records of sandboxes that have ended go while the proxy starts
        // (it is the longer way to the app's start). Ours is safe: it has
        // no pid yet, so it has not ended.
        InstanceRecord.removeEnded(runtimeDirectory: user.runtimeDirectory)
        // Display variables are set by the plan, and only for granted sockets.
        let passed = environment.filter { ["LANG", "LANGUAGE", "LC_ALL", "TERM", "COLORTERM"].contains($0.key) }
        var input = SandboxPlan.Input(
            appID: appRef.id, appFiles: request.emptyApp ? nil : deployment.filesPath, runtimeFiles: runtime.filesPath,
            runtimeLayout: try RuntimeLayout.inspect(filesDirectory: runtime.filesPath), info: info, context: context,
            user: user, command: commandName, arguments: request.arguments, environment: passed,
            workingDirectory: request.workingDirectory,
            documentPortalMount: documentPortalMount,
            userInstallation: installation.scope == .user ? installation.path : nil,
            sessionBusSocket: buses.socket, systemBusSocket: buses.systemSocket,
            accessibilityBusSocket: buses.accessibilitySocket,
            hostSockets: .discover(environment: environment, runtimeDirectory: user.runtimeDirectory, granted: context.sockets.granted))
        input.busProxyDirectory = buses.proxyDirectory
        if context.features.contains(.perAppDevShm) && !context.devices.contains(.shm) && !context.devices.contains(.all) {
            input.perAppSharedMemory = try PerAppSharedMemory.open(appID: appRef.id, runtimeDirectory: user.runtimeDirectory)
        }
        input.firstSlot = max(SandboxPlan.firstSlot, (request.forwarded.max() ?? 0) + 4)
        input.fileBinds = request.fileBinds
        input.parentNamespaces = request.parentNamespaces
        let hostPaths = LauncherHostPaths(appDirectory: input.appDataDirectory)
        // The app writes inside its own data directory: what is made in
        // there is made without following links it may have planted.
        let appDirectory = input.appDataDirectory
        for directory in SandboxPlan.hostDirectories(for: input, hostPaths: hostPaths) {
            if directory.hasPrefix(appDirectory + "/") {
                try FileSystem.ensureDirectory(String(directory.dropFirst(appDirectory.count + 1)), inside: appDirectory, mode: 0o700)
            } else {
                try FileSystem.ensureDirectory(directory, mode: 0o700)
            }
        }
        let plan = try SandboxPlan(input, hostPaths: hostPaths)
        let instance = try InstanceRecord.create(id: instanceID, info: infoBytes, runtimeDirectory: user.runtimeDirectory)
        // bwrap writes {"child-pid": N} to --info-fd once the sandbox's
        // first process exists: what flatpak's bwrapinfo.json holds, and
        // what upstream portals read to find the sandbox. Its slot and the
        // proxy's two sit just below the plan's first.
        let infoSlot = input.firstSlot - 1, syncSlot = input.firstSlot - 2, blockSlot = input.firstSlot - 3
        var descriptors = try plan.openDescriptors()
        descriptors[infoSlot] = try instance.openBwrapInfo()
        var commandLine = plan.commandLine()
        commandLine.insert(contentsOf: ["--info-fd", String(infoSlot)], at: 1)
        if let proxy {
            // Not waited for here: bwrap builds the sandbox while the proxy
            // starts (Flatpak waits first, ~13 ms), and --block-fd holds the
            // app back until the proxy's ready byte arrives. If the proxy
            // dies instead, bwrap reads end-of-file and the app starts with
            // no bus at all (nothing listens behind /run/flatpak/bus) —
            // never with an unfiltered one. A proxy already dead is an error.
            try proxy.checkNotFailed()
            descriptors[blockSlot] = try UnixFD.duplicating(proxy.readyAndKeepAlive.withRawDescriptor { $0 })
            // bwrap holds the pipe for the sandbox's lifetime; when the
            // sandbox ends, the pipe closes and the proxy exits.
            descriptors[syncSlot] = proxy.readyAndKeepAlive
            commandLine.insert(contentsOf: ["--block-fd", String(blockSlot), "--sync-fd", String(syncSlot)], at: 1)
        }
        planned = true
        return AppLaunch(instance: instance, commandLine: commandLine, descriptors: descriptors,
                         forwarded: request.forwarded, proxy: proxy, notes: plan.notes)
    }

    /// Becomes bwrap (as `flatpak run` does): bwrap's pid is ours.
    public func exec() throws -> Never {
        do {
            try instance.recordPID(getpid())
            try SandboxExec.replaceProcess(with: commandLine, descriptors: descriptors, forwarded: forwarded)
        } catch {
            instance.discard()
            throw error
        }
    }
}

extension AppLaunch {
    /// Starts bwrap as a child with `inherited` descriptors at their numbers
    /// (unset stdio is /dev/null, never the caller's own); returns its pid.
    /// Call it on the thread that ran `plan`, and one that outlives the
    /// sandbox: bwrap and the proxy die with the thread that started them.
    public func spawn(inherited: [Int32: UnixFD]) throws -> Int32 {
        var table = descriptors
        for (target, fd) in inherited { table[target] = fd }
        for target in Int32(0)...2 where table[target] == nil {
            let null = open("/dev/null", O_RDWR | O_CLOEXEC)
            guard null >= 0 else { throw SandboxError("cannot open /dev/null") }
            table[target] = UnixFD(takingOwnershipOf: null)
        }
        // bwrap gets no variables of the app's: only what it needs to run.
        let pid: Int32
        do {
            pid = try SandboxExec.spawn(commandLine, descriptors: table, environment: ["PATH": "/usr/bin:/bin"])
        } catch {
            instance.discard()
            throw error
        }
        try instance.recordPID(pid)
        return pid
    }
}
