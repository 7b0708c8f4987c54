import Foundation
import Installer
import PortalCommon
import Runtime
import Testing

/// A remote is not trusted to say what a commit is: the deploy checks the
/// commit against the ref it was installed as.
@Suite struct DeployCheckTests {
    static let evilRef = try! FlatpakRef(parsing: "app/org.example.Evil/\(Fixtures.arch)/stable")

    /// Publishes the app build on `ref` with hand-made commit metadata, the
    /// way a hostile or broken repository could.
    func publishForged(
        ref: FlatpakRef, scratch: Scratch, metadataFile: String? = nil,
        commitMetadata: (String) -> CommitMetadata
    ) throws -> String {
        let build = try Fixtures.makeAppBuild(at: scratch.sub("build-\(UUID().uuidString)"))
        if let metadataFile { try Files.write(metadataFile, to: build + "/metadata") }
        let text = try String(contentsOfFile: build + "/metadata", encoding: .utf8)
        let published = scratch.sub("published")
        let repository = try OSTreeRepository.openOrCreate(at: published, mode: .archive)
        _ = try repository.writeCommit(
            of: build, filter: .init(topLevelNames: ["metadata", "files", "export"]), ref: ref.description,
            subject: "forged"
        ) { _ in commitMetadata(text) }
        try Publisher.updateRepository(at: published)
        return published
    }

    func expectRefused(_ published: String, scratch: Scratch, saying fragment: String) async throws {
        let installation = Installation(scope: .user, path: scratch.sub("user"))
        try await installation.addRemote("origin", url: "file://" + published, options: .unverified)
        let error = await #expect(throws: InstallerError.self) {
            try await installation.install(Self.evilRef, from: "origin")
        }
        #expect(error?.kind == .invalidContent)
        #expect(error?.description.contains(fragment) == true, "\(String(describing: error))")
        #expect(error.map(PortalError.init)?.name == "org.freedesktop.portal.Error.InvalidArgument")
        // Nothing deployed, nothing half-deployed.
        #expect(try installation.deployment(for: Self.evilRef) == nil)
        let base = installation.directory(for: Self.evilRef)
        #expect(try FileManager.default.contentsOfDirectory(atPath: base).isEmpty)
    }

    @Test func refusesACommitPublishedForAnotherRef() async throws {
        let scratch = try Scratch()
        let published = try publishForged(ref: Self.evilRef, scratch: scratch) { text in
            CommitMetadata(["xa.metadata": .string(text), "xa.ref": .string(Fixtures.appRef.description)])
        }
        try await expectRefused(published, scratch: scratch, saying: "was published as")
    }

    @Test func refusesMetadataThatDiffersFromTheCommits() async throws {
        let scratch = try Scratch()
        let published = try publishForged(ref: Self.evilRef, scratch: scratch) { _ in
            // What an installer would show: no permissions at all.
            CommitMetadata([
                "xa.metadata": .string("[Application]\nname=org.example.Evil\nruntime=\(Fixtures.runtimeID)/\(Fixtures.arch)/stable\n"),
                "xa.ref": .string(Self.evilRef.description),
            ])
        }
        try await expectRefused(published, scratch: scratch, saying: "does not match")
    }

    @Test func refusesMetadataNamingAnotherApp() async throws {
        let scratch = try Scratch()
        let published = try publishForged(ref: Self.evilRef, scratch: scratch) { text in
            CommitMetadata(["xa.metadata": .string(text), "xa.ref": .string(Self.evilRef.description)])
        }
        try await expectRefused(published, scratch: scratch, saying: "describes app org.example.Hello")
    }

    @Test func refusesCommitsWithoutFlatpakMetadata() async throws {
        let scratch = try Scratch()
        let published = try publishForged(ref: Self.evilRef, scratch: scratch) { _ in CommitMetadata() }
        try await expectRefused(published, scratch: scratch, saying: "no xa.metadata")
    }

    @Test func aDeployThatDiedLeavesThePreviousVersionActive() async throws {
        let scratch = try Scratch()
        let (installation, published, _) = try await Fixtures.installationWithOrigin(scratch)
        let old = try await installation.install(Fixtures.appRef, from: "origin")

        // What a deploy killed before its rename leaves: a staging
        // directory with a partial tree, and a temporary `active` link.
        let base = installation.directory(for: Fixtures.appRef)
        try Files.write("partial", to: base + "/.deploy-abc123/tree/files/bin/hello")
        try FileManager.default.createSymbolicLink(atPath: base + "/.active-xyz", withDestinationPath: "0000")
        #expect(try installation.deployment(for: Fixtures.appRef) == old)
        #expect(try installation.installedRefs().map(\.ref) == [Fixtures.appRef])

        // The next change clears the debris and completes normally.
        try Fixtures.publishRuntimeAndApp(repository: published, scratch: scratch, greeting: "v2")
        let updated = try await installation.update(Fixtures.appRef).deployment
        #expect(updated.commit != old.commit)
        #expect(try FileManager.default.contentsOfDirectory(atPath: base).sorted() == ["active", updated.commit].sorted())
    }
}
