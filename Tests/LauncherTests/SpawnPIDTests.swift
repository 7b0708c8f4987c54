import Foundation
import PortalCommon
import Testing
import TestSupport

/// SHARE_PIDS and EXPOSE_PIDS: the caller is a *running* instance of the
/// demo app (a real `burrow run`), whose namespaces the portal finds from
/// its instance record.
@Suite("Flatpak portal: shared and exposed pids")
struct SpawnPIDTests {
    /// A running `sleep` instance, and a caller carrying its /.flatpak-info.
    static func runningParent(_ portal: FlatpakPortalFixture) async throws -> (ChildProcess, BusConnection) {
        let command = Nobody.command(try BuiltProducts.path("burrow"), ["run", "--command=sleep", "org.example.Hello", "120"])
        let parent = try ChildProcess(command[0], Array(command.dropFirst()), environment: portal.environment)
        let records = portal.environment["XDG_RUNTIME_DIR"]! + "/.flatpak"
        var info: String?
        for _ in 0..<2000 where info == nil {
            for id in (try? FileManager.default.contentsOfDirectory(atPath: records)) ?? []
                where FileManager.default.fileExists(atPath: "\(records)/\(id)/bwrapinfo.json")
                && ((try? String(contentsOfFile: "\(records)/\(id)/bwrapinfo.json", encoding: .utf8)) ?? "").contains("child-pid")
                && (try? String(contentsOfFile: "\(records)/\(id)/pid", encoding: .utf8))?.hasPrefix("\(parent.pid)") == true {
                info = try String(contentsOfFile: "\(records)/\(id)/info", encoding: .utf8)
            }
            if info == nil { try await Task.sleep(for: .milliseconds(10)) }
        }
        guard let info else { throw TestFailure("the parent instance did not start") }
        let caller = try await BridgedConnection.sandboxed(portal.bus, flatpakInfo: info,
                                                           infoFile: portal.scratch.root.appendingPathComponent("parent-info"))
        try await portal.record(from: caller)
        return (parent, caller)
    }

    @Test func sharedPIDsSeeTheParentsProcessesAndExposedOnesAreSeenByIt() async throws {
        let portal = try await FlatpakPortalFixture()
        let (parent, caller) = try await Self.runningParent(portal)
        defer { parent.stop(); caller.close() }
        let shared = try portal.outputFile("shared"), exposed = try portal.outputFile("exposed")
        defer { close(shared.fd); close(exposed.fd) }
        // Inside, /proc is the new sandbox's own pid namespace: a shared one
        // shows the parent's sleep, an exposed (new, nested) one does not.
        let probe = "cat /proc/[0-9]*/comm 2>/dev/null | grep -c '^sleep$'; true"
        let sharedPID = try await portal.spawn(["sh", "-c", probe], fds: [1: shared.fd], flags: 128 | 64, as: caller)
        let exposedPID = try await portal.spawn(["sh", "-c", probe], fds: [1: exposed.fd], flags: 32 | 64, as: caller)
        #expect(try await portal.exitStatus(sharedPID) == 0)
        #expect(try await portal.exitStatus(exposedPID) == 0)
        #expect(portal.contents(shared.path) == "1\n", "shared: the parent's sleep is visible")
        #expect(portal.contents(exposed.path) == "0\n", "exposed: a namespace of its own below the parent's")
        let relpids = portal.events(exposedPID).filter { $0.0 == "SpawnStarted" }.map(\.1)
        #expect(relpids.count == 1 && relpids[0] != 0, "SpawnStarted carries the pid as the parent sees it: \(relpids)")
    }
}
