import Foundation
import Testing
import TestSupport

/// An update while the app runs: the running deployment is retired, kept
/// while the sandbox holds its .ref, and deleted by the first sweep after.
@Suite("Deployments in use")
struct DeploymentInUseTests {
    static func removed(_ scratch: InstallCommandTests.Scratch) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: scratch.root.path + "/user/.removed")) ?? []
    }

    static func publish(_ scratch: InstallCommandTests.Scratch, version: String) async throws {
        try "#!/bin/sh\necho \(version)\n".write(toFile: scratch.root.path + "/app/files/bin/hello", atomically: false, encoding: .utf8)
        let export = try await scratch.run("build-export", scratch.repository, scratch.root.path + "/app", "stable")
        #expect(export.status == 0, "\(export)")
    }

    @Test func anUpdateKeepsTheRunningDeploymentUntilItsSandboxEnds() async throws {
        let (scratch, environment) = try await RunCommandTests.prepare()
        defer { withExtendedLifetime(scratch) {} }
        let running = try RunCommandTests.startAsNobody(
            ["run", "--command=sh", "org.example.Hello", "-c", "echo started; exec sleep 60"], environment: environment)
        defer { running.stop() }
        let started = await running.nextOutputLine()
        #expect(started == "started")

        try await Self.publish(scratch, version: "version 2")
        let update = try await scratch.run("update", "--noninteractive", "org.example.Hello")
        #expect(update.status == 0, "\(update)")
        let kept = Self.removed(scratch)
        #expect(kept.count == 1, "the running deployment waits in .removed: \(kept)")
        #expect(FileManager.default.fileExists(atPath: scratch.root.path + "/user/.removed/\(kept.first ?? "-")/files/bin/hello"))
        let now = try await RunCommandTests.runAsNobody(["run", "org.example.Hello"], environment: environment)
        #expect(now.stdout == "version 2\n", "new launches run the update: \(now)")

        // The sandbox ends; the next update's sweep deletes what it held.
        running.stop()
        try await Self.publish(scratch, version: "version 3")
        let next = try await scratch.run("update", "--noninteractive", "org.example.Hello")
        #expect(next.status == 0, "\(next)")
        #expect(Self.removed(scratch).isEmpty, "\(Self.removed(scratch))")
    }
}
