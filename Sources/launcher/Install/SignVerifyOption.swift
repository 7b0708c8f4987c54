import ArgumentParser
import Installer
import LaunchCommands
import Runtime

/// `--sign-verify=ed25519=KEY` for `remote-add` and `remote-modify`: KEY is
/// `inline:BASE64` or `file:PATH` (`ostree remote add`'s syntax), or a bare
/// base64 public key. Returns every key named; ed25519 is the only type.
func ed25519Keys(fromSignVerify specs: [String]) throws -> [Ed25519PublicKey] {
    try specs.flatMap { spec -> [Ed25519PublicKey] in
        guard spec.hasPrefix("ed25519=") else {
            let type = spec.split(separator: "=", maxSplits: 1).first.map(String.init) ?? spec
            throw CLIError("--sign-verify=\(type)…: burrow verifies ed25519 signatures only (--sign-verify=ed25519=KEY)")
        }
        return try Ed25519KeyFile.publicKeys(fromSpec: String(spec.dropFirst("ed25519=".count)))
    }
}

/// The `--sign-verify` option's help, shared by both commands.
let signVerifyHelp = ArgumentHelp(
    "Require ed25519 signatures (OSTree sign) by this public key on the summary and every commit; repeatable.",
    discussion: "KEY is inline:BASE64, file:PATH (one base64 key per line) or BASE64.",
    valueName: "ed25519=KEY")
