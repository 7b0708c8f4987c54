import Foundation
import Testing
import TestSupport

/// `burrow repair` checks objects too: a file of an installed app damaged
/// on disk (deployments are hard links into the repository, so the object
/// is damaged with it) is fetched again from the remote and redeployed.
@Suite("burrow repair: damaged objects")
struct RepairObjectTests {
    @Test func aDamagedFileIsFetchedAgainAndRedeployed() async throws {
        let scratch = try await InstallCommandTests.Scratch()
        try await scratch.publish()
        #expect(try await scratch.run("install", "--noninteractive", "demo", "org.example.Hello").status == 0)
        let hello = scratch.root.path + "/user/app/org.example.Hello/\(InstallCommandTests.arch)/stable/active/files/bin/hello"
        let original = try String(contentsOfFile: hello, encoding: .utf8)
        // Same size, other bytes: only a checksum notices.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: hello))
        try handle.write(contentsOf: Data(repeating: UInt8(ascii: "x"), count: 8))
        try handle.close()
        #expect(try String(contentsOfFile: hello, encoding: .utf8) != original)

        let dryRun = try await scratch.run("repair", "--dry-run")
        #expect(dryRun.status == 0, "\(dryRun)")
        #expect(dryRun.stdout.contains("app/org.example.Hello") && dryRun.stdout.contains("damaged object"), "\(dryRun)")
        #expect(try String(contentsOfFile: hello, encoding: .utf8) != original, "a dry run changes nothing")

        let repair = try await scratch.run("repair")
        #expect(repair.status == 0, "\(repair)")
        #expect(repair.stdout.contains("redeployed"), "\(repair)")
        #expect(try String(contentsOfFile: hello, encoding: .utf8) == original)
        let again = try await scratch.run("repair")
        #expect(again.stdout.contains("0 repaired, 0 unrecoverable"), "\(again)")
    }
}
