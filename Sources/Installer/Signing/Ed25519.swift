public import Runtime
internal import CSodium
import FoundationEssentials

// ed25519 keys and signatures exactly as OSTree's `ed25519` sign type uses
// them (ostree-sign-ed25519.c): libsodium's detached signatures, public keys
// of 32 bytes, secret keys of 64 (the 32-byte seed, then the public key),
// each written as one base64 line. Debian's libostree is built without this
// sign type, so burrow signs and verifies with libsodium itself; the bytes
// it writes are the ones an ostree built with it reads, and back.

/// An ed25519 public key: what a remote trusts.
public struct Ed25519PublicKey: Sendable, Hashable, CustomStringConvertible {
    public static let size = 32
    public let bytes: [UInt8]

    /// From a base64 line (`verification-ed25519-key`'s form).
    public init(base64 text: String) throws(InstallerError) {
        let bytes = try decodeKey(text)
        guard bytes.count == Self.size else {
            if bytes.count == Ed25519SecretKey.size {
                // Safe to say, not to echo: the text is a secret key, which
                // must not end up in a remote's configuration or a log.
                throw InstallerError(
                    .invalidContent, "this is an ed25519 secret key (64 bytes); a remote needs the public key (32 bytes)")
            }
            throw InstallerError(
                .invalidContent, "an ed25519 public key is \(Self.size) bytes, but this decodes to \(bytes.count)")
        }
        self.bytes = bytes
    }

    /// Bytes already checked to be a public key (the half of a secret key).
    fileprivate init(checked bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The base64 form OSTree's key files and remote options hold.
    public var base64: String { Data(bytes).base64EncodedString() }
    public var description: String { base64 }

    /// Whether `signature` is this key's signature of `message`.
    func verifies(_ signature: [UInt8], of message: [UInt8]) -> Bool {
        guard Ed25519.isReady, signature.count == Ed25519.signatureSize else { return false }
        // crypto_sign_verify_detached checks the point encoding and rejects
        // small-order keys and non-canonical signatures: a forged or
        // truncated signature fails here, never "verifies" by accident.
        return crypto_sign_verify_detached(signature, message, UInt64(message.count), bytes) == 0
    }
}

/// An ed25519 secret key: what a publisher signs with.
///
/// Only ever read from a file (never a command-line argument, which any
/// user can read in /proc/PID/cmdline).
public struct Ed25519SecretKey: Sendable {
    public static let size = 64
    private let bytes: [UInt8]
    public let publicKey: Ed25519PublicKey

    /// From a base64 line of OSTree's secret key format (seed || public key).
    public init(base64 text: String) throws(InstallerError) {
        let bytes = try decodeKey(text)
        guard bytes.count == Self.size else {
            if bytes.count == Ed25519PublicKey.size {
                throw InstallerError(
                    .invalidContent, "this is an ed25519 public key (32 bytes); signing needs the secret key (64 bytes: seed, then public key)")
            }
            throw InstallerError(
                .invalidContent, "an ed25519 secret key is \(Self.size) bytes, but this decodes to \(bytes.count)")
        }
        // The second half must be the seed's own public key: libsodium signs
        // with the stored half as is, so a mismatched file would publish
        // signatures that no client holding the real public key accepts.
        guard try Ed25519.publicKey(ofSeed: Array(bytes[..<32])) == Array(bytes[32...]) else {
            throw InstallerError(.invalidContent, "the key's public half does not belong to its seed: the key is damaged")
        }
        self.bytes = bytes
        publicKey = Ed25519PublicKey(checked: Array(bytes[32...]))
    }

    /// The 64-byte detached signature of `message`.
    func sign(_ message: [UInt8]) throws(InstallerError) -> [UInt8] {
        guard Ed25519.isReady else { throw Ed25519.notReady }
        var signature = [UInt8](repeating: 0, count: Ed25519.signatureSize)
        var length: UInt64 = 0
        guard crypto_sign_detached(&signature, &length, message, UInt64(message.count), bytes) == 0,
              length == UInt64(Ed25519.signatureSize)
        else { throw InstallerError(.invalidContent, "libsodium could not sign with this key") }
        return signature
    }
}

enum Ed25519 {
    static let signatureSize = 64

    /// libsodium picks its implementations and seeds its RNG once per
    /// process; sodium_init is safe to race (it locks) but is called once
    /// here through Swift's lazy global initialisation anyway.
    static let isReady: Bool = sodium_init() >= 0
    static let notReady = InstallerError(.invalidContent, "libsodium failed to initialise")

    static func publicKey(ofSeed seed: [UInt8]) throws(InstallerError) -> [UInt8] {
        guard isReady else { throw notReady }
        var publicKey = [UInt8](repeating: 0, count: Ed25519PublicKey.size)
        var secretKey = [UInt8](repeating: 0, count: Ed25519SecretKey.size)
        defer { sodium_memzero(&secretKey, secretKey.count) }
        guard crypto_sign_seed_keypair(&publicKey, &secretKey, seed) == 0 else {
            throw InstallerError(.invalidContent, "libsodium refused the key's seed")
        }
        return publicKey
    }
}

/// Strict base64 (Foundation refuses stray characters, where GLib's decoder
/// skips them and would turn a typo into a different key).
private func decodeKey(_ text: String) throws(InstallerError) -> [UInt8] {
    let trimmed = text.trimmingCharacters(in: String.asciiWhitespace)
    guard !trimmed.isEmpty else { throw InstallerError(.invalidContent, "the key is empty") }
    guard let data = Data(base64Encoded: trimmed) else {
        throw InstallerError(.invalidContent, "the key is not base64")
    }
    return Array(data)
}
