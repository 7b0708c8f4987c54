internal import CGLib
import Glibc
public import PortalCommon
import Runtime

/// Publishing into a repository that any static web server can serve and
/// that both burrow and `flatpak install` read: `build-export` and
/// `build-update-repo`.
public enum Publisher {
    /// What `buildExport` committed.
    public struct Export: Sendable, Hashable {
        public var ref: FlatpakRef
        public var commit: String
    }

    /// Commits a build directory on `KIND/ID/ARCH/BRANCH` in the repository
    /// at `repositoryPath` (created in archive mode if missing), as
    /// `flatpak build-export` does.
    ///
    /// The build directory has Flatpak's layout: `metadata` (a keyfile with
    /// `[Application]` or `[Runtime]`), `files/`, and for apps `export/`.
    /// The commit's tree has the same three entries and nothing else; its
    /// metadata carries `xa.metadata` (the metadata file's exact text),
    /// `xa.ref`, `ostree.ref-binding`, `xa.installed-size` and
    /// `xa.download-size`. One difference: for runtimes Flatpak exports
    /// `usr/` as `files/` unless told `--files=files`; burrow always
    /// exports `files/`.
    ///
    /// `arch` defaults to the arch of the metadata's runtime (or SDK), else
    /// this machine's, as Flatpak decides it. The summary is updated unless
    /// `updateSummary` is false (when exporting several refs in a row).
    /// The commit and the summary are signed with each GPG key in `gpgSign`
    /// and each ed25519 key in `ed25519Sign`.
    public static func buildExport(
        repository repositoryPath: String, buildDirectory: String, branch: String, runtime: Bool = false,
        arch: String? = nil, subject: String? = nil, body: String? = nil, timestamp: UInt64? = nil,
        updateSummary: Bool = true, gpgSign: [String] = [], gpgHomedir: String? = nil,
        ed25519Sign: [Ed25519SecretKey] = []
    ) throws -> Export {
        if let reason = FlatpakRef.branchInvalidityReason(branch) {
            throw InstallerError(.invalidContent, "\(branch.debugDescription) is not a valid branch name: \(reason)")
        }
        let metadataPath = buildDirectory + "/metadata"
        guard FileSystem.isRegularFile(metadataPath), FileSystem.isDirectory(buildDirectory + "/files") else {
            throw InstallerError(
                .invalidContent, "build directory \(buildDirectory) is not initialized: it needs metadata and files/")
        }
        let bytes = try FileSystem.contents(of: metadataPath, limit: 1 << 20)
        // xa.metadata is a GVariant string: UTF-8 without NUL. Checked here
        // so a bad file is refused with a reason instead of a GLib warning.
        if let offset = bytes.firstIndex(of: 0) {
            // A NUL would end the text early for C readers and hide what follows
            // (the CVE-2021-43860 class): refused, whatever comes after it.
            throw InstallerError(.invalidContent, "\(metadataPath) contains a NUL byte at offset \(offset)")
        }
        guard let metadataText = String(validating: bytes, as: UTF8.self) else {
            throw InstallerError(.invalidContent, "\(metadataPath) is not UTF-8 text")
        }
        let metadata = try AppMetadata(parsing: bytes, fileName: metadataPath)
        if runtime && metadata.kind != .runtime {
            throw InstallerError(.invalidContent, "\(metadataPath) describes an application, not a runtime")
        }
        if metadata.kind == .app && !FileSystem.isDirectory(buildDirectory + "/export") {
            throw InstallerError(
                .invalidContent, "build directory \(buildDirectory) is not finalized: it has no export/ (run build-finish)")
        }
        let ref = try FlatpakRef(
            kind: metadata.kind, id: metadata.name,
            arch: arch ?? metadata.runtime?.arch ?? metadata.sdk?.arch ?? FlatpakArch.current, branch: branch)

        let repository = try OSTreeRepository.openOrCreate(at: repositoryPath, mode: .archive)
        var topLevel: Set<String> = ["metadata", "files"]
        if ref.kind == .app { topLevel.insert("export") }
        let commit = try repository.writeCommit(
            of: buildDirectory,
            filter: .init(topLevelNames: topLevel, fixedModes: ["/metadata": 0o644]),
            ref: ref.description,
            subject: subject ?? "Export \(ref.id)",
            body: body ?? "Name: \(ref.id)\nArch: \(ref.arch)\nBranch: \(ref.branch)\nBuilt with: burrow \(BurrowVersion.string)\n",
            timestamp: timestamp
        ) { sizes in
            CommitMetadata([
                CommitMetadata.flatpakMetadataKey: .string(metadataText),
                CommitMetadata.flatpakRefKey: .string(ref.description),
                CommitMetadata.refBindingKey: .strings([ref.description]),
                // Flatpak writes "" when the repository has no collection ID.
                CommitMetadata.collectionBindingKey: .string(repository.configValue("collection-id") ?? ""),
                // Flatpak stores both sizes big-endian.
                CommitMetadata.installedSizeKey: .uint64(sizes.installed.bigEndian),
                CommitMetadata.downloadSizeKey: .uint64(sizes.download.bigEndian),
            ])
        }
        try repository.signCommit(commit, keyIDs: gpgSign, homedir: gpgHomedir)
        try repository.signCommit(commit, ed25519Keys: ed25519Sign)
        if updateSummary {
            try updateRepository(repository, gpgSign: gpgSign, gpgHomedir: gpgHomedir, ed25519Sign: ed25519Sign)
        }
        return Export(ref: ref, commit: commit)
    }

    /// Rewrites the repository's summary with Flatpak's per-ref cache, as
    /// `flatpak build-update-repo` does for clients that read the classic
    /// summary (burrow, and Flatpak when there is no `summary.idx`).
    public static func updateRepository(
        at repositoryPath: String, gpgSign: [String] = [], gpgHomedir: String? = nil, ed25519Sign: [Ed25519SecretKey] = []
    ) throws {
        try updateRepository(
            OSTreeRepository(openingAt: repositoryPath), gpgSign: gpgSign, gpgHomedir: gpgHomedir, ed25519Sign: ed25519Sign)
    }

    /// The summary's metadata gets `xa.cache` — for every app and runtime
    /// ref, its installed size, download size and metadata text, so an
    /// installer can show permissions and find the runtime before pulling —
    /// plus `xa.cache-version` and an empty `xa.sparse-cache`.
    static func updateRepository(
        _ repository: OSTreeRepository, gpgSign: [String] = [], gpgHomedir: String? = nil, ed25519Sign: [Ed25519SecretKey] = []
    ) throws {
        defer {}
        let entryType = g_variant_type_new("a{s(tts)}")
        defer { g_variant_type_free(entryType) }
        let cache = g_variant_builder_new(entryType)!
        defer { g_variant_builder_unref(cache) }
        for (ref, checksum) in try repository.refs(includingRemotes: false).sorted(by: { $0.key < $1.key })
        where ref.hasPrefix("app/") || ref.hasPrefix("runtime/") {
            let metadata = try repository.commit(checksum).metadata
            guard let text = metadata.flatpakMetadata else { continue }
            var fields: [OpaquePointer?] = [
                // Already big-endian in the commit; copied as stored.
                g_variant_new_uint64(guint64(metadata.installedSize?.bigEndian ?? 0)),
                g_variant_new_uint64(guint64(metadata.downloadSize?.bigEndian ?? 0)),
                g_variant_new_string(text),
            ]
            let tuple = fields.withUnsafeMutableBufferPointer { g_variant_new_tuple($0.baseAddress, 3) }
            g_variant_builder_add_value(cache, g_variant_new_dict_entry(g_variant_new_string(ref), tuple))
        }
        let sparseType = g_variant_type_new("a{sa{sv}}")
        defer { g_variant_type_free(sparseType) }
        let sparse = g_variant_new_array(g_variant_type_element(sparseType), nil, 0)!
        try repository.regenerateSummary(additionalMetadata: Variant.dictionary([
            // Flatpak wraps the cache in one more variant ("for historical
            // reasons", says its reader), which it unwraps when reading.
            "xa.cache": .boxing(Variant(taking: g_variant_builder_end(cache))),
            "xa.sparse-cache": Variant(taking: sparse),
            "xa.cache-version": .uint32(UInt32(2).littleEndian),
        ]))
        // The signature covers the summary just written; a stale one would
        // make every verifying client refuse the repository. (libostree
        // deleted the old summary.sig when it wrote the summary; each
        // signer then merges its own entry into the new one.)
        try repository.signSummary(keyIDs: gpgSign, homedir: gpgHomedir)
        try repository.signSummary(ed25519Keys: ed25519Sign)
    }
}
