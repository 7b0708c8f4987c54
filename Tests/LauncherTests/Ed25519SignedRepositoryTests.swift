import Foundation
import Testing
import TestSupport

/// OSTree-sign ed25519: publishing with `--sign`, remotes that require it
/// with `--sign-verify`, and every way a summary or commit can fail it.
/// Keys are made by openssl at test time.
@Suite("Ed25519-signed repositories")
struct Ed25519SignedRepositoryTests {
    typealias Scratch = InstallCommandTests.Scratch
    static var arch: String { InstallCommandTests.arch }
    static var app: String { "app/org.example.Hello/\(arch)/stable" }

    /// Exports the demo runtime and app, each signed with its key (`nil`:
    /// unsigned); returns the commits by directory name.
    @discardableResult
    static func export(_ scratch: Scratch, runtime runtimeKey: Ed25519TestKey?, app appKey: Ed25519TestKey?) async throws
        -> [String: String]
    {
        var commits: [String: String] = [:]
        for (flags, dir, key) in [(["--runtime"], "runtime", runtimeKey), ([], "app", appKey)] {
            let signing = key.map { ["--sign=\($0.secretFile)"] } ?? []
            let export = try await scratch.run(["build-export"] + flags + signing + [scratch.repository, scratch.root.path + "/" + dir, "stable"])
            #expect(export.status == 0, "\(export)")
            commits[dir] = export.lines.first { $0.hasPrefix("Commit: ") }.map { String($0.dropFirst("Commit: ".count)) }
        }
        return commits
    }

    /// The refs of the user installation's repository (remote ones as `REMOTE:REF`).
    static func installedRepositoryRefs(_ scratch: Scratch) async throws -> [String] {
        let refs = try await runProgram("/usr/bin/ostree", ["refs", "--repo=\(scratch.root.path)/user/repo"])
        return refs.stdout.split(separator: "\n").map(String.init)
    }

    static func summaryRefused(_ remote: String) -> String {
        "error: the summary of remote \"\(remote)\" is not signed by a trusted ed25519 key"
    }

    @Test func aSignedRepositoryInstallsOverHTTPOnlyWithItsKey() async throws {
        let scratch = try await Scratch()
        let publisher = try await Ed25519TestKey(in: scratch.root.path, name: "publisher")
        let stranger = try await Ed25519TestKey(in: scratch.root.path, name: "stranger")
        let commits = try await Self.export(scratch, runtime: publisher, app: publisher)
        let server = try await RepositoryWebServer(serving: scratch.repository)

        // A stranger's key (given bare): refused at the summary, nothing installed.
        #expect(try await scratch.run("remote-add", "--sign-verify=ed25519=\(stranger.publicBase64)", "stranger", server.url).status == 0)
        let refused = try await scratch.run("install", "--noninteractive", "stranger", "org.example.Hello")
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.stderr == Self.summaryRefused("stranger") + " (its ed25519 signature does not verify with the trusted key)\n")
        #expect(try await scratch.run("remote-ls", "stranger").stderr.hasPrefix(Self.summaryRefused("stranger")))
        #expect(try await scratch.run("list").stdout.isEmpty)

        // The publisher's key (from its file): installs.
        #expect(try await scratch.run("remote-add", "--sign-verify=ed25519=file:\(publisher.publicFile)", "signed", server.url).status == 0)
        #expect(try await scratch.run("remotes").lines.contains("signed\t\(server.url)\tno-gpg-verify,sign-verify=ed25519"))
        let listed = try await scratch.run("remote-ls", "signed")
        #expect(listed.status == 0 && listed.stdout.contains(Self.app), "\(listed)")
        let install = try await scratch.run("install", "--noninteractive", "signed", "org.example.Hello")
        #expect(install.status == 0, "\(install)")
        #expect(try await scratch.run("list").lines.map { $0.split(separator: "\t")[5] } == [
            Substring(commits["app"]!.prefix(12)), Substring(commits["runtime"]!.prefix(12)),
        ])
        #expect(try await Self.installedRepositoryRefs(scratch).contains("signed:\(Self.app)"))

        // A signed update arrives through the same checks.
        try "#!/bin/sh\necho version 2\n".write(toFile: scratch.root.path + "/app/files/bin/hello", atomically: false, encoding: .utf8)
        let second = try await scratch.run("build-export", "--sign=\(publisher.secretFile)", scratch.repository, scratch.root.path + "/app", "stable")
        #expect(second.status == 0, "\(second)")
        let update = try await scratch.run("update", "org.example.Hello")
        #expect(update.status == 0 && update.stdout.contains("Updated \(Self.app)"), "\(update)")
    }

    @Test func anUnsignedSummaryIsRefused() async throws {
        let scratch = try await Scratch()
        let publisher = try await Ed25519TestKey(in: scratch.root.path, name: "publisher")
        try await Self.export(scratch, runtime: nil, app: nil)
        #expect(!FileManager.default.fileExists(atPath: scratch.repository + "/summary.sig"))
        let add = try await scratch.run("remote-add", "--sign-verify=ed25519=inline:\(publisher.publicBase64)", "demo", "file://" + scratch.repository)
        #expect(add.status == 0, "\(add)")
        let refused = try await scratch.run("install", "--noninteractive", "demo", "org.example.Hello")
        #expect(refused.status == 1)
        #expect(refused.stderr == Self.summaryRefused("demo") + " (the remote serves no summary.sig)\n", "\(refused)")
        #expect(try await scratch.run("list").stdout.isEmpty)
        #expect(try await Self.installedRepositoryRefs(scratch).isEmpty)
    }

    /// A flipped signature byte, then a forged summary beside the real
    /// summary.sig: both refused. Then the real pair again: installed —
    /// which needs the forged summary libostree cached to have been dropped.
    @Test func aTamperedSummaryOrSignatureIsRefused() async throws {
        let scratch = try await Scratch()
        let publisher = try await Ed25519TestKey(in: scratch.root.path, name: "publisher")
        let commits = try await Self.export(scratch, runtime: publisher, app: publisher)
        let summaryPath = scratch.repository + "/summary", signaturePath = scratch.repository + "/summary.sig"
        let realSummary = try Data(contentsOf: URL(fileURLWithPath: summaryPath))
        let realSignatures = try Data(contentsOf: URL(fileURLWithPath: signaturePath))
        #expect(try await scratch.run("remote-add", "--sign-verify=ed25519=file:\(publisher.publicFile)", "demo", "file://" + scratch.repository).status == 0)

        let signatures = try await OSTreeSignatureReader.signatures(inMetadataFile: signaturePath, scratch: scratch.root.path)
        #expect(signatures.count == 1 && signatures[0].count == 64)
        let range = try #require(realSignatures.range(of: Data(signatures[0])))
        var flipped = realSignatures
        flipped[range.lowerBound + 20] ^= 0x01
        try flipped.write(to: URL(fileURLWithPath: signaturePath))
        let badSignature = try await scratch.run("install", "--noninteractive", "demo", "org.example.Hello")
        #expect(badSignature.status == 1)
        #expect(badSignature.stderr == Self.summaryRefused("demo") + " (its ed25519 signature does not verify with the trusted key)\n",
                "\(badSignature)")

        // The forgery: the app re-exported unsigned, its new summary served
        // with the old (genuine) summary.sig.
        try "#!/bin/sh\necho forged\n".write(toFile: scratch.root.path + "/app/files/bin/hello", atomically: false, encoding: .utf8)
        #expect(try await scratch.run("build-export", scratch.repository, scratch.root.path + "/app", "stable").status == 0)
        try realSignatures.write(to: URL(fileURLWithPath: signaturePath))
        let forged = try await scratch.run("install", "--noninteractive", "demo", "org.example.Hello")
        #expect(forged.status == 1)
        #expect(forged.stderr.hasPrefix(Self.summaryRefused("demo")), "\(forged)")
        #expect(try await scratch.run("list").stdout.isEmpty)

        try realSummary.write(to: URL(fileURLWithPath: summaryPath))
        let genuine = try await scratch.run("install", "--noninteractive", "demo", "org.example.Hello")
        #expect(genuine.status == 0, "\(genuine)")
        #expect(try await scratch.run("info", "org.example.Hello").stdout.contains(commits["app"]!))
    }

    @Test func aCommitWithoutAValidSignatureIsRefusedUnderASignedSummary() async throws {
        let scratch = try await Scratch()
        let publisher = try await Ed25519TestKey(in: scratch.root.path, name: "publisher")
        let stranger = try await Ed25519TestKey(in: scratch.root.path, name: "stranger")
        let commits = try await Self.export(scratch, runtime: publisher, app: nil)
        #expect(try await scratch.run("build-update-repo", "--sign=\(publisher.secretFile)", scratch.repository).status == 0)
        #expect(try await scratch.run("remote-add", "--sign-verify=ed25519=file:\(publisher.publicFile)", "demo", "file://" + scratch.repository).status == 0)

        let unsigned = try await scratch.run("install", "--noninteractive", "demo", "org.example.Hello")
        #expect(unsigned.status == 1)
        let app = try #require(commits["app"])
        #expect(unsigned.stderr == "error: commit \(app.prefix(12))… of \(Self.app) is not signed by a trusted ed25519 key (it carries no detached signatures)"
                + "; installed before it: runtime/org.example.Platform/\(Self.arch)/stable\n",
                "\(unsigned)")
        // The signed runtime went in first; of the app nothing is deployed,
        // nothing references its commit, and its objects are gone.
        #expect(try await scratch.run("list").lines.map { $0.split(separator: "\t")[0] } == ["org.example.Platform"])
        #expect(!FileManager.default.fileExists(atPath: scratch.root.path + "/user/app/org.example.Hello"))
        #expect(try await Self.installedRepositoryRefs(scratch).allSatisfy { !$0.contains("org.example.Hello") })
        #expect(!FileManager.default.fileExists(atPath: "\(scratch.root.path)/user/repo/objects/\(app.prefix(2))/\(app.dropFirst(2)).commit"))

        // Signed, but by a key the remote does not trust.
        let other = try await scratch.run("build-export", "--sign=\(stranger.secretFile)", scratch.repository, scratch.root.path + "/app", "stable")
        #expect(other.status == 0, "\(other)")
        #expect(try await scratch.run("build-update-repo", "--sign=\(publisher.secretFile)", scratch.repository).status == 0)
        let wrongKey = try await scratch.run("install", "--noninteractive", "demo", "org.example.Hello")
        #expect(wrongKey.status == 1)
        #expect(wrongKey.stderr.hasSuffix("is not signed by a trusted ed25519 key (its ed25519 signature does not verify with the trusted key)\n"),
                "\(wrongKey)")
        #expect(try await scratch.run("list").lines.count == 1)
    }

    /// burrow's signatures checked by openssl over the exact bytes OSTree
    /// signs: the commit object file and the summary file.
    @Test func signaturesVerifyWithOpenSSLOverOSTreesBytes() async throws {
        let scratch = try await Scratch()
        let publisher = try await Ed25519TestKey(in: scratch.root.path, name: "publisher")
        let commits = try await Self.export(scratch, runtime: nil, app: publisher)
        let app = try #require(commits["app"])
        let commitFile = "\(scratch.repository)/objects/\(app.prefix(2))/\(app.dropFirst(2)).commit"

        let commitSignatures = try await OSTreeSignatureReader.signatures(ofCommit: app, in: scratch.repository)
        #expect(commitSignatures.count == 1)
        #expect(try await publisher.opensslVerifies(commitSignatures[0], over: commitFile, scratch: scratch.root.path))

        let summarySignatures = try await OSTreeSignatureReader.signatures(
            inMetadataFile: scratch.repository + "/summary.sig", scratch: scratch.root.path)
        #expect(summarySignatures.count == 1)
        #expect(try await publisher.opensslVerifies(summarySignatures[0], over: scratch.repository + "/summary", scratch: scratch.root.path))
        // The control: a signature is not valid over other bytes.
        #expect(!(try await publisher.opensslVerifies(summarySignatures[0], over: commitFile, scratch: scratch.root.path)))
    }
}
