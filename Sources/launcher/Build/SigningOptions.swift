import ArgumentParser
import Installer
import Runtime

/// `--sign=KEYFILE [--sign-type=ed25519]`, as `ostree commit` and `ostree
/// summary` spell OSTree-sign signing, for `build-export` and
/// `build-update-repo`. Beside `--gpg-sign`, not instead of it: a
/// repository may carry both kinds of signature.
struct SigningOptions: ParsableArguments {
    @Option(name: .customLong("sign"), help: ArgumentHelp(
        "Sign with the ed25519 secret keys in KEYFILE (one base64 key per line); repeatable.", valueName: "KEYFILE"))
    var keyFiles: [String] = []

    @Option(name: .customLong("sign-type"), help: "Signature type for --sign; only ed25519.")
    var signType = "ed25519"

    func validate() throws {
        guard signType == "ed25519" else {
            throw ValidationError("--sign-type=\(signType) is not supported; burrow signs with ed25519 only")
        }
    }

    /// The secret keys, read (and checked) before anything is exported, so
    /// a bad key file fails the command without leaving an unsigned commit.
    /// Keys come only from files: a key on the command line would be
    /// readable by every user in /proc/PID/cmdline.
    func secretKeys() throws -> [Ed25519SecretKey] {
        try keyFiles.flatMap { try Ed25519KeyFile.secretKeys(at: $0) }
    }
}
