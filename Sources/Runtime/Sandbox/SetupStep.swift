/// One operation bwrap performs while building the sandbox, in order: the
/// plan is a list of these, and each maps to exactly one bwrap option.
///
/// bwrap itself starts from an empty tmpfs root in new namespaces; every
/// path below is a path inside the sandbox unless called a source.
/// Descriptor slots are numbers in bwrap's own descriptor table, which the
/// launcher fills before exec (see `SandboxPlan.descriptors`).
public enum SetupStep: Hashable, Sendable, CustomStringConvertible {
    /// Namespaces bwrap creates.
    public struct Namespaces: OptionSet, Hashable, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        public static let user = Namespaces(rawValue: 1 << 0)
        public static let pid = Namespaces(rawValue: 1 << 1)
        public static let ipc = Namespaces(rawValue: 1 << 2)
        public static let network = Namespaces(rawValue: 1 << 3)
        public static let uts = Namespaces(rawValue: 1 << 4)
        public static let cgroup = Namespaces(rawValue: 1 << 5)
    }

    case unshare(Namespaces)
    /// `--disable-userns`: the sandbox's user namespace may not create
    /// more (bwrap sets user.max_user_namespaces to 1 inside).
    case disableUserNamespaces
    case dieWithParent
    case newSession
    case clearEnvironment
    case setEnvironment(String, String)
    case unsetEnvironment(String)
    /// A fresh tmpfs at `path`, with `mode` if given.
    case tmpfs(String, mode: UInt32? = nil)
    case dir(String, mode: UInt32? = nil)
    case roBind(source: String, destination: String)
    case bind(source: String, destination: String)
    /// A POSIX read lock on `path` (inside) for the sandbox's lifetime:
    /// what tells the installer a deployment is still in use.
    case lockFile(String)
    /// A bind that keeps device nodes usable (`/dev/dri`, `--device=all`).
    case devBind(source: String, destination: String)
    case symlink(target: String, path: String)
    /// bwrap's minimal `/dev`: null, zero, full, random, urandom, tty, pts, ptmx, shm.
    case dev(String)
    case proc(String)
    /// A file at `path` holding what bwrap reads from descriptor `slot`
    /// (a copy on the sandbox's root tmpfs: no mount), `mode` if given.
    case file(slot: Int32, path: String, mode: UInt32? = nil)
    /// The data from `slot` bound read-only over `path`.
    case roBindData(slot: Int32, path: String)
    /// The BPF filter in `slot`, installed right before exec.
    case seccomp(slot: Int32)
    /// Binds the file or directory an open descriptor refers to (bwrap
    /// --bind-fd / --ro-bind-fd): no path is resolved on the host.
    case bindFD(slot: Int32, destination: String, readOnly: Bool)
    /// Joins an existing user namespace (--userns) or pid namespace
    /// (--pidns; with --unshare-pid, the new one's parent).
    case joinUserNamespace(slot: Int32)
    case joinPIDNamespace(slot: Int32)
    case chdir(String)

    /// The bwrap options for this step.
    public var arguments: [String] {
        switch self {
        case .unshare(let namespaces):
            var options: [String] = []
            if namespaces.contains(.user) { options.append("--unshare-user") }
            if namespaces.contains(.pid) { options.append("--unshare-pid") }
            if namespaces.contains(.ipc) { options.append("--unshare-ipc") }
            if namespaces.contains(.network) { options.append("--unshare-net") }
            if namespaces.contains(.uts) { options.append("--unshare-uts") }
            if namespaces.contains(.cgroup) { options.append("--unshare-cgroup") }
            return options
        case .disableUserNamespaces: return ["--disable-userns"]
        case .dieWithParent: return ["--die-with-parent"]
        case .newSession: return ["--new-session"]
        case .clearEnvironment: return ["--clearenv"]
        case .setEnvironment(let name, let value): return ["--setenv", name, value]
        case .unsetEnvironment(let name): return ["--unsetenv", name]
        case .tmpfs(let path, let mode): return Self.perms(mode) + ["--tmpfs", path]
        case .dir(let path, let mode): return Self.perms(mode) + ["--dir", path]
        case .roBind(let source, let destination): return ["--ro-bind", source, destination]
        case .bind(let source, let destination): return ["--bind", source, destination]
        case .devBind(let source, let destination): return ["--dev-bind", source, destination]
        case .symlink(let target, let path): return ["--symlink", target, path]
        case .dev(let path): return ["--dev", path]
        case .proc(let path): return ["--proc", path]
        case .file(let slot, let path, let mode): return Self.perms(mode) + ["--file", String(slot), path]
        case .roBindData(let slot, let path): return ["--ro-bind-data", String(slot), path]
        case .seccomp(let slot): return ["--seccomp", String(slot)]
        case .bindFD(let slot, let destination, let readOnly): return [readOnly ? "--ro-bind-fd" : "--bind-fd", String(slot), destination]
        case .joinUserNamespace(let slot): return ["--userns", String(slot)]
        case .joinPIDNamespace(let slot): return ["--pidns", String(slot)]
        case .lockFile(let path): return ["--lock-file", path]
        case .chdir(let path): return ["--chdir", path]
        }
    }

    public var description: String { arguments.joined(separator: " ") }

    /// `--perms` applies to the next --dir/--tmpfs/--file only (bwrap ≥ 0.5).
    private static func perms(_ mode: UInt32?) -> [String] {
        guard let mode else { return [] }
        let octal = String(mode, radix: 8)
        return ["--perms", String(repeating: "0", count: max(0, 4 - octal.count)) + octal]
    }
}
