import Foundation
import PortalCommon
import Testing
import TestSupport

@Suite("burrow build-init and build-finish")
struct BuildCommandTests {
    @Test func initFinishExportInstall() async throws {
        let scratch = try await InstallCommandTests.Scratch()
        try await scratch.publish()
        let dir = scratch.root.path + "/built"
        let refused = try await scratch.run("build-init", dir, "org.test.Built", "org.example.Sdk", "org.example.Platform", "stable")
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("org.example.Sdk/\(InstallCommandTests.arch)/stable is not installed"))

        // With the runtime installed (it is its own SDK here), build-init checks pass.
        _ = try await scratch.run("install", "--noninteractive", "demo", "runtime/org.example.Platform/\(InstallCommandTests.arch)/stable")
        let initialized = try await scratch.run("build-init", dir, "org.test.Built", "org.example.Platform", "org.example.Platform", "stable")
        #expect(initialized.status == 0, "\(initialized)")
        try FileManager.default.createDirectory(atPath: dir + "/files/bin", withIntermediateDirectories: true)
        try AtomicFile.write("#!/bin/sh\necho built\n", to: dir + "/files/bin/built")
        chmod(dir + "/files/bin/built", 0o755)

        let finished = try await scratch.run("build-finish", dir, "--share=network", "--socket=wayland", "--nosocket=x11",
                                             "--filesystem=xdg-download:ro", "--talk-name=org.freedesktop.Notifications", "--env=GREETING=hi")
        #expect(finished.status == 0, "\(finished)")
        let metadata = try String(contentsOfFile: dir + "/metadata", encoding: .utf8)
        for line in ["command=built", "shared=network;", "filesystems=xdg-download:ro;", "org.freedesktop.Notifications=talk", "GREETING=hi"] {
            #expect(metadata.contains(line), "\(line) missing from\n\(metadata)")
        }
        #expect(metadata.contains("!x11"))

        let export = try await scratch.run("build-export", scratch.repository, dir, "stable")
        #expect(export.status == 0, "\(export)")
        let install = try await scratch.run("install", "--noninteractive", "demo", "org.test.Built")
        #expect(install.status == 0, "\(install)")
        let info = try await scratch.run("info", "org.test.Built")
        #expect(info.stdout.contains("    network"))
        #expect(info.stdout.contains("dbus talk: org.freedesktop.Notifications"))
    }

    @Test(arguments: [
        (["--filesystem=../etc"], "unknown filesystem location"),
        (["--socket=telepathy"], "sockets"),
        (["--env=NOVALUE"], "VAR=VALUE"),
        (["--talk-name=not a name"], "Session Bus Policy"),
    ])
    func finishRefusesWhatMetadataCouldNotSay(flags: [String], message: String) async throws {
        let scratch = try await InstallCommandTests.Scratch()
        let dir = scratch.root.path + "/built"
        _ = try await scratch.run("build-init", "--no-check-installed", dir, "org.test.Built", "org.example.Platform", "org.example.Platform")
        let result = try await burrow(["build-finish", "--command=x", dir] + flags, environment: scratch.environment)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains(message), "\(result)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/export"), "nothing finished on error")
    }
}
