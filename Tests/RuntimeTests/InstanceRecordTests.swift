import Foundation
import PortalCommon
@testable import Runtime
import Testing
import TestSupport

/// Removal of ended sandboxes' records in $XDG_RUNTIME_DIR/.flatpak, which
/// `flatpak run` shares: its live instances must survive burrow's clean-up.
@Suite("Instance records: what counts as ended")
struct InstanceRecordTests {
    /// A Flatpak instance directory: `.ref`, dated `age` seconds ago
    /// (negative: ahead).
    private func flatpakInstance(_ runtime: String, _ id: String, age: Int) throws -> String {
        let directory = runtime + "/.flatpak/" + id
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: directory + "/.ref", contents: Data()))
        let then = Date(timeIntervalSinceNow: -Double(age))
        try FileManager.default.setAttributes([.modificationDate: then], ofItemAtPath: directory + "/.ref")
        return directory
    }

    @Test func aFlatpakInstanceIsEndedOnlyWhenNobodyHoldsItsLock() async throws {
        let scratch = try Scratch()
        let held = try flatpakInstance(scratch.path, "111", age: 60)
        let released = try flatpakInstance(scratch.path, "222", age: 60)
        // As flatpak run does: a read lock (fcntl, so another process's).
        let holder = try ChildProcess("/usr/bin/python3", ["-c", """
            import fcntl, sys, time
            f = open(sys.argv[1], "r+"); fcntl.lockf(f, fcntl.LOCK_SH); print("locked", flush=True); time.sleep(60)
            """, held + "/.ref"], captureOutput: true)
        defer { holder.stop() }
        #expect(await holder.nextOutputLine() == "locked")
        // Its pid runs neither burrow nor bwrap (flatpak writes its own
        // before it execs bwrap): the lock decides, not the process name.
        try AtomicFile.write("\(holder.pid)\n", to: held + "/pid")

        // Dated ahead: "just created" however long the lines above took on
        // a loaded machine.
        let young = try flatpakInstance(scratch.path, "333", age: -30)
        InstanceRecord.removeEnded(runtimeDirectory: scratch.path)
        #expect(FileSystem.isDirectory(held), "a running Flatpak instance is kept")
        #expect(!FileSystem.isDirectory(released), "an unlocked, old one is removed")
        #expect(FileSystem.isDirectory(young), "a .ref under 3 s old may be about to be locked")

        holder.stop()
        InstanceRecord.removeEnded(runtimeDirectory: scratch.path)
        #expect(!FileSystem.isDirectory(held), "once its lock is gone, so is the record")
    }

    @Test func aBurrowRecordIsEndedWhenItsProcessIsGone() throws {
        let scratch = try Scratch()
        let base = scratch.path + "/.flatpak"
        for (id, pid) in [("444", "999999999"), ("555", String(getpid()))] {
            try FileManager.default.createDirectory(atPath: base + "/" + id, withIntermediateDirectories: true)
            try AtomicFile.write(pid + "\n", to: base + "/" + id + "/pid")
        }
        try FileManager.default.createDirectory(atPath: base + "/666", withIntermediateDirectories: true)
        InstanceRecord.removeEnded(runtimeDirectory: scratch.path)
        #expect(!FileSystem.isDirectory(base + "/444"), "no such process")
        #expect(!FileSystem.isDirectory(base + "/555"), "a process that is neither the launcher nor bwrap: a reused pid")
        #expect(FileSystem.isDirectory(base + "/666"), "no pid yet: being created")
    }
}
