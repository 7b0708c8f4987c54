internal import CGLib
internal import COSTree
import FoundationEssentials
import Glibc
import Runtime

/// Flatpak's single-file bundles: a static delta from nothing to one commit,
/// parts inline, written to one file, whose superblock's metadata says what
/// it holds (`flatpak build-bundle`'s format, so either tool reads the
/// other's).
public struct BundleHeader: Sendable, Hashable {
    /// The full ref (`app/ID/ARCH/BRANCH`).
    public var ref: String
    public var commit: String
    /// The app's `metadata` file as the publisher bundled it.
    public var metadata: String?
    /// Where updates come from (`--repo-url`).
    public var origin: String?
    public var runtimeRepository: String?
    /// GPG public keys (binary keyring) the commit must be signed with.
    public var gpgKeys: [UInt8]?
}

extension OSTreeRepository {
    /// The superblock's GVariant type: metadata, timestamp, from, to, the
    /// commit, then entries and fallbacks (libostree's private format
    /// string, as flatpak also spells it out).
    static let bundleSuperblockType = "(a{sv}tayay(a{sv}aya(say)sstayay)aya(uayttay)a(yaytt))"

    /// Writes `commit` of `ref` to `file` as a bundle.
    public func writeBundle(commit: String, ref: String, metadata: String?, origin: String?, runtimeRepository: String?,
                            gpgKeys: [UInt8]?, to file: String) throws(OSTreeError) {
        var entries: [String: Variant] = [
            // flatpak's magic (high bits so the file is not sniffed as text).
            "flatpak": .uint32(0xe589_0001),
            "ref": .string(ref),
            "collection-id": .string(""),
        ]
        if let metadata { entries["metadata"] = .string(metadata) }
        if let origin { entries["origin"] = .string(origin) }
        if let runtimeRepository { entries["runtime-repo"] = .string(runtimeRepository) }
        if let gpgKeys { entries["gpg-keys"] = Variant.byteArray(gpgKeys) }
        let parameters = Variant.dictionary([
            "min-fallback-size": .uint32(0),
            "compression": Variant(taking: g_variant_new_byte(UInt8(ascii: "x"))),
            "bsdiff-enabled": .bool(false),
            "inline-parts": .bool(true),
            "include-detached": .bool(true),
            "filename": Variant(taking: g_variant_new_bytestring(file)),
        ])
        let metadataVariant = Variant.dictionary(entries)
        try OSTreeError.check("writing the bundle \(file)") { error in
            metadataVariant.withRaw { meta in
                parameters.withRaw { params in
                    ostree_repo_static_delta_generate(raw, OSTREE_STATIC_DELTA_GENERATE_OPT_LOWLATENCY, nil, commit,
                                                      meta, params, nil, error)
                }
            }
        }
    }

    /// Reads what a bundle file says it holds, without trusting it yet.
    public static func readBundleHeader(_ file: String) throws(OSTreeError) -> BundleHeader {
        var gError: UnsafeMutablePointer<GError>?
        guard let mapped = g_mapped_file_new(file, 0, &gError) else {
            let message = gError.map { String(cString: $0.pointee.message) } ?? "cannot read it"
            if let gError { g_error_free(gError) }
            throw OSTreeError(kind: .failed, operation: "reading the bundle \(file)", message: message)
        }
        defer { g_mapped_file_unref(mapped) }
        let bytes = g_mapped_file_get_bytes(mapped)!
        defer { g_bytes_unref(bytes) }
        // Trusted = false: GLib checks the serialized form as it reads it.
        let type = g_variant_type_new(bundleSuperblockType)
        defer { g_variant_type_free(type) }
        let superblock = Variant(taking: g_variant_new_from_bytes(type, bytes, 0))
        let metadata = superblock.child(0)
        guard metadata.lookup("flatpak")?.uint32Value == 0xe589_0001 || metadata.lookup("ref") != nil,
              let ref = metadata.lookup("ref")?.string else {
            throw OSTreeError(kind: .failed, operation: "reading the bundle \(file)", message: "it is not a flatpak bundle (no ref)")
        }
        guard let toBytes = superblock.child(3).bytes, toBytes.count == 32 else {
            throw OSTreeError(kind: .failed, operation: "reading the bundle \(file)", message: "it names no commit")
        }
        let commit = String(hexadecimal: toBytes)
        return BundleHeader(ref: ref, commit: commit, metadata: metadata.lookup("metadata")?.string,
                            origin: metadata.lookup("origin")?.string, runtimeRepository: metadata.lookup("runtime-repo")?.string,
                            gpgKeys: metadata.lookup("gpg-keys")?.bytes)
    }

    /// Writes the bundle's objects into this repository (a scratch one:
    /// objects are checked and pulled onward from here) and points `ref`
    /// at its commit.
    public func importBundle(_ file: String, header: BundleHeader) throws(OSTreeError) {
        let gFile = g_file_new_for_path(file)!
        defer { g_object_unref(UnsafeMutableRawPointer(gFile)) }
        try inTransaction { () throws(OSTreeError) in
            try OSTreeError.check("unpacking the bundle \(file)") { error in
                ostree_repo_static_delta_execute_offline(raw, gFile, 0, nil, error)
            }
            ostree_repo_transaction_set_ref(raw, nil, header.ref, header.commit)
        }
    }

    /// Checks the commit's signature against `remote`'s keys.
    public func verifyCommit(_ commit: String, remote: String) throws(OSTreeError) {
        var gError: UnsafeMutablePointer<GError>?
        guard let result = ostree_repo_verify_commit_for_remote(raw, commit, remote, nil, &gError) else {
            let message = gError.map { String(cString: $0.pointee.message) } ?? "no valid signature"
            if let gError { g_error_free(gError) }
            throw OSTreeError(kind: .failed, operation: "verifying the signature of \(commit)", message: message)
        }
        g_object_unref(UnsafeMutableRawPointer(result))
    }
}
