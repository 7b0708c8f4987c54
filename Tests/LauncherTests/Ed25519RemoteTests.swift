import Foundation
import Testing
import TestSupport

/// ed25519 beside GPG, on bundles, through remote-modify, and the key
/// mistakes publishers and users make.
@Suite("Ed25519-signed remotes, bundles and keys")
struct Ed25519RemoteTests {
    typealias Scratch = InstallCommandTests.Scratch

    @Test func gpgAndEd25519SignaturesAreBothKeptAndBothChecked() async throws {
        let scratch = try await Scratch()
        let ed25519 = try await Ed25519TestKey(in: scratch.root.path, name: "publisher")
        let gpg = try await SignedRepositoryTests.Keyring(in: scratch.root.path, name: "publisher")
        for (flags, dir) in [(["--runtime"], "runtime"), ([], "app")] {
            let export = try await scratch.run(["build-export"] + flags + [
                "--gpg-sign=\(gpg.fingerprint)", "--gpg-homedir=\(gpg.home)", "--sign=\(ed25519.secretFile)",
                scratch.repository, scratch.root.path + "/" + dir, "stable",
            ])
            #expect(export.status == 0, "\(export)")
        }
        // Each signer merged its entry into summary.sig without dropping the other's.
        let signatures = try Data(contentsOf: URL(fileURLWithPath: scratch.repository + "/summary.sig"))
        #expect(signatures.range(of: Data("ostree.gpgsigs".utf8)) != nil)
        #expect(try await OSTreeSignatureReader.signatures(
            inMetadataFile: scratch.repository + "/summary.sig", scratch: scratch.root.path).count == 1)

        // libostree checks GPG, burrow ed25519; both pass.
        let add = try await scratch.run("remote-add", "--gpg-import=\(gpg.publicKey)", "--sign-verify=ed25519=file:\(ed25519.publicFile)",
                                        "both", "file://" + scratch.repository)
        #expect(add.status == 0, "\(add)")
        #expect(try await scratch.run("remotes").lines.contains("both\tfile://\(scratch.repository)\tsign-verify=ed25519"))
        let install = try await scratch.run("install", "--noninteractive", "both", "org.example.Hello")
        #expect(install.status == 0, "\(install)")
    }

    @Test func aBundleIsHeldToItsOriginRemotesKey() async throws {
        let scratch = try await Scratch()
        let publisher = try await Ed25519TestKey(in: scratch.root.path, name: "publisher")
        let stranger = try await Ed25519TestKey(in: scratch.root.path, name: "stranger")
        try await Ed25519SignedRepositoryTests.export(scratch, runtime: nil, app: publisher)
        let app = scratch.root.path + "/app.flatpak", runtime = scratch.root.path + "/runtime.flatpak"
        #expect(try await scratch.run("build-bundle", "--runtime", scratch.repository, runtime, "org.example.Platform", "stable").status == 0)
        #expect(try await scratch.run("build-bundle", "--repo-url=file://\(scratch.repository)", scratch.repository, app,
                                      "org.example.Hello", "stable").status == 0)
        #expect(try await scratch.run("install", "--noninteractive", "--bundle", runtime).status == 0)

        // The origin remote the bundle will use exists already, trusting a stranger.
        let origin = "org.example.Hello-origin"
        let add = try await scratch.run("remote-add", "--sign-verify=ed25519=inline:\(stranger.publicBase64)", origin, "file://" + scratch.repository)
        #expect(add.status == 0, "\(add)")
        let refused = try await scratch.run("install", "--noninteractive", "--bundle", app)
        #expect(refused.status == 1)
        #expect(refused.stderr.hasPrefix("error: commit ") && refused.stderr.contains("is not signed by a trusted ed25519 key"), "\(refused)")
        #expect(try await scratch.run("list", "--app").stdout.isEmpty)

        #expect(try await scratch.run("remote-modify", "--sign-verify=ed25519=file:\(publisher.publicFile)", origin).status == 0)
        let installed = try await scratch.run("install", "--noninteractive", "--bundle", app)
        #expect(installed.status == 0, "\(installed)")
        // Updates from the origin are checked too: the repository is signed.
        #expect(try await scratch.run("update", "org.example.Hello").status == 0)
    }

    @Test func remoteModifyKeepsReplacesAndRemovesTheKeys() async throws {
        let scratch = try await Scratch()
        let publisher = try await Ed25519TestKey(in: scratch.root.path, name: "publisher")
        let stranger = try await Ed25519TestKey(in: scratch.root.path, name: "stranger")
        try await Ed25519SignedRepositoryTests.export(scratch, runtime: publisher, app: publisher)
        let url = "file://" + scratch.repository
        #expect(try await scratch.run("remote-add", "--sign-verify=ed25519=\(stranger.publicBase64)", "demo", "file:///nonexistent").status == 0)

        // A URL change rewrites the remote's group; the keys come along.
        #expect(try await scratch.run("remote-modify", "--url=\(url)", "demo").status == 0)
        #expect(try await scratch.run("remotes").lines.contains("demo\t\(url)\tno-gpg-verify,sign-verify=ed25519"))
        #expect(try await scratch.run("remote-ls", "demo").stderr.hasPrefix(Ed25519SignedRepositoryTests.summaryRefused("demo")))

        // Replaced by the publisher's (two given: either may sign).
        let replaced = try await scratch.run("remote-modify", "--sign-verify=ed25519=\(stranger.publicBase64)",
                                             "--sign-verify=ed25519=file:\(publisher.publicFile)", "demo")
        #expect(replaced.status == 0, "\(replaced)")
        #expect(try await scratch.run("remote-ls", "demo").status == 0)

        // Removed: the remote verifies nothing now, and says so.
        #expect(try await scratch.run("remote-modify", "--no-sign-verify", "demo").status == 0)
        #expect(try await scratch.run("remotes").lines.contains("demo\t\(url)\tno-gpg-verify"))
    }

    @Test func keyMistakesAreRefusedWithAReason() async throws {
        let scratch = try await Scratch()
        let key = try await Ed25519TestKey(in: scratch.root.path, name: "publisher")
        let dir = scratch.root.path
        try "not base64!\n".write(toFile: dir + "/junk.key", atomically: false, encoding: .utf8)
        try "\n\(try String(contentsOfFile: key.secretFile, encoding: .utf8).prefix(40))\n".write(
            toFile: dir + "/short.key", atomically: false, encoding: .utf8)

        let cases: [([String], String)] = [
            (["build-export", "--sign=\(key.publicFile)", scratch.repository, dir + "/app", "stable"],
             "error: \(key.publicFile), line 1: this is an ed25519 public key (32 bytes); signing needs the secret key"),
            (["build-export", "--sign=\(dir)/junk.key", scratch.repository, dir + "/app", "stable"],
             "error: \(dir)/junk.key, line 1: the key is not base64"),
            (["build-update-repo", "--sign=\(dir)/short.key", scratch.repository],
             "error: \(dir)/short.key, line 2: an ed25519 secret key is 64 bytes, but this decodes to 30"),
            (["build-export", "--sign=\(dir)/missing.key", scratch.repository, dir + "/app", "stable"],
             "error: cannot read the ed25519 key file \(dir)/missing.key"),
            (["build-export", "--sign=/dev/zero", scratch.repository, dir + "/app", "stable"],
             "error: /dev/zero is too large to be an ed25519 key file"),
            (["build-export", "--sign-type=rsa", "--sign=\(key.secretFile)", scratch.repository, dir + "/app", "stable"],
             "error: --sign-type=rsa is not supported"),
            (["remote-add", "--sign-verify=ed25519=file:\(key.secretFile)", "demo", "file:///x"],
             "error: \(key.secretFile), line 1: this is an ed25519 secret key (64 bytes); a remote needs the public key"),
            (["remote-add", "--sign-verify=gpg=file:\(key.publicFile)", "demo", "file:///x"],
             "error: --sign-verify=gpg…: burrow verifies ed25519 signatures only"),
            (["remote-add", "--no-gpg-verify", "--sign-verify=ed25519=\(key.publicBase64)", "demo", "file:///x"],
             "error: --no-gpg-verify turns verification off; it cannot be combined with --sign-verify"),
        ]
        for (arguments, expected) in cases {
            let run = try await scratch.run(arguments)
            #expect(run.status == 1 && run.stderr.hasPrefix(expected), "\(arguments): \(run)")
        }
        // Nothing was exported with a bad key, and no remote was added.
        #expect(!FileManager.default.fileExists(atPath: scratch.repository))
        #expect(!(try await scratch.run("remotes").stdout.contains("demo")))
    }
}
