import Foundation
import TestSupport

/// An ed25519 key pair made by openssl at test time and written in OSTree's
/// key file format — the flow the README gives publishers.
struct Ed25519TestKey {
    /// base64(seed || public key): what `build-export --sign` reads.
    let secretFile: String
    /// base64(public key): what `remote-add --sign-verify=ed25519=file:` reads.
    let publicFile: String
    let publicBase64: String
    /// The public key as DER SubjectPublicKeyInfo, for `openssl pkeyutl`,
    /// built from the key file's bytes (not copied from openssl's output).
    let publicDER: String

    /// The fixed DER header of an ed25519 SubjectPublicKeyInfo (RFC 8410).
    static let derPrefix: [UInt8] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]

    init(in directory: String, name: String) async throws {
        let privateDER = "\(directory)/\(name).der", opensslPublic = "\(directory)/\(name).openssl-pub.der"
        for arguments in [["genpkey", "-algorithm", "ed25519", "-outform", "DER", "-out", privateDER],
                          ["pkey", "-inform", "DER", "-in", privateDER, "-pubout", "-outform", "DER", "-out", opensslPublic]] {
            let made = try await runProgram("/usr/bin/openssl", arguments)
            guard made.status == 0 else { throw TestFailure("openssl \(arguments[0]) failed: \(made.stderr)") }
        }
        // The raw seed and public key are the last 32 bytes of each DER file.
        let seed = try Data(contentsOf: URL(fileURLWithPath: privateDER)).suffix(32)
        let publicKey = try Data(contentsOf: URL(fileURLWithPath: opensslPublic)).suffix(32)
        guard seed.count == 32, publicKey.count == 32 else { throw TestFailure("openssl wrote unexpected DER") }
        secretFile = "\(directory)/\(name).secret"
        publicFile = "\(directory)/\(name).public"
        publicBase64 = publicKey.base64EncodedString()
        try ((seed + publicKey).base64EncodedString() + "\n").write(toFile: secretFile, atomically: false, encoding: .utf8)
        try (publicBase64 + "\n").write(toFile: publicFile, atomically: false, encoding: .utf8)

        publicDER = "\(directory)/\(name).pub.der"
        let decoded = Data(base64Encoded: try String(contentsOfFile: publicFile, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines))!
        let der = Data(Self.derPrefix) + decoded
        guard der == (try Data(contentsOf: URL(fileURLWithPath: opensslPublic))) else {
            throw TestFailure("the DER built from the key file differs from openssl's own")
        }
        try der.write(to: URL(fileURLWithPath: publicDER))
    }

    /// Whether openssl accepts `signature` as this key's over the bytes of `file`.
    func opensslVerifies(_ signature: [UInt8], over file: String, scratch: String) async throws -> Bool {
        let signatureFile = "\(scratch)/signature-\(UUID().uuidString)"
        try Data(signature).write(to: URL(fileURLWithPath: signatureFile))
        let verified = try await runProgram("/usr/bin/openssl", [
            "pkeyutl", "-verify", "-pubin", "-inkey", publicDER, "-keyform", "DER", "-rawin", "-in", file,
            "-sigfile", signatureFile,
        ])
        return verified.status == 0 && verified.stdout.contains("Signature Verified Successfully")
    }
}

/// Reads ed25519 signatures the way libostree does, through the `ostree`
/// CLI, so the tests check burrow's bytes with code that is not burrow's.
enum OSTreeSignatureReader {
    /// The `ostree.sign.ed25519` entry of `commit`'s detached metadata.
    static func signatures(ofCommit commit: String, in repository: String) async throws -> [[UInt8]] {
        let shown = try await runProgram("/usr/bin/ostree", [
            "show", "--repo=\(repository)", "--print-detached-metadata-key=ostree.sign.ed25519", commit,
        ])
        guard shown.status == 0 else { throw TestFailure("ostree show failed: \(shown.stderr)") }
        return parse(shown.stdout)
    }

    /// The `ostree.sign.ed25519` entry of an `a{sv}` file such as
    /// `summary.sig`. The ostree CLI prints no summary.sig, but a commit's
    /// `.commitmeta` has the same type, so the file becomes the detached
    /// metadata of a throwaway commit in a repository of its own.
    static func signatures(inMetadataFile file: String, scratch: String) async throws -> [[UInt8]] {
        let probe = "\(scratch)/probe-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: probe + "/empty", withIntermediateDirectories: true)
        for arguments in [["init", "--repo=\(probe)/repo", "--mode=archive"],
                          ["commit", "--repo=\(probe)/repo", "--branch=probe", "--tree=dir=\(probe)/empty"]] {
            let ran = try await runProgram("/usr/bin/ostree", arguments)
            guard ran.status == 0 else { throw TestFailure("ostree \(arguments[0]) failed: \(ran.stderr)") }
        }
        let commit = try String(contentsOfFile: "\(probe)/repo/refs/heads/probe", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let object = "\(probe)/repo/objects/\(commit.prefix(2))/\(commit.dropFirst(2)).commitmeta"
        try FileManager.default.copyItem(atPath: file, toPath: object)
        return try await signatures(ofCommit: commit, in: probe + "/repo")
    }

    /// GLib's text form of an `aay`: `[[byte 0x17, 0xc1, …], …]`, except
    /// that an element whose only NUL is its last byte prints as a C-escaped
    /// bytestring without that NUL, `b'3\372…'` — frequent for ed25519,
    /// whose last signature byte is small (S < 2^253).
    private static func parse(_ text: String) -> [[UInt8]] {
        let chars = Array(text.utf8)
        var elements: [[UInt8]] = []
        var index = 0
        func starts(_ prefix: String) -> Bool { chars[index...].starts(with: prefix.utf8) }
        while index < chars.count {
            if starts("[byte ") {
                let end = chars[index...].firstIndex(of: UInt8(ascii: "]")) ?? chars.count
                let list = String(decoding: chars[(index + 6)..<end], as: UTF8.self)
                elements.append(list.components(separatedBy: ",").compactMap {
                    UInt8($0.trimmingCharacters(in: .whitespaces).dropFirst(2), radix: 16)
                })
                index = end + 1
            } else if starts("b'") || starts("b\"") {
                let quote = chars[index + 1]
                var bytes: [UInt8] = []
                index += 2
                while index < chars.count && chars[index] != quote {
                    guard chars[index] == UInt8(ascii: "\\") else { bytes.append(chars[index]); index += 1; continue }
                    let next = chars[index + 1]
                    if (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(next) {
                        // g_strescape writes exactly three octal digits.
                        bytes.append(UInt8(String(decoding: chars[(index + 1)...(index + 3)], as: UTF8.self), radix: 8)!)
                        index += 4
                    } else {
                        let escapes: [UInt8: UInt8] = [
                            UInt8(ascii: "b"): 8, UInt8(ascii: "f"): 12, UInt8(ascii: "n"): 10, UInt8(ascii: "r"): 13,
                            UInt8(ascii: "t"): 9, UInt8(ascii: "v"): 11,
                        ]
                        bytes.append(escapes[next] ?? next)
                        index += 2
                    }
                }
                elements.append(bytes + [0])
                index += 1
            } else {
                index += 1
            }
        }
        return elements
    }
}
