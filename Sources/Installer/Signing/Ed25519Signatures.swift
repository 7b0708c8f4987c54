import Runtime
internal import CGLib
public import PortalCommon

/// Where OSTree keeps ed25519 signatures: under `ostree.sign.ed25519`, as an
/// `aay` (one 64-byte signature per element), in an `a{sv}` — a commit's
/// detached metadata (`objects/XX/….commitmeta`) or the repository's
/// `summary.sig`. GPG's `ostree.gpgsigs` may sit beside it; each tool keeps
/// the other's entries.
enum Ed25519Signatures {
    static let metadataKey = "ostree.sign.ed25519"
    static let metadataType = "aay"

    /// `metadata` (or a new dictionary) with a signature of `message` by
    /// each key appended to its ed25519 entry, every other entry kept.
    ///
    /// A signature already there is not added twice: ed25519 signatures are
    /// deterministic, so re-signing the same bytes with the same key (an
    /// export repeated with a fixed timestamp) would only grow the list.
    static func appending(signaturesOf message: [UInt8], by keys: [Ed25519SecretKey], to metadata: Variant?)
        throws(InstallerError) -> Variant
    {
        var entries: [String: Variant] = [:]
        for (key, value) in metadata?.dictionaryEntries ?? [] { entries[key] = value }
        var signatures = entries[metadataKey].flatMap(list) ?? []
        for key in keys {
            let signature = try key.sign(message)
            if !signatures.contains(signature) { signatures.append(signature) }
        }
        entries[metadataKey] = signatureArray(signatures)
        return Variant.dictionary(entries)
    }

    /// Requires a valid signature of `message` by one of `keys` in
    /// `metadata`; `subject` names what was signed, for the error.
    ///
    /// Accepting any one valid signature is OSTree's rule too: a repository
    /// may be signed by several publishers' keys, or during a key rotation
    /// by old and new. Safe because a signature only counts when it
    /// verifies over these exact bytes with a key the remote trusts;
    /// anything else in the entry (other keys' signatures, junk) is inert.
    static func requireValid(
        of message: [UInt8], in metadata: Variant?, by keys: [Ed25519PublicKey], subject: String,
        missing: String
    ) throws(SignatureError) {
        guard let metadata else { throw SignatureError(subject: subject, reason: missing) }
        guard let entry = metadata.lookup(metadataKey) else {
            throw SignatureError(subject: subject, reason: "it carries no ed25519 signature")
        }
        guard let signatures = list(entry) else {
            throw SignatureError(subject: subject, reason: "its \(metadataKey) entry is \(entry.typeString), not aay")
        }
        for signature in signatures where keys.contains(where: { $0.verifies(signature, of: message) }) {
            return
        }
        let trusted = keys.count == 1 ? "the trusted key" : "any of the \(keys.count) trusted keys"
        throw SignatureError(
            subject: subject,
            reason: signatures.count == 1 ? "its ed25519 signature does not verify with \(trusted)"
                : "none of its \(signatures.count) ed25519 signatures verifies with \(trusted)")
    }

    /// The signatures of an `aay`; `nil` for any other type.
    private static func list(_ value: Variant) -> [[UInt8]]? {
        guard value.typeString == metadataType else { return nil }
        return (0..<value.childCount).compactMap { value.child($0).bytes }
    }

    private static func signatureArray(_ signatures: [[UInt8]]) -> Variant {
        let type = g_variant_type_new(metadataType)
        defer { g_variant_type_free(type) }
        let builder = g_variant_builder_new(type)!
        defer { g_variant_builder_unref(builder) }
        for signature in signatures {
            Variant.byteArray(signature).withRaw { g_variant_builder_add_value(builder, $0) }
        }
        return Variant(taking: g_variant_builder_end(builder))
    }
}

/// A summary or commit that lacks a valid ed25519 signature by a key its
/// remote trusts. Always a refusal: nothing it describes is used.
public struct SignatureError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was checked: `the summary of remote "demo"`, `commit 1a2b… of app/…`.
    public var subject: String
    /// Why it failed, for the person deciding whether it is an attack.
    public var reason: String

    public var description: String { "\(subject) is not signed by a trusted ed25519 key (\(reason))" }
}

extension SignatureError: PortalErrorConvertible {
    public var portalError: PortalError { .notAllowed(description) }
}
