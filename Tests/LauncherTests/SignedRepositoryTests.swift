import Foundation
import PortalCommon
import Testing
import TestSupport

/// GPG-signed publishing and verifying installs, with keys made at test time.
@Suite("Signed repositories")
struct SignedRepositoryTests {
    /// A throwaway GnuPG home with one signing key; its agent is stopped at the end.
    final class Keyring: @unchecked Sendable {
        let home: String
        let fingerprint: String
        let publicKey: String

        init(in directory: String, name: String) async throws {
            home = directory + "/gnupg-" + name
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let environment = ["GNUPGHOME": home, "PATH": "/usr/bin:/bin"]
            let made = try await runProgram("/usr/bin/gpg", ["--batch", "--pinentry-mode", "loopback", "--passphrase", "",
                                                             "--quick-gen-key", "\(name) <\(name)@burrow.invalid>", "ed25519", "sign", "never"],
                                            environment: environment)
            guard made.status == 0 else { throw TestFailure("gpg key generation failed: \(made.stderr)") }
            let listed = try await runProgram("/usr/bin/gpg", ["--list-keys", "--with-colons"], environment: environment)
            guard let line = listed.stdout.split(separator: "\n").first(where: { $0.hasPrefix("fpr:") }) else {
                throw TestFailure("no fingerprint in \(listed.stdout)")
            }
            fingerprint = String(line.split(separator: ":", omittingEmptySubsequences: false)[9])
            publicKey = directory + "/\(name).asc"
            let exported = try await runProgram("/usr/bin/gpg", ["--export", "--armor", "--output", publicKey, fingerprint],
                                                environment: environment)
            guard exported.status == 0 else { throw TestFailure("gpg export failed: \(exported.stderr)") }
        }

        deinit {
            // gpg started an agent for this home; it must not outlive the test.
            let child = try? ChildProcess("/usr/bin/gpgconf", ["--kill", "gpg-agent"], environment: ["GNUPGHOME": home])
            child?.wait(timeout: .seconds(10))
        }
    }

    static func export(_ scratch: InstallCommandTests.Scratch, signedWith keyring: Keyring?) async throws {
        for (flags, dir) in [(["--runtime"], "runtime"), ([], "app")] {
            let signing = keyring.map { ["--gpg-sign=\($0.fingerprint)", "--gpg-homedir=\($0.home)"] } ?? []
            let export = try await burrow(["build-export"] + flags + signing + [scratch.repository, scratch.root.path + "/" + dir, "stable"],
                                          environment: scratch.environment)
            #expect(export.status == 0, "\(export)")
        }
    }

    @Test func signedRepositoryInstallsWithTheKeyAndOnlyWithIt() async throws {
        let scratch = try await InstallCommandTests.Scratch()
        let publisher = try await Keyring(in: scratch.root.path, name: "publisher")
        let stranger = try await Keyring(in: scratch.root.path, name: "stranger")
        try await Self.export(scratch, signedWith: publisher)
        let url = "file://" + scratch.repository

        // The publisher's key: installs.
        #expect(try await scratch.run("remote-add", "--gpg-import=\(publisher.publicKey)", "trusted", url).status == 0)
        let install = try await scratch.run("install", "--noninteractive", "trusted", "org.example.Hello")
        #expect(install.status == 0, "\(install)")

        // Another key: refused, with nothing installed from it.
        #expect(try await scratch.run("remote-add", "--gpg-import=\(stranger.publicKey)", "wrongkey", url).status == 0)
        let refused = try await scratch.run("install", "--noninteractive", "wrongkey", "org.example.Hello//stable")
        #expect(refused.status == 1)
        #expect(refused.stderr.hasPrefix("error: "))
        #expect(refused.stderr.contains("public key not found"), "\(refused)")

        // A file that is not a key: the remote is not added half-configured.
        try AtomicFile.write("not a key\n", to: scratch.root.path + "/junk.asc")
        let junk = try await scratch.run("remote-add", "--gpg-import=\(scratch.root.path)/junk.asc", "junk", url)
        #expect(junk.status == 1, "\(junk)")
        #expect(!(try await scratch.run("remotes").stdout.contains("junk")))
    }

    @Test func unsignedRepositoryIsRefusedByAVerifyingRemote() async throws {
        let scratch = try await InstallCommandTests.Scratch()
        let publisher = try await Keyring(in: scratch.root.path, name: "publisher")
        try await Self.export(scratch, signedWith: nil)
        // Verification is the default: a remote with a key but an unsigned repository.
        #expect(try await scratch.run("remote-add", "--gpg-import=\(publisher.publicKey)", "verifying", "file://" + scratch.repository).status == 0)
        let refused = try await scratch.run("install", "--noninteractive", "verifying", "org.example.Hello")
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.stderr.hasPrefix("error: "), "\(refused)")
        #expect(try await scratch.run("list").stdout.isEmpty)
    }
}
