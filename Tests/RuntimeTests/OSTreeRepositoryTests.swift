import Foundation
import Installer
import PortalCommon
import Runtime
import Testing

@Suite struct OSTreeRepositoryTests {
    /// A small tree: metadata, files/ with an executable, a private file and
    /// a private directory, plus junk that a filter should drop.
    func makeTree(_ scratch: Scratch) throws -> String {
        let tree = scratch.sub("tree")
        try Files.write("[Runtime]\nname=org.example.Tree\n", to: tree + "/metadata", mode: 0o600)
        try Files.write("#!/bin/sh\n", to: tree + "/files/bin/tool", mode: 0o700)
        try Files.write("secret", to: tree + "/files/private/data", mode: 0o600)
        chmod(tree + "/files/private", 0o700)
        try Files.write("junk", to: tree + "/var/junk")
        return tree
    }

    @Test func commitsATreeAndReadsItBack() throws {
        let scratch = try Scratch()
        let tree = try makeTree(scratch)
        let repository = try OSTreeRepository.create(at: scratch.sub("repo"), mode: .archive)
        #expect(repository.mode == .archive)

        let commit = try repository.writeCommit(
            of: tree, ref: "runtime/org.example.Tree/x86_64/stable", subject: "First", body: "Body",
            timestamp: 1_700_000_000
        ) { sizes in
            #expect(sizes.installed > 0 && sizes.download > 0)
            return CommitMetadata([
                "xa.metadata": .string("text"),
                "xa.installed-size": .uint64(sizes.installed.bigEndian),
                "ostree.ref-binding": .strings(["runtime/org.example.Tree/x86_64/stable"]),
                "test.flag": .bool(true),
            ])
        }
        #expect(try repository.resolve("runtime/org.example.Tree/x86_64/stable") == commit)
        #expect(try repository.resolve("runtime/org.example.Missing/x86_64/stable") == nil)

        let read = try repository.commit(commit)
        #expect(read.subject == "First")
        #expect(read.body == "Body")
        #expect(read.timestamp == 1_700_000_000)
        #expect(read.parent == nil)
        #expect(read.metadata.flatpakMetadata == "text")
        #expect(read.metadata.refBinding == ["runtime/org.example.Tree/x86_64/stable"])
        #expect(read.metadata["test.flag"] == .bool(true))
        #expect((read.metadata.installedSize ?? 0) > 0)

        // A second commit on the same ref has the first as its parent.
        let second = try repository.writeCommit(of: tree, ref: "runtime/org.example.Tree/x86_64/stable", subject: "2") {
            _ in CommitMetadata()
        }
        #expect(try repository.commit(second).parent == commit)
        #expect(try repository.refs() == ["runtime/org.example.Tree/x86_64/stable": second])
        #expect(try repository.refs(withPrefix: "app/").isEmpty)

        try repository.regenerateSummary()
        #expect(FileManager.default.fileExists(atPath: scratch.sub("repo/summary")))
    }

    @Test func canonicalizesModesAndFiltersTopLevelNames() throws {
        let scratch = try Scratch()
        let tree = try makeTree(scratch)
        let repository = try OSTreeRepository.create(at: scratch.sub("repo"), mode: .bareUserOnly)
        let commit = try repository.writeCommit(
            of: tree, filter: .init(topLevelNames: ["metadata", "files"], fixedModes: ["/metadata": 0o644]),
            ref: "test", subject: "modes"
        ) { _ in CommitMetadata() }

        let checkout = scratch.sub("checkout")
        try repository.checkout(commit, to: checkout)
        func mode(_ path: String) -> mode_t { Files.info(checkout + path).st_mode & 0o7777 }
        #expect(mode("/metadata") == 0o644)
        #expect(mode("/files/bin/tool") == 0o755)
        #expect(mode("/files/private") == 0o755)
        #expect(mode("/files/private/data") == 0o644)
        #expect(!FileManager.default.fileExists(atPath: checkout + "/var"))
    }

    @Test func checkoutHardLinksObjectsAndNeverOverwrites() throws {
        let scratch = try Scratch()
        let tree = try makeTree(scratch)
        let repository = try OSTreeRepository.create(at: scratch.sub("repo"), mode: .bareUserOnly)
        let commit = try repository.writeCommit(of: tree, ref: "test", subject: "links") { _ in CommitMetadata() }

        let first = scratch.sub("first")
        try repository.checkout(commit, to: first)
        let second = scratch.sub("second")
        try repository.checkout(commit, to: second)
        // Both checkouts and the object store share one inode per file.
        let a = Files.info(first + "/files/bin/tool")
        let b = Files.info(second + "/files/bin/tool")
        #expect(a.st_ino == b.st_ino)
        #expect(a.st_nlink >= 3)

        let error = #expect(throws: OSTreeError.self) { try repository.checkout(commit, to: first) }
        #expect(error?.kind == .exists)

        let subpath = scratch.sub("only-metadata")
        try repository.checkout(commit, to: subpath, subpath: "/metadata")
        // A file subpath lands inside the destination directory, alone.
        #expect(Files.isRegularFile(subpath + "/metadata"))
        #expect(!FileManager.default.fileExists(atPath: subpath + "/files"))
    }

    @Test func failuresNameTheOperationAndMapToPortalErrors() throws {
        let scratch = try Scratch()
        let error = #expect(throws: OSTreeError.self) { try OSTreeRepository(openingAt: scratch.sub("nothing")) }
        #expect(error?.description.contains(scratch.sub("nothing")) == true)
        #expect(error?.kind == .notFound)
        #expect(error.map(PortalError.init)?.name == "org.freedesktop.portal.Error.NotFound")

        let repository = try OSTreeRepository.create(at: scratch.sub("repo"), mode: .archive)
        let badCommit = #expect(throws: OSTreeError.self) { try repository.commit("not-a-checksum") }
        #expect(badCommit?.description.contains("not-a-checksum") == true)
        let missing = #expect(throws: OSTreeError.self) { try repository.commit(String(repeating: "a", count: 64)) }
        #expect(missing?.kind == .notFound)
        #expect(throws: OSTreeError.self) { try repository.addRemote("bad name/", url: "file:///x", options: .unverified) }
    }

    @Test func pruneDeletesWhatNoRefReaches() throws {
        let scratch = try Scratch()
        let tree = try makeTree(scratch)
        let other = scratch.sub("other")
        try Files.write("[Runtime]\nname=org.example.Other\n", to: other + "/metadata")
        try Files.write(String(repeating: "x", count: 10_000), to: other + "/files/big")
        let repository = try OSTreeRepository.create(at: scratch.sub("repo"), mode: .archive)
        _ = try repository.writeCommit(of: tree, ref: "keep", subject: "keep") { _ in CommitMetadata() }
        _ = try repository.writeCommit(of: other, ref: "drop", subject: "drop") { _ in CommitMetadata() }

        #expect(try repository.prune().objectsPruned == 0)
        try repository.setRef("drop", to: nil)
        #expect(try repository.resolve("drop") == nil)
        let result = try repository.prune()
        #expect(result.objectsPruned > 0)
        #expect(result.bytesFreed > 0)
        #expect(try repository.resolve("keep") != nil)
    }

    @Test func remotesLiveInTheConfig() throws {
        let scratch = try Scratch()
        let repository = try OSTreeRepository.create(at: scratch.sub("repo"), mode: .bareUserOnly)
        try repository.addRemote("origin", url: "file:///srv/repo", options: .unverified)
        try repository.addRemote("signed", url: "https://example.org/repo", options: RemoteOptions(extra: ["xa.title": "Example"]))
        #expect(repository.remoteNames == ["origin", "signed"])
        #expect(try repository.remoteURL("origin") == "file:///srv/repo")
        #expect(try repository.remoteRequiresGPG("origin") == false)
        #expect(try repository.remoteRequiresGPG("signed") == true)
        #expect(try repository.remoteOption("signed", key: "xa.title") == "Example")

        let duplicate = #expect(throws: OSTreeError.self) {
            try repository.addRemote("origin", url: "file:///elsewhere", options: .unverified)
        }
        #expect(duplicate?.kind == .exists)
        try repository.addRemote("origin", url: "file:///elsewhere", options: .unverified, replacing: true)
        #expect(try repository.remoteURL("origin") == "file:///elsewhere")
        try repository.removeRemote("signed")
        #expect(repository.remoteNames == ["origin"])

        // Another process opening the same repository sees the same config.
        let reopened = try OSTreeRepository(openingAt: scratch.sub("repo"))
        #expect(reopened.remoteNames == ["origin"])
        #expect(reopened.mode == .bareUserOnly)
    }
}
