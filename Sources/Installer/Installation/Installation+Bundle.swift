import FoundationEssentials
import Glibc
public import PortalCommon
public import Runtime

extension Installation {
    /// Installs a single-file bundle (`flatpak build-bundle`'s or
    /// `burrow build-bundle`'s format).
    ///
    /// Nothing in the file is trusted on the way in: it is unpacked into a
    /// scratch repository inside the installation, its signature checked
    /// there when it carries keys, and its objects then *pulled* into the
    /// installation with the same checks as any pull (no setuid, devices or
    /// world-writable files; every object verified). The bundled metadata
    /// must be the commit's own. Updates come from the bundle's
    /// `--repo-url` through a remote named `ID-origin`, as with flatpak.
    @available(*, noasync, message: "blocks until done; call it from a thread of its own")
    public func installBundle(_ file: String) throws -> Deployment {
        let header = try OSTreeRepository.readBundleHeader(file)
        let ref = try FlatpakRef(parsing: header.ref)
        return try withChangeLock {
            let repository = try openOrCreateRepository()
            if try activeCommit(of: ref) != nil {
                throw InstallerError(.alreadyInstalled, "\(ref) is already installed")
            }
            var template = Array("\(path)/.bundle-XXXXXX".utf8CString)
            guard let scratchPath = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }).map({ String(cString: $0) })
            else { throw FileSystem.fail("cannot create a scratch directory in", path) }
            defer { try? FileSystem.removeTree(scratchPath) }
            let scratch = try OSTreeRepository.create(at: scratchPath + "/repo", mode: .archive)
            try scratch.importBundle(file, header: header)

            let commit = try scratch.commit(header.commit)
            try Self.checkBinding(of: commit, to: ref)
            if let bundled = header.metadata, bundled != commit.metadata.flatpakMetadata {
                throw InstallerError(.invalidContent, "the bundle's metadata is not its commit's: refusing \(file)")
            }
            let remote = ref.id.rawValue + "-origin"
            var keysFile: String?
            if let keys = header.gpgKeys {
                keysFile = scratchPath + "/keys.gpg"
                try Data(keys).write(to: URL(fileURLWithPath: keysFile!))
                try scratch.addRemote("bundle", url: "file:///", options: RemoteOptions(gpgVerify: true, gpgVerifySummary: false))
                _ = try scratch.importGPGKeys(remote: "bundle", from: keysFile!)
                try scratch.verifyCommit(header.commit, remote: "bundle")
            }
            // An origin remote that requires ed25519 signatures (added with
            // keys before, or given them by remote-modify) holds the bundle to
            // them as well: a bundle carries its commit's detached metadata.
            if repository.remoteNames.contains(remote), let keys = try repository.remoteEd25519Keys(remote) {
                try scratch.verifyCommit(header.commit, ref: header.ref, ed25519Keys: keys)
            }

            try repository.pull(from: "file://" + scratchPath + "/repo", options: PullOptions(refs: [header.ref], verifyLocalObjects: true))
            if !repository.remoteNames.contains(remote) {
                // xa.noenumerate: the remote exists for this app's updates,
                // not to list what else its URL serves.
                let options = RemoteOptions(gpgVerify: keysFile != nil, gpgVerifySummary: false,
                                            extra: ["xa.noenumerate": "true"])
                try repository.addRemote(remote, url: header.origin ?? "", options: options)
                if let keysFile { _ = try repository.importGPGKeys(remote: remote, from: keysFile) }
            }
            try repository.setRef(header.ref, remote: remote, to: header.commit)
            try repository.setRef(header.ref, to: nil)
            let deployment = try deploy(ref, commit: header.commit, origin: remote, repository: repository)
            try sweepRemovedDeployments()
            return deployment
        }
    }

    /// A bundle of `ref` from the repository at `repositoryPath`, written
    /// to `file` (what `flatpak build-bundle` writes).
    public static func writeBundle(repository repositoryPath: String, ref: FlatpakRef, to file: String, origin: String?,
                                   runtimeRepository: String?, gpgKeysFile: String?) throws {
        let repository = try OSTreeRepository(openingAt: repositoryPath)
        guard let commit = try repository.resolve(ref.description) else {
            throw InstallerError(.notInstalled, "\(repositoryPath) has no \(ref)")
        }
        let keys = try gpgKeysFile.map { path -> [UInt8] in
            guard let data = FileManager.default.contents(atPath: path) else {
                throw InstallerError(.invalidContent, "cannot read the GPG keys in \(path)")
            }
            return Array(data)
        }
        try repository.writeBundle(commit: commit, ref: ref.description, metadata: try repository.commit(commit).metadata.flatpakMetadata,
                                   origin: origin, runtimeRepository: runtimeRepository, gpgKeys: keys, to: file)
    }
}
