public import PortalCommon
public import Runtime

// The installation's changes block (the lock, pulls, checkouts, syncfs);
// these run them on a thread of their own so async callers never block the
// cooperative pool. Progress is reported from that thread.
extension Installation {
    public func install(
        _ ref: FlatpakRef, from remote: String, progress: (@Sendable (PullProgress) -> Void)? = nil
    ) async throws -> Deployment {
        try await BlockingWork.run { try install(ref, from: remote, progress: progress) }
    }

    public func install(
        _ refs: [FlatpakRef], from remote: String, progress: (@Sendable (PullProgress) -> Void)? = nil
    ) async throws -> [Deployment] {
        try await BlockingWork.run { try install(refs, from: remote, progress: progress) }
    }

    public func update(_ ref: FlatpakRef, progress: (@Sendable (PullProgress) -> Void)? = nil) async throws
        -> UpdateResult
    {
        try await BlockingWork.run { try update(ref, progress: progress) }
    }

    public func uninstall(_ ref: FlatpakRef) async throws {
        try await BlockingWork.run { try uninstall(ref) }
    }

    public func addRemote(
        _ name: String, url: String, options: RemoteOptions = RemoteOptions(), ifNotExists: Bool = false,
        gpgKeyFile: String? = nil
    ) async throws {
        try await BlockingWork.run {
            try addRemote(name, url: url, options: options, ifNotExists: ifNotExists, gpgKeyFile: gpgKeyFile)
        }
    }

    public func removeRemote(_ name: String) async throws {
        try await BlockingWork.run { try removeRemote(name) }
    }

    public func remoteSummary(_ name: String) async throws -> RemoteSummary {
        try await BlockingWork.run { try remoteSummary(name) }
    }
}

extension Installation {
    /// Changes a remote's URL, its signature checking, or adds a key to its
    /// keyring (`remote-modify`). Other settings are kept as they are only
    /// for URL, gpg-verify and the ed25519 keys; libostree rewrites the
    /// remote's group. `ed25519Keys` replaces the remote's keys (`[]`: no
    /// ed25519 check); `nil` keeps them.
    @available(*, noasync, message: "blocks until done; use the async overload or call it from a thread of its own")
    public func modifyRemote(
        _ name: String, url: String? = nil, gpgVerify: Bool? = nil, gpgKeyFile: String? = nil,
        ed25519Keys: [Ed25519PublicKey]? = nil
    ) throws {
        try withChangeLock {
            guard let repository = try existingRepository(), repository.remoteNames.contains(name) else {
                throw InstallerError(.unknownRemote, "no remote named \(name.debugDescription)")
            }
            if url != nil || gpgVerify != nil {
                let verify = try gpgVerify ?? repository.remoteRequiresGPG(name)
                var options = RemoteOptions(gpgVerify: verify, gpgVerifySummary: verify)
                // Carried over: dropping them with the old group would turn
                // the remote's ed25519 check off without anyone asking.
                if let keys = try repository.remoteEd25519Keys(name) { options.requireEd25519(keys) }
                try repository.addRemote(name, url: url ?? repository.remoteURL(name), options: options, replacing: true)
            }
            if let ed25519Keys { try repository.setRemoteEd25519Keys(ed25519Keys, for: name) }
            if let gpgKeyFile { try repository.importGPGKeys(remote: name, from: gpgKeyFile) }
        }
    }

    public func modifyRemote(
        _ name: String, url: String? = nil, gpgVerify: Bool? = nil, gpgKeyFile: String? = nil,
        ed25519Keys: [Ed25519PublicKey]? = nil
    ) async throws {
        try await BlockingWork.run {
            try modifyRemote(name, url: url, gpgVerify: gpgVerify, gpgKeyFile: gpgKeyFile, ed25519Keys: ed25519Keys)
        }
    }
}
