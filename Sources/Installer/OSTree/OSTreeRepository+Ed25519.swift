import Runtime
internal import CGLib
internal import COSTree
import Glibc

/// OSTree-sign ed25519 signatures, written and checked by burrow with
/// libsodium in the bytes `ostree sign` uses (Debian's libostree has no
/// ed25519 engine; see Signing/Ed25519.swift).
///
/// - A commit's signature covers the commit object's serialized GVariant
///   (the bytes of `objects/XX/….commit`) and lives in its detached metadata.
/// - The summary's covers the bytes of `summary` and lives in `summary.sig`.
extension OSTreeRepository {
    /// Signs `commit` with each key, appending to its detached metadata
    /// (GPG signatures already there are kept).
    public func signCommit(_ commit: String, ed25519Keys keys: [Ed25519SecretKey]) throws {
        guard !keys.isEmpty else { return }
        let signed = try Ed25519Signatures.appending(
            signaturesOf: try commitBytes(commit), by: keys, to: try detachedMetadata(of: commit))
        try OSTreeError.check("writing the ed25519 signature of commit \(commit.prefix(12))") { error in
            signed.withRaw { ostree_repo_write_commit_detached_metadata(raw, commit, $0, nil, error) }
        }
    }

    /// Signs the `summary` file as it is now (call after regenerating it),
    /// merging into `summary.sig` beside any GPG signatures.
    public func signSummary(ed25519Keys keys: [Ed25519SecretKey]) throws {
        guard !keys.isEmpty else { return }
        let summary = try FileSystem.contents(of: path + "/summary", limit: Self.summarySizeLimit)
        let signaturesPath = path + "/summary.sig"
        let existing: Variant? = FileSystem.exists(signaturesPath)
            ? try Self.signatureDictionary(FileSystem.contents(of: signaturesPath, limit: Self.summarySizeLimit))
            : nil
        let signed = try Ed25519Signatures.appending(signaturesOf: summary, by: keys, to: existing)
        // Written in normal form, as libostree writes it; the rename makes
        // the new summary.sig appear whole to a web server reading it.
        let normal = signed.withRaw { Variant(taking: g_variant_get_normal_form($0)) }
        try FileSystem.writeAtomically(normal.serializedBytes, to: signaturesPath)
    }

    /// Requires `commit`, already in this repository, to carry a valid
    /// signature by one of `keys`; `ref` names it in the error.
    public func verifyCommit(_ commit: String, ref: String, ed25519Keys keys: [Ed25519PublicKey]) throws {
        try Ed25519Signatures.requireValid(
            of: try commitBytes(commit), in: try detachedMetadata(of: commit), by: keys,
            subject: "commit \(commit.prefix(12))… of \(ref)", missing: "it carries no detached signatures")
    }

    /// Requires `summary` to be signed in `signatures` (the bytes of
    /// summary.sig, `nil` when the remote serves none) by one of `keys`.
    static func verifySummary(
        _ summary: [UInt8], signatures: [UInt8]?, remote: String, ed25519Keys keys: [Ed25519PublicKey]
    ) throws(SignatureError) {
        try Ed25519Signatures.requireValid(
            of: summary, in: signatures.map(signatureDictionary), by: keys,
            subject: "the summary of remote \(remote.debugDescription)", missing: "the remote serves no summary.sig")
    }

    /// `verifySummary` on what `ostree_repo_remote_fetch_summary_with_options`
    /// returned (`GBytes`). On failure libostree's cached copy of the
    /// remote's summary goes: libostree reuses its cached summary whenever
    /// summary.sig is unchanged, so a forged summary served once beside the
    /// real summary.sig would otherwise be refused on every later fetch,
    /// even once the server is honest again.
    func verifySummary(
        _ summary: OpaquePointer, signatures: OpaquePointer?, of remote: String, keys: [Ed25519PublicKey]
    ) throws(SignatureError) {
        do {
            try Self.verifySummary(
                byteArray(summary), signatures: signatures.map(byteArray), remote: remote, ed25519Keys: keys)
        } catch {
            for suffix in ["", ".sig"] {
                // Best effort: a cache that is not there (or not ours to
                // change) cannot serve the forged copy to us either.
                _ = unlink(path + "/tmp/cache/summaries/" + remote + suffix)
            }
            throw error
        }
    }

    // MARK: - The signed bytes and where signatures live

    /// Summaries of large repositories run to tens of megabytes; libostree
    /// itself refuses metadata past this when fetching.
    static let summarySizeLimit = 128 << 20

    /// The commit object exactly as stored, which is what a signature covers.
    func commitBytes(_ commit: String) throws(OSTreeError) -> [UInt8] {
        try OSTreeError.check("reading commit \(commit.debugDescription)") { ostree_validate_checksum_string(commit, $0) }
        var variant: OpaquePointer?
        try OSTreeError.check("reading commit \(commit)") {
            ostree_repo_load_variant(raw, OSTREE_OBJECT_TYPE_COMMIT, commit, &variant, $0)
        }
        // A loaded object is the file's own serialized data, unnormalized:
        // what libostree's `ostree sign` signs (g_variant_get_data_as_bytes).
        return Variant(taking: variant!).serializedBytes
    }

    /// The commit's detached metadata (`a{sv}`), `nil` when it has none.
    func detachedMetadata(of commit: String) throws(OSTreeError) -> Variant? {
        var metadata: OpaquePointer?
        try OSTreeError.check("reading the detached metadata of commit \(commit.prefix(12))") {
            ostree_repo_read_commit_detached_metadata(raw, commit, &metadata, nil, $0)
        }
        return metadata.map { Variant(taking: $0) }
    }

    /// `a{sv}` over untrusted bytes: GLib checks every access against the
    /// buffer, so a malformed summary.sig reads as entries that do not
    /// verify, never as memory outside it.
    static func signatureDictionary(_ bytes: [UInt8]) -> Variant {
        let type = g_variant_type_new("a{sv}")
        defer { g_variant_type_free(type) }
        let data = bytes.withUnsafeBytes { g_bytes_new($0.baseAddress, gsize($0.count)) }
        defer { g_bytes_unref(data) }
        return Variant(taking: g_variant_new_from_bytes(type, data, 0))
    }
}

/// The bytes of a `GBytes` the caller still owns.
private func byteArray(_ bytes: OpaquePointer) -> [UInt8] {
    var size: gsize = 0
    guard let data = g_bytes_get_data(bytes, &size), size > 0 else { return [] }
    return Array(UnsafeRawBufferPointer(start: data, count: Int(size)))
}

extension Variant {
    /// The value's serialized bytes (for a value loaded from disk or the
    /// network: exactly those bytes).
    var serializedBytes: [UInt8] {
        withRaw { raw in
            let size = Int(g_variant_get_size(raw))
            guard size > 0, let data = g_variant_get_data(raw) else { return [] }
            return Array(UnsafeRawBufferPointer(start: data, count: size))
        }
    }
}
