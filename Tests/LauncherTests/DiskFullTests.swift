import Foundation
import Testing
import TestSupport

/// A full disk under the installation: one clear error line, nothing
/// half-installed, and the same install works once there is room.
@Suite("burrow install on a full disk")
struct DiskFullTests {
    @Test(arguments: [false, true])
    func aFullDiskIsOneErrorAndRetryWorks(withOSTreeReserve: Bool) async throws {
        let scratch = try await InstallCommandTests.Scratch()
        for (flags, dir) in [(["--runtime"], "runtime"), ([], "app")] {
            #expect(try await scratch.run(["build-export"] + flags + [scratch.repository, scratch.root.path + "/" + dir, "stable"]).status == 0)
        }
        // The user installation on a 900 kB tmpfs: less than the runtime.
        let installation = scratch.root.path + "/user"
        try FileManager.default.createDirectory(atPath: installation, withIntermediateDirectories: true)
        let mounted = try await runProgram("/bin/mount", ["-t", "tmpfs", "-o", "size=900k", "tmpfs", installation])
        try #require(mounted.status == 0, "\(mounted.stderr)")
        defer { _ = umount2(installation, Int32(MNT_DETACH)) }
        #expect(try await scratch.run("remote-add", "--no-gpg-verify", "demo", "file://" + scratch.repository).status == 0)
        if !withOSTreeReserve {
            // Without libostree's free-space reserve the write itself fails (ENOSPC).
            let config = try await runProgram("/usr/bin/ostree", ["config", "--repo=\(installation)/repo", "set", "core.min-free-space-size", "0MB"])
            #expect(config.status == 0, "\(config.stderr)")
        }

        let full = try await scratch.run("install", "--noninteractive", "demo", "org.example.Hello")
        #expect(full.status == 1)
        #expect(full.stderr.split(separator: "\n").count == 1, "one line: \(full.stderr)")
        #expect(full.stderr.contains(withOSTreeReserve ? "min-free-space" : "No space left on device"), "\(full.stderr)")
        #expect(try await scratch.run("list").stdout.isEmpty, "nothing half-installed is listed")

        // tmpfs only uses memory for what is written; 600 MB clears the 500 MB reserve.
        let grown = try await runProgram("/bin/mount", ["-o", "remount,size=600m", installation])
        #expect(grown.status == 0, "\(grown.stderr)")
        let retry = try await scratch.run("install", "--noninteractive", "demo", "org.example.Hello")
        #expect(retry.status == 0, "\(retry)")
        #expect(try await scratch.run("list").lines.count == 2)
    }
}
