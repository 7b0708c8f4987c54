public import Runtime
import Glibc

/// OSTree's ed25519 key files: one base64 key per line (secret keys for
/// `ostree sign --keys-file`, public keys for `verification-ed25519-file`
/// and `trusted.ed25519`).
public enum Ed25519KeyFile {
    /// The secret keys in the file at `path`, for signing.
    public static func secretKeys(at path: String) throws(InstallerError) -> [Ed25519SecretKey] {
        try keys(at: path, kind: "secret") { line throws(InstallerError) in try Ed25519SecretKey(base64: line) }
    }

    /// The public keys in the file at `path`, for verifying.
    public static func publicKeys(at path: String) throws(InstallerError) -> [Ed25519PublicKey] {
        try keys(at: path, kind: "public") { line throws(InstallerError) in try Ed25519PublicKey(base64: line) }
    }

    /// The public keys a `--sign-verify=ed25519=SPEC` names, in OSTree's
    /// syntax — `inline:BASE64` or `file:PATH` — or a bare base64 key.
    public static func publicKeys(fromSpec spec: String) throws(InstallerError) -> [Ed25519PublicKey] {
        if spec.hasPrefix("file:") { return try publicKeys(at: String(spec.dropFirst("file:".count))) }
        let text = spec.hasPrefix("inline:") ? String(spec.dropFirst("inline:".count)) : spec
        do throws(InstallerError) {
            return [try Ed25519PublicKey(base64: text)]
        } catch {
            throw InstallerError(.invalidContent, "the ed25519 key given is not usable: \(error.message)")
        }
    }

    private static func keys<Key>(
        at path: String, kind: String, _ parse: (String) throws(InstallerError) -> Key
    ) throws(InstallerError) -> [Key] {
        // Key files are a few lines; anything much larger is not one (and
        // reading /dev/zero must not take the machine's memory).
        let limit = 1 << 16
        // A key file named by the user may be a link: it is followed.
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.contents(of: path, limit: limit, followingLinks: true)
        } catch {
            let code: Int32 = if case .system(let code) = error.kind { code } else { EIO }
            guard code != EFBIG else { throw InstallerError(.invalidContent, "\(path) is too large to be an ed25519 key file") }
            throw InstallerError(.invalidContent, "cannot read the ed25519 key file \(path): \(String(cString: strerror(code)))")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw InstallerError(.invalidContent, "\(path) is not an ed25519 key file: it is not text")
        }
        var keys: [Key] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            // Blank lines (a trailing newline, a spacer) hold no key.
            if line.allSatisfy(\.isWhitespace) { continue }
            do throws(InstallerError) {
                keys.append(try parse(String(line)))
            } catch {
                throw InstallerError(.invalidContent, "\(path), line \(index + 1): \(error.message)")
            }
        }
        guard !keys.isEmpty else { throw InstallerError(.invalidContent, "\(path) holds no ed25519 \(kind) key") }
        return keys
    }
}
