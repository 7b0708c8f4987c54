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
    /// for URL and gpg-verify; libostree rewrites the remote's group.
    @available(*, noasync, message: "blocks until done; use the async overload or call it from a thread of its own")
    public func modifyRemote(_ name: String, url: String? = nil, gpgVerify: Bool? = nil, gpgKeyFile: String? = nil) throws {
        try withChangeLock {
            guard let repository = try existingRepository(), repository.remoteNames.contains(name) else {
                throw InstallerError(.unknownRemote, "no remote named \(name.debugDescription)")
            }
            if url != nil || gpgVerify != nil {
                let verify = try gpgVerify ?? repository.remoteRequiresGPG(name)
                try repository.addRemote(name, url: url ?? repository.remoteURL(name),
                                         options: RemoteOptions(gpgVerify: verify, gpgVerifySummary: verify), replacing: true)
            }
            if let gpgKeyFile { try repository.importGPGKeys(remote: name, from: gpgKeyFile) }
        }
    }

    public func modifyRemote(_ name: String, url: String? = nil, gpgVerify: Bool? = nil, gpgKeyFile: String? = nil) async throws {
        try await BlockingWork.run { try modifyRemote(name, url: url, gpgVerify: gpgVerify, gpgKeyFile: gpgKeyFile) }
    }
}
