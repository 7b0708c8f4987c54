import Glibc
import PortalCommon
public import Runtime

/// The installation's OSTree repository and its remotes. Kept apart from
/// `Installation` itself (in Runtime) so that running an app never loads
/// libostree: only installing, updating and publishing do.
extension Installation {
    // MARK: - Repository

    /// The repository, created (bare-user-only, like every Flatpak
    /// installation) on first use.
    func openOrCreateRepository() throws(OSTreeError) -> OSTreeRepository {
        let isNew = access(repositoryPath + "/config", F_OK) != 0
        let repository = try OSTreeRepository.openOrCreate(at: repositoryPath, mode: .bareUserOnly)
        if isNew {
            // Flatpak keeps 500 MB free rather than libostree's default 3%:
            // a pull refuses to fill the disk, and fails with a clear error.
            try repository.setConfigValue("500MB", forKey: "min-free-space-size")
        }
        return repository
    }

    /// The repository if one exists (read-only operations never create one).
    func existingRepository() throws(OSTreeError) -> OSTreeRepository? {
        guard access(repositoryPath + "/config", F_OK) == 0 else { return nil }
        return try OSTreeRepository(openingAt: repositoryPath)
    }

    /// Runs `body` holding the installation's lock, creating the
    /// installation directory first if needed.
    func withChangeLock<T>(_ body: () throws -> T) throws -> T {
        try FileSystem.makeDirectories(path)
        let lock = try InstallationLock(installationPath: path)
        defer { lock.holdUntilHere() }
        return try body()
    }

    // MARK: - Remotes

    /// A configured remote.
    public struct Remote: Sendable, Hashable {
        public var name: String
        public var url: String
        public var gpgVerify: Bool
        /// Requires ed25519 signatures by keys of its own.
        public var verifiesEd25519: Bool
    }

    @available(*, noasync, message: "blocks until done; use the async overload or call it from a thread of its own")
    public func addRemote(
        _ name: String, url: String, options: RemoteOptions = RemoteOptions(), ifNotExists: Bool = false,
        gpgKeyFile: String? = nil
    ) throws {
        try withChangeLock {
            let repository = try openOrCreateRepository()
            if ifNotExists && repository.remoteNames.contains(name) { return }
            try repository.addRemote(name, url: url, options: options)
            if let gpgKeyFile {
                do {
                    try repository.importGPGKeys(remote: name, from: gpgKeyFile)
                } catch {
                    // No half-configured remote that verifies against nothing.
                    try? repository.removeRemote(name)
                    throw error
                }
            }
        }
    }

    /// Deletes a remote, the refs fetched from it and the objects only they
    /// used. Refused while an installed ref came from it: updates would
    /// have nowhere to go.
    @available(*, noasync, message: "blocks until done; use the async overload or call it from a thread of its own")
    public func removeRemote(_ name: String) throws {
        try withChangeLock {
            let repository = try openOrCreateRepository()
            guard repository.remoteNames.contains(name) else {
                throw InstallerError(.unknownRemote, "no remote named \(name.debugDescription)")
            }
            let users = try installedRefs().filter { $0.origin == name }.map(\.ref.description)
            if !users.isEmpty {
                throw InstallerError(
                    .remoteInUse, "remote \(name.debugDescription) is used by installed refs: \(users.joined(separator: ", "))")
            }
            try repository.removeRemote(name)
            for ref in try repository.refs(withPrefix: name + ":").keys {
                try repository.setRef(String(ref.dropFirst(name.count + 1)), remote: name, to: nil)
            }
            // Objects fetched from it and used by nothing installed go too.
            try repository.prune()
        }
    }

    public func remotes() throws -> [Remote] {
        guard let repository = try existingRepository() else { return [] }
        return try repository.remoteNames.map { name in
            Remote(name: name, url: try repository.remoteURL(name), gpgVerify: try repository.remoteRequiresGPG(name),
                   verifiesEd25519: try repository.remoteEd25519Keys(name) != nil)
        }
    }

    /// What remote `name` offers, from its (verified) summary.
    @available(*, noasync, message: "blocks until done; use the async overload or call it from a thread of its own")
    public func remoteSummary(_ name: String) throws -> RemoteSummary {
        guard let repository = try existingRepository(), repository.remoteNames.contains(name) else {
            throw InstallerError(.unknownRemote, "no remote named \(name.debugDescription)")
        }
        return try repository.fetchSummary(of: name)
    }
}
