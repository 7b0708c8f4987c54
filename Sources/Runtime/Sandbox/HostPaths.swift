public import PortalCommon

/// What the sandbox plan may know about the host, asked through one
/// interface so that the plan itself does no I/O and a launcher decides how
/// each path is looked at.
///
/// Security: a grant names a host path, and the app can often write to the
/// directories on the way there (`~/.var/app/ID/…`, a `--persist` target,
/// `xdg-download`). A real implementation must therefore not hand bwrap a
/// path string to resolve later: it opens each path component by component
/// without following links the app could have planted, keeps the fd, and
/// answers with a stand-in such as `/proc/self/fd/N` for that fd (the
/// CVE-2024-42472 class: a symlink planted in a persistent directory made
/// Flatpak bind an arbitrary host directory).
public protocol HostPaths: Sendable {
    /// What bwrap should bind for the absolute, normalized host `path`, or
    /// `nil` when there is nothing there to share (a missing grant is
    /// skipped, as Flatpak skips it).
    func bindSource(for path: String) -> String?

    /// The target of `path` when it is a symbolic link (a usr-merged
    /// host's `/bin` → `usr/bin`), else `nil`.
    func symbolicLinkTarget(at path: String) -> String?

    /// Where an `xdg-*` location is on the host: a user directory from
    /// `user-dirs.dirs` (`xdg-download` → `~/Downloads`) or a base directory
    /// (`xdg-config` → `~/.config`, `xdg-run` → `$XDG_RUNTIME_DIR`); `nil`
    /// when unconfigured.
    func userDirectory(_ directory: PermissionContext.XDGDirectory) -> String?

    /// The names in the host's `/`, for `filesystems=host`.
    var rootEntries: [String] { get }

    /// An `O_PATH` descriptor of what `path` names, for paths the app can
    /// change (its own directory): bwrap then binds exactly that inode
    /// (--bind-fd) instead of resolving the path again. `nil`: bind by path.
    func openBindSource(for path: String) -> UnixFD?
}

extension HostPaths {
    public func openBindSource(for path: String) -> UnixFD? { nil }
}

/// `HostPaths` from a fixed description: which paths exist, where the
/// user's directories are. For tests, and for trees nobody untrusted can
/// write to; it answers with the path itself, so it is only as safe as
/// the host path stays between planning and bwrap's bind.
public struct HostPathSnapshot: HostPaths, Hashable {
    public var existingPaths: Set<String>
    public var symbolicLinks: [String: String]
    public var userDirectories: [PermissionContext.XDGDirectory: String]
    public var rootEntries: [String]

    public init(
        existingPaths: Set<String> = [], symbolicLinks: [String: String] = [:],
        userDirectories: [PermissionContext.XDGDirectory: String] = [:], rootEntries: [String] = []
    ) {
        self.existingPaths = existingPaths
        self.symbolicLinks = symbolicLinks
        self.userDirectories = userDirectories
        self.rootEntries = rootEntries
    }

    public func bindSource(for path: String) -> String? {
        existingPaths.contains(path) ? path : nil
    }

    public func symbolicLinkTarget(at path: String) -> String? {
        symbolicLinks[path]
    }

    public func userDirectory(_ directory: PermissionContext.XDGDirectory) -> String? {
        userDirectories[directory]
    }
}
