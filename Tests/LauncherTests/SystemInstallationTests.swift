import Foundation
import Testing
import TestSupport

/// The system-wide installation: root installs, every user runs.
@Suite("System installation")
struct SystemInstallationTests {
    @Test func rootInstallsAndAnUnprivilegedUserRunsAndCannotChangeIt() async throws {
        let scratch = try await InstallCommandTests.Scratch()
        for (flags, dir) in [(["--runtime"], "runtime"), ([], "app")] {
            let export = try await scratch.run(["build-export"] + flags + [scratch.repository, scratch.root.path + "/" + dir, "stable"])
            #expect(export.status == 0, "\(export)")
        }
        #expect(try await scratch.run("remote-add", "--system", "--no-gpg-verify", "demo", "file://" + scratch.repository).status == 0)
        let install = try await scratch.run("install", "--system", "--noninteractive", "demo", "org.example.Hello")
        #expect(install.status == 0, "\(install)")

        // Root's own view: nothing per-user, both refs system-wide.
        #expect(try await scratch.run("list", "--user").stdout.isEmpty)
        let listed = try await scratch.run("list", "--columns=installation,ref")
        #expect(listed.lines == ["system\tapp/org.example.Hello/\(InstallCommandTests.arch)/stable",
                                 "system\truntime/org.example.Platform/\(InstallCommandTests.arch)/stable"], "\(listed)")

        // nobody, with a home and runtime directory of its own and an empty
        // per-user installation, finds and runs the system's app.
        var environment = try RunCommandTests.nobodyEnvironment(in: scratch)
        environment["BURROW_USER_DIR"] = environment["HOME"]! + "/burrow"
        let listedByNobody = try await RunCommandTests.runAsNobody(["list", "--app", "--columns=application,installation"], environment: environment)
        #expect(listedByNobody.stdout == "org.example.Hello\tsystem\n", "\(listedByNobody)")
        let hello = try await RunCommandTests.runAsNobody(["run", "org.example.Hello"], environment: environment)
        #expect(hello.status == 0, "\(hello)")
        #expect(hello.stdout.contains("I am uid 65534"), "\(hello)")

        // …and can change none of it: refused up front, with a message.
        for arguments in [["install", "--system", "--noninteractive", "demo", "org.example.Hello"],
                          ["uninstall", "--system", "--noninteractive", "org.example.Hello"],
                          ["remote-delete", "--system", "demo"]] {
            let refused = try await RunCommandTests.runAsNobody(arguments, environment: environment)
            #expect(refused.status != 0, "\(arguments): \(refused)")
            #expect(refused.stderr.contains("needs root"), "\(arguments): \(refused)")
        }
        #expect(try await scratch.run("list", "--system", "--app").lines.count == 1, "still installed")
    }
}
