import CLinux
import Foundation
import PortalCommon
import Testing
import TestSupport

/// Stopping, crashing and starting again.
@Suite("Document portal: restarts and crashes")
struct LifecycleTests {
    @Test func sigtermReleasesTheNameAndUnmounts() async throws {
        let portal = try await DocumentDaemon()
        _ = try await portal.addFile("any.txt")
        #expect(portal.isMounted)
        let status = portal.terminate()
        #expect(status.map { $0 & 0x7f == 0 && ($0 >> 8) & 0xff == 0 } == true, "wait status \(String(describing: status))")
        #expect(!portal.isMounted, "the store is still mounted after SIGTERM")
        try await portal.waitUntilNameIsFree()
    }

    @Test func theStoreSurvivesAFloodOfCallsAndReaders() async throws {
        let portal = try await DocumentDaemon()
        let path = try portal.makeFile("flood.txt", contents: "steady")
        // 100 concurrent Adds (half of them reusing; the private bus allows
        // 128 pending replies per connection) while 8 readers hammer the
        // mount and bogus calls arrive in between.
        let ids = try await withThrowingTaskGroup(of: String?.self) { group in
            for index in 0..<100 {
                group.addTask {
                    if index % 10 == 0 { _ = try? await portal.info("no-such-document") }
                    return try await portal.add(portal.open(path, O_RDONLY), reuse: index % 2 == 0)
                }
            }
            group.addTask {
                let readers = try await portal.shell("""
                    for reader in 1 2 3 4 5 6 7 8; do
                        ( for round in $(seq 50); do ls "$DOC" >/dev/null; cat "$DOC"/*/flood.txt >/dev/null 2>&1; done ) &
                    done
                    wait
                    """)
                #expect(readers.status == 0, "\(readers.stderr)")
                return nil
            }
            return try await group.reduce(into: Set<String>()) { if let id = $1 { $0.insert(id) } }
        }
        #expect(ids.count == 51, "one reused id and 50 unique ones")
        let after = try await portal.shell("cat \"$DOC/\(ids.sorted().first!)/flood.txt\"")
        #expect(after.stdout == "steady")
        #expect(portal.isMounted)
    }

    @Test func persistentDocumentsSurviveARestartTransientOnesDoNot() async throws {
        let portal = try await DocumentDaemon()
        let kept = try await portal.addFile("keep.txt", contents: "kept", persistent: true)
        let dropped = try await portal.addFile("drop.txt", contents: "dropped", persistent: false)
        try await portal.grant(kept, to: "org.burrow.Viewer", ["read"])
        try await portal.grant(dropped, to: "org.burrow.Viewer", ["read"])
        portal.terminate()
        try await portal.restart()

        #expect(try await portal.list() == [kept: portal.filesDirectory + "/keep.txt"])
        #expect(try await portal.info(kept).apps == ["org.burrow.Viewer": ["read"]])
        let missing = await #expect(throws: PortalError.self) { try await portal.info(dropped) }
        #expect(missing?.name == ErrorName.notFound)
        let view = try await portal.shell("""
            cat "$DOC/\(kept)/keep.txt" || exit 10
            cat "$DOC/by-app/org.burrow.Viewer/\(kept)/keep.txt" || exit 11
            stat "$DOC/\(dropped)" >/dev/null 2>&1 && exit 12
            exit 0
            """)
        #expect(view.status == 0, "step \(view.status): \(view.stderr)")
        #expect(view.stdout == "keptkept")
    }

    @Test func persistentFlagOfAddFullAndAddNamedSurvivesARestart() async throws {
        let portal = try await DocumentDaemon()
        let path = try portal.makeFile("full.txt")
        let (ids, _) = try await portal.addFull([portal.open(path, O_RDONLY)], flags: 2)
        let named = try await portal.addNamed(parent: portal.open(portal.filesDirectory, burrow_o_path), "named.txt", persistent: true)
        let transient = try await portal.addNamed(parent: portal.open(portal.filesDirectory, burrow_o_path), "transient.txt")
        portal.terminate()
        try await portal.restart()
        let listed = try await portal.list()
        #expect(Set(listed.keys) == Set(ids + [named]))
        #expect(listed[transient] == nil)
    }

    @Test func aDocumentAddedRightBeforeAKillSurvivesIt() async throws {
        let portal = try await DocumentDaemon()
        let id = try await portal.addFile("crash.txt", contents: "survives", persistent: true)
        portal.kill()
        // Clearing the dead mount by hand keeps this test about durability
        // alone; the next test leaves that to the daemon.
        portal.detachMounts()
        try await portal.restart()
        #expect(try await portal.list() == [id: portal.filesDirectory + "/crash.txt"])
        let read = try await portal.shell("cat \"$DOC/\(id)/crash.txt\"")
        #expect(read.stdout == "survives", "\(read.stderr)")
    }

    @Test func aRestartAfterAKillClearsTheStaleMount() async throws {
        let portal = try await DocumentDaemon()
        // Killed right after Add returns, before anything lists the
        // store's root (a listing would drop the root's cached attributes).
        let id = try await portal.addFile("crash.txt", contents: "survives", persistent: true)
        portal.kill()

        // The kernel keeps the mount of a dead FUSE server: every access
        // that reaches it answers ENOTCONN until someone clears it.
        #expect(portal.mountCount == 1)
        let stale = try await portal.shell("ls \"$DOC\"")
        #expect(stale.status != 0)
        #expect(stale.stderr.contains("Transport endpoint is not connected"), "\(stale.stderr)")

        try await portal.restart()
        #expect(portal.mountCount == 1, "the stale mount is still stacked under the new one")
        #expect(try await portal.list().keys.sorted() == [id])
        let read = try await portal.shell("cat \"$DOC/\(id)/crash.txt\"")
        #expect(read.stdout == "survives", "\(read.stderr)")
    }

    @Test func aSecondInstanceDoesNotTakeOverALiveMount() async throws {
        let portal = try await DocumentDaemon()
        let id = try await portal.addFile("first.txt", contents: "first")
        // Started again while the first still runs: the name is taken, and
        // the live mount must not be detached from under the first.
        let second = try ChildProcess("/bin/sh", ["-c", "exec \"$@\" 2>/dev/null"] + ["sh"]
                                      + Nobody.command(try BuiltProducts.path("burrow-document-portal")),
                                      environment: [
                                          "DBUS_SESSION_BUS_ADDRESS": portal.bus.address,
                                          "XDG_RUNTIME_DIR": portal.runtimeDirectory,
                                          "BURROW_PERMISSION_DB": portal.databasePath,
                                      ])
        let status = second.wait(timeout: .seconds(20))
        #expect(status != nil && second.exitCode != 0, "the second instance did not fail")
        #expect(portal.mountCount == 1)
        let read = try await portal.shell("cat \"$DOC/\(id)/first.txt\"")
        #expect(read.stdout == "first", "\(read.stderr)")
    }
}
