import CLinux
import Glibc
public import PortalCommon

/// The host as the launcher sees it when planning a sandbox.
///
/// Security: grants outside the app's own directory are the user's choice
/// and are resolved as the user's paths (symlinks included), as Flatpak
/// does. Paths *inside* `~/.var/app/ID` are different: the app itself can
/// write there, so a symlink it planted (say `~/.var/app/ID/.ssh` →
/// `~/.ssh`, reached through a `--persist=.ssh`) must never be followed —
/// the CVE-2024-42472 class. Such paths are walked component by component
/// with `openat(O_NOFOLLOW)` from the app directory and refused if any
/// component is a link, and bwrap binds the descriptor the walk ended on
/// (`--bind-fd`), so a process of the same app running concurrently cannot
/// swap a checked directory for a link before the bind either.
public struct LauncherHostPaths: HostPaths {
    public let appDirectory: String
    public let userDirectories: [PermissionContext.XDGDirectory: String]

    public init(appDirectory: String, userDirectories: [PermissionContext.XDGDirectory: String] = [:]) {
        self.appDirectory = appDirectory
        self.userDirectories = userDirectories
    }

    public func bindSource(for path: String) -> String? {
        if path == appDirectory || path.hasPrefix(appDirectory + "/") {
            return Self.isPlainDirectoryChain(root: appDirectory, relative: String(path.dropFirst(appDirectory.count))) ? path : nil
        }
        var info = stat()
        return stat(path, &info) == 0 ? path : nil
    }

    public func symbolicLinkTarget(at path: String) -> String? {
        (try? FileSystem.symbolicLinkTarget(path)) ?? nil
    }

    public func userDirectory(_ directory: PermissionContext.XDGDirectory) -> String? {
        userDirectories[directory]
    }

    public var rootEntries: [String] {
        guard let dir = opendir("/") else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// The app's own directory and what lies below it are bound by the
    /// descriptor the walk ended on: a concurrent instance of the app cannot
    /// swap a checked directory for a link before bwrap binds it.
    public func openBindSource(for path: String) -> UnixFD? {
        guard path == appDirectory || path.hasPrefix(appDirectory + "/") else { return nil }
        return Self.openPlainChain(root: appDirectory, relative: String(path.dropFirst(appDirectory.count)))
    }

    /// Whether `root/relative` exists with no symbolic link on the way
    /// below `root` (the root itself was created by the launcher).
    static func isPlainDirectoryChain(root: String, relative: String) -> Bool {
        openPlainChain(root: root, relative: relative) != nil
    }

    /// `root/relative` opened O_PATH one component at a time, refusing
    /// links and `..`; nil when anything on the way is missing or a link.
    static func openPlainChain(root: String, relative: String) -> UnixFD? {
        var fd = open(root, burrow_o_path | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        for component in relative.split(separator: "/") where component != "." {
            guard component != ".." else { close(fd); return nil }
            let next = openat(fd, String(component), burrow_o_path | O_NOFOLLOW | O_CLOEXEC)
            close(fd)
            guard next >= 0 else { return nil }
            fd = next
            var info = stat()
            guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) != S_IFLNK else { close(fd); return nil }
        }
        return UnixFD(takingOwnershipOf: fd)
    }
}
