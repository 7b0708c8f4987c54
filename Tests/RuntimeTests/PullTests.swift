import Foundation
import Installer
import PortalCommon
import Runtime
import Testing

@Suite struct PullTests {
    /// A published repository with the busybox runtime and the app, and an
    /// empty bare-user-only repository to pull into.
    func setUp(_ scratch: Scratch) throws -> (published: String, exports: (runtime: Publisher.Export, app: Publisher.Export), local: String) {
        let published = scratch.sub("published")
        let exports = try Fixtures.publishRuntimeAndApp(repository: published, scratch: scratch)
        let local = scratch.sub("local")
        _ = try OSTreeRepository.create(at: local, mode: .bareUserOnly)
        return (published, exports, local)
    }

    /// Pulls on a thread of its own, as every caller must.
    func pull(
        into path: String, from remote: String, options: PullOptions, log: ProgressLog? = nil
    ) async throws {
        try await BlockingWork.run {
            try OSTreeRepository(openingAt: path).pull(from: remote, options: options) { log?.record($0) }
        }
    }

    @Test func pullsFromAFileURLRemote() async throws {
        let scratch = try Scratch()
        let (published, exports, local) = try setUp(scratch)
        try OSTreeRepository(openingAt: local).addRemote("origin", url: "file://" + published, options: .unverified)

        let log = ProgressLog()
        try await pull(into: local, from: "origin", options: PullOptions(refs: [exports.runtime.ref.description]), log: log)
        let repository = try OSTreeRepository(openingAt: local)
        #expect(try repository.resolve("origin:\(exports.runtime.ref)") == exports.runtime.commit)
        #expect(try repository.commit(exports.runtime.commit).metadata.flatpakRef == exports.runtime.ref.description)
        // Exactly one final report, and it is the last one.
        #expect(log.all.filter(\.isFinished).count == 1)
        #expect(log.all.last?.isFinished == true)
        // Local objects are copied, not fetched.
        #expect((log.all.last?.importedObjects ?? 0) > 3)
    }

    @Test func pullsOverHTTPWithProgress() async throws {
        let scratch = try Scratch()
        let (published, exports, local) = try setUp(scratch)
        let server = try await StaticHTTPServer.start(serving: published)
        try OSTreeRepository(openingAt: local).addRemote("origin", url: server.url, options: .unverified)

        let log = ProgressLog()
        let refs = [exports.runtime.ref.description, exports.app.ref.description]
        try await pull(into: local, from: "origin", options: PullOptions(refs: refs), log: log)
        let repository = try OSTreeRepository(openingAt: local)
        #expect(try repository.resolve("origin:\(exports.app.ref)") == exports.app.commit)
        #expect(try repository.resolve("origin:\(exports.runtime.ref)") == exports.runtime.commit)
        let last = try #require(log.all.last)
        #expect(last.isFinished)
        // busybox alone is about 2 MB, compressed on the wire.
        #expect(last.bytesTransferred > 500_000)
        #expect(last.fetchedObjects > 3)
    }

    @Test func pullsAFileURLDirectlyAsLocalRefs() async throws {
        let scratch = try Scratch()
        let (published, exports, local) = try setUp(scratch)
        try await pull(into: local, from: "file://" + published, options: PullOptions(refs: [exports.app.ref.description]))
        #expect(try OSTreeRepository(openingAt: local).resolve(exports.app.ref.description) == exports.app.commit)
    }

    @Test func refusesUnsignedCommitsWhenGPGIsRequired() async throws {
        let scratch = try Scratch()
        let (published, exports, local) = try setUp(scratch)
        let server = try await StaticHTTPServer.start(serving: published)
        // Default options: verification on, as for any remote added without
        // --no-gpg-verify.
        try OSTreeRepository(openingAt: local).addRemote("origin", url: server.url, options: RemoteOptions())
        let error = await #expect(throws: OSTreeError.self) {
            try await pull(into: local, from: "origin", options: PullOptions(refs: [exports.app.ref.description]))
        }
        #expect(error?.kind == .signature)
        #expect(error.map(PortalError.init)?.name == "org.freedesktop.portal.Error.NotAllowed")
        #expect(try OSTreeRepository(openingAt: local).resolve("origin:\(exports.app.ref)") == nil)

        // The same pull with verification explicitly off succeeds.
        try await pull(
            into: local, from: "origin",
            options: PullOptions(refs: [exports.app.ref.description], gpgVerify: false, gpgVerifySummary: false))
        #expect(try OSTreeRepository(openingAt: local).resolve("origin:\(exports.app.ref)") == exports.app.commit)
    }

    @Test func reportsUnreachableAndMissing() async throws {
        let scratch = try Scratch()
        let (published, exports, local) = try setUp(scratch)
        let port = try StaticHTTPServer.freeLoopbackPort()
        let repository = try OSTreeRepository(openingAt: local)
        try repository.addRemote("down", url: "http://127.0.0.1:\(port)", options: .unverified)
        try repository.addRemote("origin", url: "file://" + published, options: .unverified)

        let unreachable = await #expect(throws: OSTreeError.self) {
            try await pull(into: local, from: "down", options: PullOptions(refs: [exports.app.ref.description]))
        }
        #expect(unreachable?.description.contains("down") == true)

        let missing = await #expect(throws: OSTreeError.self) {
            try await pull(into: local, from: "origin", options: PullOptions(refs: ["app/org.example.Missing/x86_64/stable"]))
        }
        #expect(missing?.description.contains("org.example.Missing") == true)

        let unknownRemote = await #expect(throws: OSTreeError.self) {
            try await pull(into: local, from: "nonexistent", options: PullOptions(refs: [exports.app.ref.description]))
        }
        #expect(unknownRemote?.kind == .notFound)
    }

    @Test func pullsAnExactCommit() async throws {
        let scratch = try Scratch()
        let (published, first, local) = try setUp(scratch)
        // A second export moves the ref on; the first commit stays reachable
        // as its parent.
        let newer = try Fixtures.publishRuntimeAndApp(repository: published, scratch: scratch, greeting: "newer")
        #expect(newer.app.commit != first.app.commit)
        try OSTreeRepository(openingAt: local).addRemote("origin", url: "file://" + published, options: .unverified)
        try await pull(
            into: local, from: "origin",
            options: PullOptions(refs: [first.app.ref.description], commits: [first.app.commit]))
        #expect(try OSTreeRepository(openingAt: local).resolve("origin:\(first.app.ref)") == first.app.commit)
    }

    @Test func readsTheRemoteSummaryWithFlatpaksCache() async throws {
        let scratch = try Scratch()
        let (published, exports, _) = try setUp(scratch)
        let server = try await StaticHTTPServer.start(serving: published)
        let installation = Installation(scope: .user, path: scratch.sub("user"))
        try await installation.addRemote("origin", url: server.url, options: .unverified)

        let summary = try await installation.remoteSummary("origin")
        #expect(Set(summary.refs.keys) == [exports.app.ref.description, exports.runtime.ref.description])
        let app = try #require(summary.refs[exports.app.ref.description])
        #expect(app.commit == exports.app.commit)
        let commitMetadata = try OSTreeRepository(openingAt: published).commit(exports.app.commit).metadata
        #expect(app.metadata == commitMetadata.flatpakMetadata)
        #expect(app.installedSize == commitMetadata.installedSize)
        #expect(app.downloadSize == commitMetadata.downloadSize)
        // What an installer needs before pulling: the app's runtime.
        let metadata = try AppMetadata(parsing: Array((app.metadata ?? "").utf8), fileName: "summary")
        #expect(metadata.runtime == Fixtures.runtimeRef)

        let unknown = await #expect(throws: InstallerError.self) { try await installation.remoteSummary("nope") }
        #expect(unknown?.kind == .unknownRemote)
    }

    @Test func refusesAnUnsignedSummaryWhenVerificationIsOn() async throws {
        let scratch = try Scratch()
        let (published, _, _) = try setUp(scratch)
        let server = try await StaticHTTPServer.start(serving: published)
        let installation = Installation(scope: .user, path: scratch.sub("user"))
        try await installation.addRemote("origin", url: server.url)
        let error = await #expect(throws: OSTreeError.self) { try await installation.remoteSummary("origin") }
        #expect(error?.kind == .signature)
    }
}
