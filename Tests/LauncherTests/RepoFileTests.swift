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
        let otherScheme = try await scratch.run("remote-add", "--from", "ftp", "ftp://127.0.0.1/x.flatpakrepo")
        #expect(otherScheme.status == 1 && otherScheme.stderr.contains("http:// and https://"), "\(otherScheme)")
    }

    /// As publishers link them: `remote-add --from https://…/x.flatpakrepo`.
    @Test func filesAreFetchedOverHTTPAndAServersFailureIsOneClearLine() async throws {
        let scratch = try await InstallCommandTests.Scratch()
        try await SignedRepositoryTests.export(scratch, signedWith: nil)
        let web = try await RepositoryWebServer(serving: scratch.root.path)
        try "[Flatpak Repo]\nTitle=Over the web\nUrl=\(web.url)repo\n".write(toFile: "\(scratch.root.path)/web.flatpakrepo", atomically: false, encoding: .utf8)
        try "[Flatpak Ref]\nName=org.example.Hello\nBranch=stable\nUrl=\(web.url)repo\nSuggestRemoteName=webref\n"
            .write(toFile: "\(scratch.root.path)/hello.flatpakref", atomically: false, encoding: .utf8)

        let add = try await scratch.run("remote-add", "--no-gpg-verify", "--from", "web", web.url + "web.flatpakrepo")
        #expect(add.status == 0, "\(add)")
        #expect(try await scratch.run("remotes").lines.contains { $0.hasPrefix("web\t\(web.url)repo") })
        let install = try await scratch.run("install", "--noninteractive", "--no-gpg-verify", "--from", web.url + "hello.flatpakref")
        #expect(install.status == 0, "\(install)")
        #expect(try await scratch.run("list", "--app", "--columns=origin").stdout == "webref\n")

        let missing = try await scratch.run("remote-add", "--no-gpg-verify", "--from", "gone", web.url + "nothing.flatpakrepo")
        #expect(missing.status == 1, "\(missing)")
        #expect(missing.stderr == "error: cannot fetch \(web.url)nothing.flatpakrepo: The requested URL returned error: 404\n", "\(missing)")
        #expect(!(try await scratch.run("remotes").stdout.contains("gone")))
    }

    /// A web server may not send the client to a local file (or any scheme
    /// but http and https) with a redirect.
    @Test func aRedirectToALocalFileIsRefused() async throws {
        let scratch = try await InstallCommandTests.Scratch()
        try "[Flatpak Repo]\nUrl=file:///secret\n".write(toFile: "\(scratch.root.path)/local.flatpakrepo", atomically: false, encoding: .utf8)
        let port = Int.random(in: 20000...60000)
        let redirector = try ChildProcess("/usr/bin/python3", ["-c", """
            import http.server, sys
            class Redirect(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    self.send_response(302)
                    self.send_header("Location", "file://" + sys.argv[2])
                    self.end_headers()
                def log_message(self, *args): pass
            http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Redirect).serve_forever()
            """, "\(port)", "\(scratch.root.path)/local.flatpakrepo"])
        defer { redirector.stop() }
        try await InstallCommandTests.waitForServer(port: port)
        let refused = try await scratch.run("remote-add", "--no-gpg-verify", "--from", "local", "http://127.0.0.1:\(port)/x.flatpakrepo")
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.stderr.hasPrefix("error: cannot fetch http://127.0.0.1:\(port)/x.flatpakrepo: "), "\(refused)")
        #expect(!(try await scratch.run("remotes").stdout.contains("local")))
    }
}
