public import PortalCommon

/// The sandbox as data: who runs what, with which permissions → an ordered
/// list of `SetupStep`s → bwrap's arguments. Building a plan does no I/O
/// (the host is asked through `HostPaths`), so a plan is tested as a value
/// and the launcher only carries it out.
///
/// How the plan reaches bwrap: its options travel NUL-separated on a
/// descriptor (`bwrap --args FD`), then `--`, then the command and its
/// arguments. Nothing the app or its metadata supplies is ever placed
/// before that `--`, so no argument can be read as a bwrap option (the
/// CVE-2024-32462 class); options carrying such strings (environment,
/// paths) are split by NUL, which no string in a plan may contain.
public struct SandboxPlan: Hashable, Sendable {
    /// The user the sandbox runs for, as the host knows them.
    public struct User: Hashable, Sendable {
        public var uid: UInt32
        public var gid: UInt32
        public var name: String
        /// GECOS full name for `/etc/passwd`; `:` and newlines become spaces.
        public var realName: String
        /// The primary group's name; `nil` when the host has none.
        public var groupName: String?
        public var home: String
        /// The host's `$XDG_RUNTIME_DIR` (sources of `xdg-run/…` grants).
        public var runtimeDirectory: String

        public init(
            uid: UInt32, gid: UInt32, name: String, realName: String = "", groupName: String? = nil,
            home: String, runtimeDirectory: String
        ) {
            self.uid = uid
            self.gid = gid
            self.name = name
            self.realName = realName
            self.groupName = groupName
            self.home = home
            self.runtimeDirectory = runtimeDirectory
        }
    }

    /// Everything a plan is made from.
    public struct Input: Hashable, Sendable {
        public var appID: AppID
        /// The app's deployed `files` directory on the host (`nil`: run the
        /// runtime alone, with an empty `/app`).
        public var appFiles: String?
        /// The runtime's deployed `files` directory on the host.
        public var runtimeFiles: String
        public var runtimeLayout: RuntimeLayout
        /// Becomes `/.flatpak-info`; its context should be `context`.
        public var info: FlatpakInfo
        /// The merged permissions (metadata < overrides < command line);
        /// flattened here, so negations grant nothing.
        public var context: PermissionContext
        public var user: User
        public var command: String
        public var arguments: [String]
        /// The environment to start from (normally the launcher's own);
        /// host-only variables are dropped, see `SandboxPlan+Environment`.
        public var environment: [String: String]
        /// Where the app starts; default the home directory.
        public var workingDirectory: String?
        /// The document portal's FUSE mount on the host
        /// (`$XDG_RUNTIME_DIR/doc`), when it runs.
        public var documentPortalMount: String?
        /// The user's burrow installation, hidden from apps that can see home.
        public var userInstallation: String?
        /// bwrap's --new-session. Off by default, as in Flatpak: the seccomp
        /// filter already refuses TIOCSTI and TIOCLINUX, and a new session
        /// would take job control (^Z, ^C) away from terminal apps.
        public var newSession: Bool
        /// The host socket to offer as the session bus at /run/flatpak/bus:
        /// the app's D-Bus proxy, or the real bus with sockets=session-bus.
        /// `nil`: no session bus at all.
        public var sessionBusSocket: String?
        /// The same for the system bus, offered at /run/dbus/system_bus_socket.
        public var systemBusSocket: String?
        /// The accessibility bus's proxy, offered at
        /// `$XDG_RUNTIME_DIR/at-spi-bus` (Flatpak's place) with AT_SPI_BUS_ADDRESS.
        public var accessibilityBusSocket: String?
        /// The D-Bus proxy's directory, when either socket lies in it. It is
        /// bound whole, read-only, and the bus paths become symlinks into it:
        /// the proxy may still be starting while bwrap builds the sandbox, and
        /// a socket that does not exist yet cannot be bound by itself.
        public var busProxyDirectory: String?
        /// The app's own /dev/shm, open (`--allow=per-app-dev-shm` without
        /// `--device=shm`): bound by descriptor over bwrap's private one.
        public var perAppSharedMemory: UnixFD?
        /// Display, audio and agent sockets found on the host.
        public var hostSockets: HostSockets
        /// The plan's first descriptor slot. Raised above descriptors the
        /// launcher forwards into the sandbox (the Flatpak portal's Spawn
        /// asks for fds at exact numbers), so a slot never lands on one.
        public var firstSlot: Int32 = SandboxPlan.firstSlot
        /// Files bound by descriptor, after every grant (Spawn's
        /// sandbox-expose-fd).
        public var fileBinds: [FileBind] = []
        /// Start inside another sandbox's namespaces instead of new ones.
        public var parentNamespaces: ParentNamespaces?

        public init(
            appID: AppID, appFiles: String?, runtimeFiles: String, runtimeLayout: RuntimeLayout, info: FlatpakInfo,
            context: PermissionContext, user: User, command: String, arguments: [String] = [],
            environment: [String: String] = [:], workingDirectory: String? = nil, documentPortalMount: String? = nil,
            userInstallation: String? = nil, newSession: Bool = false, sessionBusSocket: String? = nil,
            systemBusSocket: String? = nil, accessibilityBusSocket: String? = nil,
            hostSockets: HostSockets = HostSockets()
        ) {
            self.appID = appID
            self.appFiles = appFiles
            self.runtimeFiles = runtimeFiles
            self.runtimeLayout = runtimeLayout
            self.info = info
            self.context = context
            self.user = user
            self.command = command
            self.arguments = arguments
            self.environment = environment
            self.workingDirectory = workingDirectory
            self.documentPortalMount = documentPortalMount
            self.userInstallation = userInstallation
            self.newSession = newSession
            self.sessionBusSocket = sessionBusSocket
            self.systemBusSocket = systemBusSocket
            self.accessibilityBusSocket = accessibilityBusSocket
            self.hostSockets = hostSockets
        }

        /// `~/.var/app/ID`, the app's own directory on the host.
        public var appDataDirectory: String { "\(user.home)/.var/app/\(appID.rawValue)" }

        /// The sandbox's `$XDG_RUNTIME_DIR`, `/run/user/UID`.
        public var sandboxRuntimeDirectory: String { "/run/user/\(user.uid)" }
    }

    /// What bwrap finds in one of its descriptor slots.
    public enum DescriptorContent: Hashable, Sendable {
        case data(name: String, bytes: [UInt8])
        case seccomp(SeccompFilter)
        /// A descriptor handed in (an exposed file), passed on as it is.
        case file(UnixFD)
        /// A host file bwrap copies in (`/etc/hosts`, …), opened read-only
        /// when the descriptors are made.
        case hostFile(path: String)
    }

    /// Another sandbox's namespaces to start in (Spawn's SHARE_PIDS and
    /// EXPOSE_PIDS): its user namespace, and its pid namespace — shared, or
    /// as the parent of a new one.
    public struct ParentNamespaces: Hashable, Sendable {
        public var user: UnixFD
        public var pid: UnixFD
        public var newPIDNamespace: Bool
        public init(user: UnixFD, pid: UnixFD, newPIDNamespace: Bool) {
            self.user = user
            self.pid = pid
            self.newPIDNamespace = newPIDNamespace
        }
    }

    /// A file or directory to bind by descriptor at `destination`.
    public struct FileBind: Hashable, Sendable {
        public var file: UnixFD
        public var destination: String
        public var readOnly: Bool
        public init(file: UnixFD, destination: String, readOnly: Bool) {
            self.file = file
            self.destination = destination
            self.readOnly = readOnly
        }
    }

    public struct Descriptor: Hashable, Sendable {
        public let slot: Int32
        public let content: DescriptorContent
    }

    /// The first descriptor slot a plan uses by default; 0–2 stay stdio,
    /// and the gap leaves the launcher room for its own (bwrap's --info-fd
    /// and --sync-fd, just below the first slot).
    public static let firstSlot: Int32 = 10
    /// Where the D-Bus proxy's directory appears inside the sandbox.
    static let busProxyMount = "/run/flatpak/dbus-proxy"

    public let steps: [SetupStep]
    /// The command and its arguments, after `--`.
    public let command: [String]
    /// Data and filters to place in bwrap's descriptor table.
    public let descriptors: [Descriptor]
    /// Where `argsData()` goes (`bwrap --args SLOT`).
    public let argumentsSlot: Int32
    /// Grants not shared, and why (reserved paths, missing host paths), for
    /// the launcher to log as Flatpak does.
    public let notes: [String]

    public init(_ input: Input, hostPaths: some HostPaths) throws(SandboxError) {
        var builder = Builder(input: input.flattened, hostPaths: hostPaths)
        try builder.build()
        steps = builder.steps
        command = [input.command] + input.arguments
        descriptors = builder.descriptors
        argumentsSlot = input.firstSlot
        notes = builder.notes
        try validate()
    }

    /// bwrap's options, in order (everything before `--`).
    public func bwrapArguments() -> [String] {
        steps.flatMap(\.arguments)
    }

    /// The options for `bwrap --args FD`: each followed by a NUL.
    public func argsData() -> [UInt8] {
        var bytes: [UInt8] = []
        for argument in bwrapArguments() {
            bytes += argument.utf8
            bytes.append(0)
        }
        return bytes
    }

    /// The whole command line: bwrap reads its options from the arguments
    /// slot, and `--` ends them before the app's command.
    public func commandLine(bwrap: String = "/usr/bin/bwrap") -> [String] {
        [bwrap, "--args", String(argumentsSlot), "--"] + command
    }

    /// The directories the launcher creates before planning, so that
    /// `HostPaths` then finds them: the app's data directories, `--persist`
    /// targets, and `:create` grants. Parents come before children.
    public static func hostDirectories(for input: Input, hostPaths: some HostPaths) -> [String] {
        let app = input.appDataDirectory
        let context = input.context.flattened
        var directories = [app, "\(app)/data", "\(app)/config", "\(app)/cache", "\(app)/cache/tmp", "\(app)/.local/state"]
        directories += context.persistent.sorted().map { "\(app)/\($0)" }
        for (location, mode) in context.filesystems.sorted(by: { $0.key < $1.key }) where mode == .create {
            if let path = Builder.hostPath(of: location, user: input.user, hostPaths: hostPaths) {
                directories.append(path)
            }
        }
        return directories
    }

    /// A NUL would split one option into several inside `--args` data (or
    /// truncate an argv entry); no plan may carry one.
    private func validate() throws(SandboxError) {
        for argument in bwrapArguments() + command where argument.utf8.contains(0) {
            throw SandboxError("refusing a sandbox argument containing a NUL byte: \(argument.debugDescription)")
        }
        if command[0].isEmpty {
            throw SandboxError("the sandbox has no command to run")
        }
    }
}

extension SandboxPlan.Input {
    /// The same input with its context flattened: only grants remain.
    var flattened: Self {
        var copy = self
        copy.context = context.flattened
        return copy
    }
}
