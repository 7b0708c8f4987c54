import Foundation
import Testing
import TestSupport

/// `.flatpakrepo` and `.flatpakref` files: `remote-add --from` and
/// `install --from`, with the publisher's key inside the file.
@Suite("remote-add --from and install --from")
struct RepoFileTests {
    typealias Keyring = SignedRepositoryTests.Keyring

    /// The key as the files carry it: binary, base64.
    static func base64Key(_ keyring: Keyring) async throws -> String {
        let exported = try await runProgram("/bin/sh", ["-c", "gpg --export \"$0\" | base64 -w0", keyring.fingerprint],
                                            environment: ["GNUPGHOME": keyring.home, "PATH": "/usr/bin:/bin"])
        #expect(exported.status == 0 && !exported.stdout.isEmpty, "\(exported.stderr)")
        return exported.stdout
    }

    @Test func aFlatpakrepoWithTheKeyAddsAVerifyingRemoteAndAWrongKeyIsRefused() async throws {
        let scratch = try await InstallCommandTests.Scratch()
        let publisher = try await Keyring(in: scratch.root.path, name: "publisher")
        let stranger = try await Keyring(in: scratch.root.path, name: "stranger")
        try await SignedRepositoryTests.export(scratch, signedWith: publisher)
        for (name, keyring) in [("good", publisher), ("bad", stranger)] {
            let file = """
                [Flatpak Repo]
                Title=Demo apps
                Url=file://\(scratch.repository)
                GPGKey=\(try await Self.base64Key(keyring))

                """
            try file.write(toFile: "\(scratch.root.path)/\(name).flatpakrepo", atomically: false, encoding: .utf8)
            let add = try await scratch.run("remote-add", "--from", name, "\(scratch.root.path)/\(name).flatpakrepo")
            #expect(add.status == 0, "\(add)")
        }
        let remotes = try await scratch.run("remotes")
        #expect(remotes.lines.contains { $0.hasPrefix("good\t") && !$0.contains("no-gpg-verify") }, "\(remotes)")
        #expect(try await scratch.run("install", "--noninteractive", "good", "org.example.Hello").status == 0)
        let refused = try await scratch.run("install", "--noninteractive", "bad", "org.example.Hello//stable")
        #expect(refused.status == 1 && refused.stderr.contains("public key not found"), "\(refused)")
    }

    @Test func aFlatpakrefInstallsTheAppItNamesFromItsRemote() async throws {
        let scratch = try await InstallCommandTests.Scratch()
        let publisher = try await Keyring(in: scratch.root.path, name: "publisher")
        try await SignedRepositoryTests.export(scratch, signedWith: publisher)
        let ref = """
            [Flatpak Ref]
            Name=org.example.Hello
            Branch=stable
            Url=file://\(scratch.repository)
            SuggestRemoteName=hello-repo
            GPGKey=\(try await Self.base64Key(publisher))

            """
        try ref.write(toFile: "\(scratch.root.path)/hello.flatpakref", atomically: false, encoding: .utf8)
        let install = try await scratch.run("install", "--noninteractive", "--from", "\(scratch.root.path)/hello.flatpakref")
        #expect(install.status == 0, "\(install)")
        #expect(try await scratch.run("list").lines.map { $0.split(separator: "\t")[4] } == ["hello-repo", "hello-repo"])
    }

    @Test func aFileWithoutAKeyNeedsNoGPGVerify() async throws {
        let scratch = try await InstallCommandTests.Scratch()
        try await SignedRepositoryTests.export(scratch, signedWith: nil)
        try "[Flatpak Repo]\nUrl=file://\(scratch.repository)\n".write(toFile: "\(scratch.root.path)/plain.flatpakrepo", atomically: false, encoding: .utf8)
        let refused = try await scratch.run("remote-add", "--from", "plain", "\(scratch.root.path)/plain.flatpakrepo")
        #expect(refused.status == 1 && refused.stderr.contains("no GPGKey"), "\(refused)")
        #expect(!(try await scratch.run("remotes").stdout.contains("plain")))
        let accepted = try await scratch.run("remote-add", "--no-gpg-verify", "--from", "plain", "\(scratch.root.path)/plain.flatpakrepo")
        #expect(accepted.status == 0, "\(accepted)")
        let notAFile = try await scratch.run("remote-add", "--from", "web", "https://example.invalid/x.flatpakrepo")
        #expect(notAFile.status == 1 && notAFile.stderr.contains("download it first"), "\(notAFile)")
    }
}
