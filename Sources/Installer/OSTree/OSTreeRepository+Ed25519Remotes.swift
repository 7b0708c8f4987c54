import Runtime
import FoundationEssentials

/// The ed25519 keys a remote trusts, kept in its `[remote "NAME"]` group
/// under a key of burrow's own.
///
/// Not under OSTree's `sign-verify` / `verification-ed25519-key`: Debian's
/// libostree has no ed25519 engine, so with those set every pull and
/// summary fetch would fail inside libostree ("engine is not supported").
/// burrow checks instead — the summary in `fetchSummary`, each commit
/// before it is deployed (`Installation.pullSigned`). The keys themselves
/// are stored, not a path to a key file, so what a remote trusts cannot
/// change behind the installation's back (a file named at `remote-add`
/// time may be someone else's to edit later).
extension RemoteOptions {
    /// The config key: `burrow.verification-ed25519-keys=KEY;KEY…` (base64).
    public static let ed25519KeysOption = "burrow.verification-ed25519-keys"

    /// Makes the remote require ed25519 signatures by one of `keys` on its
    /// summary and commits.
    public mutating func requireEd25519(_ keys: [Ed25519PublicKey]) {
        extra[Self.ed25519KeysOption] = Self.ed25519OptionValue(keys)
    }

    static func ed25519OptionValue(_ keys: [Ed25519PublicKey]) -> String {
        keys.map(\.base64).joined(separator: ";")
    }
}

extension OSTreeRepository {
    /// The keys remote `name` requires signatures by; `nil` when it
    /// verifies no ed25519 signatures.
    ///
    /// Fails closed: a key option that is present but empty or damaged is an
    /// error, never "no keys", which would switch verification off.
    public func remoteEd25519Keys(_ name: String) throws -> [Ed25519PublicKey]? {
        guard let value = try remoteOption(name, key: RemoteOptions.ed25519KeysOption) else { return nil }
        let texts = value.split(separator: ";").map { $0.trimmingCharacters(in: String.asciiWhitespace) }.filter { !$0.isEmpty }
        guard !texts.isEmpty else {
            throw InstallerError(
                .invalidContent, "remote \(name.debugDescription) is set to verify ed25519 signatures but names no key")
        }
        return try texts.map { text throws(InstallerError) in
            do throws(InstallerError) {
                return try Ed25519PublicKey(base64: text)
            } catch {
                throw InstallerError(
                    .invalidContent, "remote \(name.debugDescription) has a damaged ed25519 key in its configuration: \(error.message)")
            }
        }
    }

    /// Replaces the ed25519 keys of remote `name` (`[]`: stop verifying
    /// ed25519), leaving its other settings as they are.
    public func setRemoteEd25519Keys(_ keys: [Ed25519PublicKey], for name: String) throws(OSTreeError) {
        try setConfigValue(
            keys.isEmpty ? nil : RemoteOptions.ed25519OptionValue(keys), forKey: RemoteOptions.ed25519KeysOption,
            group: "remote \"\(name)\"")
    }
}
