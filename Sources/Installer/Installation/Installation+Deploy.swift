import Glibc
public import PortalCommon
public import Runtime

/// An install of several refs that failed after some were deployed: the
/// failure, and what is installed now (which a bare error would leave the
/// user to find out with `burrow list`).
public struct PartialInstallError: Error, CustomStringConvertible {
    public let installed: [FlatpakRef]
    public let failure: any Error

    public var description: String {
        "\(failure); installed before it: \(installed.map(\.description).joined(separator: ", "))"
    }
}

extension Installation {
    /// Installs `ref` from `remote`: pulls it into the repository, checks
    /// the commit out as a new deployment and makes it active.
    ///
    /// Refused if `ref` is already installed (use `update`). `progress`
    /// reports the pull.
    @available(*, noasync, message: "blocks until done; use the async overload or call it from a thread of its own")
    public func install(
        _ ref: FlatpakRef, from remote: String, progress: ((PullProgress) -> Void)? = nil
    ) throws -> Deployment {
        try install([ref], from: remote, progress: progress)[0]
    }

    /// Installs `refs` from `remote`, deployed in the order given (a
    /// runtime before the apps that need it): one pull fetches them all —
    /// one fetcher, one repository transaction and its sync, instead of
    /// one each — then each is deployed as `install(_:from:)` does. From a
    /// remote with ed25519 keys the refs are fetched and verified one by
    /// one, and as in a Flatpak transaction those verified before a failure
    /// are still deployed (a runtime whose app turns out badly signed stays
    /// installed) before the failure is reported; otherwise the one pull
    /// succeeds or fails as a whole.
    @available(*, noasync, message: "blocks until done; use the async overload or call it from a thread of its own")
    public func install(
        _ refs: [FlatpakRef], from remote: String, progress: ((PullProgress) -> Void)? = nil
    ) throws -> [Deployment] {
        try withChangeLock {
            let repository = try openOrCreateRepository()
            guard repository.remoteNames.contains(remote) else {
                throw InstallerError(.unknownRemote, "no remote named \(remote.debugDescription)")
            }
            for ref in refs where try activeCommit(of: ref) != nil {
                throw InstallerError(.alreadyInstalled, "\(ref) is already installed")
            }
            let pulled = pull(refs, from: remote, into: repository, progress: progress)
            var deployments: [Deployment] = []
            for (ref, commit) in zip(refs, pulled.commits) {
                deployments.append(try deploy(ref, commit: commit, origin: remote, repository: repository))
            }
            try sweepRemovedDeployments()
            if let failure = pulled.failure {
                guard deployments.isEmpty else { throw PartialInstallError(installed: Array(refs.prefix(deployments.count)), failure: failure) }
                throw failure
            }
            return deployments
        }
    }

    /// Pulls `ref` again from the remote it was installed from and deploys
    /// the result if it is a new commit. The previous deployment is retired
    /// (deleted once no running instance holds it).
    @available(*, noasync, message: "blocks until done; use the async overload or call it from a thread of its own")
    public func update(_ ref: FlatpakRef, progress: ((PullProgress) -> Void)? = nil) throws -> UpdateResult {
        try withChangeLock {
            let repository = try openOrCreateRepository()
            guard let current = try deployment(for: ref) else {
                throw InstallerError(.notInstalled, "\(ref) is not installed")
            }
            guard let origin = current.origin else {
                throw InstallerError(.unknownRemote, "\(ref) has no recorded origin to update from")
            }
            let pulled = pull([ref], from: origin, into: repository, progress: progress)
            if let failure = pulled.failure { throw failure }
            let commit = pulled.commits[0]
            if commit == current.commit { return .upToDate(current) }
            let deployment = try deploy(ref, commit: commit, origin: origin, repository: repository)
            try sweepRemovedDeployments()
            return .updated(from: current.commit, to: deployment)
        }
    }

    /// Removes `ref`: its `active` link first (from then on it is not
    /// installed), then its deployments, its refs in the repository, and
    /// every object nothing else uses.
    @available(*, noasync, message: "blocks until done; use the async overload or call it from a thread of its own")
    public func uninstall(_ ref: FlatpakRef) throws {
        try withChangeLock {
            guard try activeCommit(of: ref) != nil else {
                throw InstallerError(.notInstalled, "\(ref) is not installed")
            }
            let base = directory(for: ref)
            let origins = Set(try FileSystem.entries(of: base).filter(isValidChecksum).compactMap { commit in
                // Best effort: a deployment without its record just has no
                // remote-tracking ref to delete.
                try? DeployInfo(deploymentPath: base + "/" + commit).origin
            })
            if unlink(base + "/active") != 0 { throw FileSystem.fail("cannot remove", base + "/active") }
            try FileSystem.syncDirectory(base)
            for entry in try FileSystem.entries(of: base) {
                try retire(base + "/" + entry)
            }
            // Empty BRANCH, ARCH and ID directories go too; a non-empty one
            // (another branch) stops the walk.
            var directoryToRemove = base
            for _ in 0..<3 {
                guard rmdir(directoryToRemove) == 0 else { break }
                directoryToRemove = FileSystem.parent(of: directoryToRemove)
            }
            if let repository = try existingRepository() {
                try repository.setRef("deploy/\(ref)", to: nil)
                for origin in origins where try repository.resolve("\(origin):\(ref)") != nil {
                    try repository.setRef(ref.description, remote: origin, to: nil)
                }
                try repository.prune()
            }
            try sweepRemovedDeployments()
        }
    }

    // MARK: - Steps

    /// Fetches `refs` from `remote`: the commits they now point at, in the
    /// same order, for a prefix of `refs` — all of them, or those fetched
    /// before `failure`. Each is verified first when the remote requires
    /// ed25519 signatures (one pull per ref: each commit is checked before
    /// the next is fetched); otherwise one pull fetches them all.
    private func pull(
        _ refs: [FlatpakRef], from remote: String, into repository: OSTreeRepository,
        progress: ((PullProgress) -> Void)?
    ) -> (commits: [String], failure: (any Error)?) {
        var commits: [String] = []
        do {
            if let keys = try repository.remoteEd25519Keys(remote) {
                for ref in refs { commits.append(try pullSigned(ref, from: remote, keys: keys, into: repository, progress: progress)) }
                return (commits, nil)
            }
            try repository.pull(from: remote, options: PullOptions(refs: refs.map(\.description)), progress: progress)
            for ref in refs {
                guard let commit = try repository.resolve("\(remote):\(ref)") else {
                    throw InstallerError(.invalidContent, "pulling \(ref) from \(remote) left no ref behind")
                }
                commits.append(commit)
            }
            return (commits, nil)
        } catch {
            return (commits, error)
        }
    }

    /// Deploys `commit` of `ref` and makes it active.
    ///
    /// Crash safety: the tree is checked out into a staging directory beside
    /// the final one, synced, and renamed into place; then `active` is
    /// switched by another rename. Whenever the process dies, `active` names
    /// either the old complete deployment or the new complete one.
    func deploy(_ ref: FlatpakRef, commit: String, origin: String, repository: OSTreeRepository) throws -> Deployment {
        let base = directory(for: ref)
        try FileSystem.makeDirectories(base)
        // Leftovers of a deploy that died (we hold the lock: nobody else's).
        for entry in try FileSystem.entries(of: base) where entry.hasPrefix(".") {
            try FileSystem.removeTree(base + "/" + entry)
        }
        let final = base + "/" + commit
        if !FileSystem.exists(final) {
            let commitObject = try repository.commit(commit)
            try Self.checkBinding(of: commitObject, to: ref)
            var template = Array("\(base)/.deploy-XXXXXX".utf8CString)
            guard let staging = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) })
                .map({ String(cString: $0) })
            else { throw FileSystem.fail("cannot create a staging directory in", base) }
            defer {
                // Best effort: a leftover is removed by the next deploy.
                try? FileSystem.removeTree(staging)
            }
            let tree = staging + "/tree"
            try repository.checkout(commit, to: tree)
            try Self.checkMetadata(in: tree, of: commitObject, for: ref)
            try Self.prepare(tree, for: ref)
            let info = DeployInfo(origin: origin, commit: commit, installedSize: commitObject.metadata.installedSize)
            try FileSystem.writeAtomically(Array(try info.serialized().utf8), to: tree + "/" + DeployInfo.fileName)
            try FileSystem.syncFilesystem(of: tree)
            try FileSystem.rename(tree, to: final)
        }
        let previous = try activeCommit(of: ref)
        try FileSystem.replaceSymbolicLink(base + "/active", target: commit)
        // Keeps the deployed commit's objects from being pruned even when
        // the remote-tracking ref moves on (Flatpak's `deploy/REF`).
        try repository.setRef("deploy/\(ref)", to: commit)
        if let previous, previous != commit {
            try retire(base + "/" + previous)
        }
        return try deployment(for: ref, commit: commit)
    }

    /// A commit must have been published for the ref it is deployed as;
    /// otherwise a remote could serve one app's code under another's name.
    static func checkBinding(of commit: OSTreeCommit, to ref: FlatpakRef) throws(InstallerError) {
        if let published = commit.metadata.flatpakRef, published != ref.description {
            throw InstallerError(
                .invalidContent, "commit \(commit.checksum) was published as \(published), not as \(ref)")
        }
        if let bindings = commit.metadata.refBinding, !bindings.contains(ref.description) {
            throw InstallerError(
                .invalidContent,
                "commit \(commit.checksum) is bound to \(bindings.joined(separator: ", ")), not to \(ref)")
        }
    }

    /// The deployed `metadata` must be exactly the commit's `xa.metadata`
    /// (which is what installers show and decide on before deploying) and
    /// must describe `ref` itself.
    static func checkMetadata(in tree: String, of commit: OSTreeCommit, for ref: FlatpakRef) throws {
        guard let expected = commit.metadata.flatpakMetadata else {
            throw InstallerError(.invalidContent, "commit \(commit.checksum) has no xa.metadata: not a Flatpak commit")
        }
        let path = tree + "/metadata"
        guard FileSystem.isRegularFile(path) else {
            throw InstallerError(.invalidContent, "commit \(commit.checksum) has no metadata file")
        }
        guard FileSystem.isDirectory(tree + "/files") else {
            throw InstallerError(.invalidContent, "commit \(commit.checksum) has no files directory")
        }
        let bytes = try FileSystem.contents(of: path, limit: 1 << 20)
        guard bytes == Array(expected.utf8) else {
            throw InstallerError(.invalidContent, "the metadata of \(ref) does not match its commit's xa.metadata")
        }
        let metadata = try AppMetadata(parsing: bytes, fileName: path)
        guard metadata.kind == ref.kind, metadata.name == ref.id else {
            throw InstallerError(
                .invalidContent, "the metadata of \(ref) describes \(metadata.kind.rawValue) \(metadata.name)")
        }
    }

    /// The changes Flatpak's deploy makes to a fresh checkout.
    static func prepare(_ tree: String, for ref: FlatpakRef) throws(InstallerError) {
        // `files/.ref` is what running instances lock (bwrap --lock-file) so
        // a retired deployment is kept while in use. Replaced, not opened:
        // a commit could ship it as a symlink pointing anywhere.
        try FileSystem.removeTree(tree + "/files/.ref")
        try FileSystem.writeAtomically([], to: tree + "/files/.ref")
        switch ref.kind {
        case .app:
            // Never export binaries onto the host's PATH.
            try FileSystem.removeTree(tree + "/export/bin")
        case .runtime:
            // Runtimes export nothing; and the launcher bind-mounts the
            // host's passwd/group/machine-id over these, which needs plain
            // files to mount onto.
            try FileSystem.removeTree(tree + "/export")
            let etc = tree + "/files/etc"
            if FileSystem.isDirectory(etc) {
                for name in ["passwd", "group", "machine-id"] where !FileSystem.isRegularFile(etc + "/" + name) {
                    try FileSystem.removeTree(etc + "/" + name)
                    try FileSystem.writeAtomically([], to: etc + "/" + name)
                }
                try FileSystem.removeTree(etc + "/resolv.conf")
                if symlink("/run/host/monitor/resolv.conf", etc + "/resolv.conf") != 0 {
                    throw FileSystem.fail("cannot create link", etc + "/resolv.conf")
                }
            }
        }
    }

    // MARK: - Retiring deployments

    /// Moves a deployment out of its ref's directory into `.removed/`, where
    /// it waits until no running instance holds it.
    func retire(_ deploymentPath: String) throws(InstallerError) {
        try FileSystem.makeDirectories(removedPath)
        let name = FileSystem.basename(of: deploymentPath)
        try FileSystem.rename(deploymentPath, to: "\(removedPath)/\(name)-\(FileSystem.randomSuffix())")
    }

    /// Deletes retired deployments that no instance is using.
    public func sweepRemovedDeployments() throws(InstallerError) {
        for entry in try FileSystem.entries(of: removedPath) {
            let path = removedPath + "/" + entry
            if !Self.isInUse(path) { try FileSystem.removeTree(path) }
        }
    }

    /// True while some process holds a lock on the deployment's
    /// `files/.ref` (each sandbox takes a read lock on it for its lifetime).
    static func isInUse(_ deploymentPath: String) -> Bool {
        let fd = open(deploymentPath + "/files/.ref", O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        guard fcntl(fd, F_GETLK, &lock) == 0 else { return true }
        return lock.l_type != Int16(F_UNLCK)
    }
}
