import Glibc
public import PortalCommon

/// A place apps and runtimes are installed: per user or system-wide.
///
/// On disk (Flatpak's layout, under burrow's own directories):
/// ```
/// repo/                               OSTree repository, bare-user-only
/// app/ID/ARCH/BRANCH/COMMIT/          a deployment: files/, metadata, export/
/// app/ID/ARCH/BRANCH/active -> COMMIT the deployment in use
/// runtime/ID/ARCH/BRANCH/…            the same for runtimes
/// .removed/                           retired deployments awaiting deletion
/// .lock                               flock serializing changes
/// ```
/// A value type of paths: every operation opens what it needs, so an
/// `Installation` can be shared freely. The blocking methods belong on a
/// dedicated thread; the `async` ones (in `Installation+Async.swift`) take
/// care of that.
public struct Installation: Sendable, Hashable {
    public enum Scope: String, Sendable, Hashable {
        case user
        case system
    }

    public var scope: Scope
    /// The installation's base directory.
    public var path: String

    public init(scope: Scope, path: String) {
        self.scope = scope
        self.path = path
    }

    /// `$BURROW_USER_DIR`, else `$XDG_DATA_HOME/burrow`, else
    /// `~/.local/share/burrow`.
    public static func user(environment: [String: String] = processEnvironment) -> Installation {
        if let path = environment["BURROW_USER_DIR"], !path.isEmpty { return Installation(scope: .user, path: path) }
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") {
            return Installation(scope: .user, path: data + "/burrow")
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? homeFromPasswd()
        return Installation(scope: .user, path: home + "/.local/share/burrow")
    }

    /// `$BURROW_SYSTEM_DIR`, else `/var/lib/burrow`.
    public static func system(environment: [String: String] = processEnvironment) -> Installation {
        Installation(scope: .system, path: environment["BURROW_SYSTEM_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/var/lib/burrow")
    }

    /// What the default locations read of the process environment, looked
    /// up one by one (a launch asks for its installations several times;
    /// copying the whole environment each time showed in its profile).
    public static var processEnvironment: [String: String] {
        var result: [String: String] = [:]
        for name in ["BURROW_USER_DIR", "BURROW_SYSTEM_DIR", "XDG_DATA_HOME", "HOME"] {
            if let value = getenv(name) { result[name] = String(cString: value) }
        }
        return result
    }

    public var repositoryPath: String { path + "/repo" }
    package var removedPath: String { path + "/.removed" }

    /// `KIND/ID/ARCH/BRANCH` under the installation. Safe as a path because
    /// every part of a `FlatpakRef` is validated (no `/`, no `..`).
    public func directory(for ref: FlatpakRef) -> String {
        "\(path)/\(ref.kind.rawValue)/\(ref.id.rawValue)/\(ref.arch)/\(ref.branch)"
    }

    // MARK: - What is installed

    /// Every ref with an `active` deployment, apps first, sorted.
    public func installedRefs() throws -> [InstalledRef] {
        var result: [InstalledRef] = []
        for kind in FlatpakRef.Kind.allCases {
            let kindPath = "\(path)/\(kind.rawValue)"
            for id in try FileSystem.entries(of: kindPath) {
                guard let appID = AppID(rawValue: id) else { continue }
                for arch in try FileSystem.entries(of: "\(kindPath)/\(id)") {
                    for branch in try FileSystem.entries(of: "\(kindPath)/\(id)/\(arch)") {
                        // Directories that are not valid ref parts (leftovers,
                        // someone's files) are not refs: skipped, not fatal.
                        guard let ref = try? FlatpakRef(kind: kind, id: appID, arch: arch, branch: branch),
                            let commit = try activeCommit(of: ref)
                        else { continue }
                        // A deployment without its record (made by hand, or
                        // by an older burrow) is still installed; it just
                        // has no known origin to update from.
                        let origin = try? DeployInfo(deploymentPath: directory(for: ref) + "/" + commit).origin
                        result.append(InstalledRef(ref: ref, commit: commit, origin: origin))
                    }
                }
            }
        }
        return result
    }

    /// The installed refs (apps and runtimes) named `id`, without reading
    /// their records: what a launch looks its app up among, at the same
    /// cost however many other refs are installed.
    public func installedRefs(named id: AppID) throws -> [FlatpakRef] {
        var result: [FlatpakRef] = []
        for kind in FlatpakRef.Kind.allCases {
            let idPath = "\(path)/\(kind.rawValue)/\(id.rawValue)"
            for arch in try FileSystem.entries(of: idPath) {
                for branch in try FileSystem.entries(of: "\(idPath)/\(arch)") {
                    guard let ref = try? FlatpakRef(kind: kind, id: id, arch: arch, branch: branch),
                          try activeCommit(of: ref) != nil else { continue }
                    result.append(ref)
                }
            }
        }
        return result
    }

    /// The commit `active` points at, or `nil` when `ref` is not installed.
    public func activeCommit(of ref: FlatpakRef) throws -> String? {
        let link = directory(for: ref) + "/active"
        guard let target = try FileSystem.symbolicLinkTarget(link) else { return nil }
        // Safe because the target becomes a path component: anything but a
        // checksum (`../..`, `/etc`) is a corrupt installation, not a path.
        guard isValidChecksum(target) else {
            throw InstallerError(.invalidContent, "\(link) points at \(target.debugDescription), not a commit")
        }
        return target
    }

    /// The active deployment of `ref`, with its parsed metadata; `nil` when
    /// `ref` is not installed.
    public func deployment(for ref: FlatpakRef) throws -> Deployment? {
        guard let commit = try activeCommit(of: ref) else { return nil }
        return try deployment(for: ref, commit: commit)
    }

    /// A particular deployed commit of `ref` (the Flatpak portal's Spawn
    /// runs the caller's own commit, not the newest).
    public func deployment(for ref: FlatpakRef, commit: String) throws -> Deployment {
        guard isValidChecksum(commit) else { throw InstallerError(.invalidContent, "\(commit.debugDescription) is not a commit") }
        let deploymentPath = directory(for: ref) + "/" + commit
        let metadata = try AppMetadata(keyFile: KeyFile(contentsOfFile: deploymentPath + "/metadata"))
        let info = try? DeployInfo(deploymentPath: deploymentPath)
        return Deployment(
            ref: ref, commit: commit, origin: info?.origin, path: deploymentPath,
            metadata: metadata, installedSize: info?.installedSize)
    }
}

/// The user's home from the passwd database ("/" when there is no entry).
package func homeFromPasswd() -> String {
    guard let entry = getpwuid(getuid()), let directory = entry.pointee.pw_dir else { return "/" }
    return String(cString: directory)
}
