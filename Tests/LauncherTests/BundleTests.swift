import Foundation
import Testing
import TestSupport

/// Single-file bundles: `burrow build-bundle` and `install --bundle`, in
/// flatpak's format both ways.
@Suite("burrow build-bundle and install --bundle")
struct BundleTests {
    typealias Scratch = InstallCommandTests.Scratch

    /// Exports the demo and bundles runtime and app (the app with an
    /// update URL: the repository itself).
    static func bundles(_ scratch: Scratch) async throws -> (runtime: String, app: String) {
        for (flags, dir) in [(["--runtime"], "runtime"), ([], "app")] {
            let export = try await scratch.run(["build-export"] + flags + [scratch.repository, scratch.root.path + "/" + dir, "stable"])
            #expect(export.status == 0, "\(export)")
        }
        let runtime = scratch.root.path + "/runtime.flatpak", app = scratch.root.path + "/app.flatpak"
        let runtimeBundle = try await scratch.run(["build-bundle", "--runtime", scratch.repository, runtime, "org.example.Platform", "stable"])
        let appBundle = try await scratch.run(["build-bundle", "--repo-url=file://\(scratch.repository)", scratch.repository, app,
                                               "org.example.Hello", "stable"])
        #expect(runtimeBundle.status == 0 && appBundle.status == 0, "\(runtimeBundle) \(appBundle)")
        return (runtime, app)
    }

    @Test func bundlesInstallAndUpdateFromTheirURL() async throws {
        let scratch = try await Scratch()
        let (runtime, app) = try await Self.bundles(scratch)
        let missingRuntime = try await scratch.run(["install", "--bundle", app])
        #expect(missingRuntime.status != 0 && missingRuntime.stderr.contains("needs runtime/org.example.Platform"), "\(missingRuntime)")
        for bundle in [runtime, app] {
            let install = try await scratch.run(["install", "--noninteractive", "--bundle", bundle])
            #expect(install.status == 0, "\(install)")
        }
        let listed = try await scratch.run(["list"])
        #expect(listed.lines.map { $0.split(separator: "\t").prefix(5).joined(separator: " ") } == [
            "org.example.Hello \(InstallCommandTests.arch) stable app org.example.Hello-origin",
            "org.example.Platform \(InstallCommandTests.arch) stable runtime org.example.Platform-origin",
        ])
        let hello = scratch.root.path + "/user/app/org.example.Hello/\(InstallCommandTests.arch)/stable/active/files/bin/hello"
        #expect(FileManager.default.isExecutableFile(atPath: hello))
        #expect(try await scratch.run(["install", "--bundle", app]).stderr.contains("already installed"))

        // The app's origin remote follows the URL the bundle named.
        try "#!/bin/sh\necho version 2\n".write(toFile: scratch.root.path + "/app/files/bin/hello", atomically: false, encoding: .utf8)
        chmod(scratch.root.path + "/app/files/bin/hello", 0o755)
        #expect(try await scratch.run(["build-export", scratch.repository, scratch.root.path + "/app", "stable"]).status == 0)
        let update = try await scratch.run(["update", "org.example.Hello"])
        #expect(update.status == 0 && update.stdout.contains("Updated app/org.example.Hello"), "\(update)")
        #expect(try String(contentsOfFile: hello, encoding: .utf8).contains("version 2"))
    }

    @Test func aDamagedBundleInstallsNothing() async throws {
        let scratch = try await Scratch()
        let (runtime, _) = try await Self.bundles(scratch)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: runtime)))
        // Flip bytes in the inline parts (past the header): the objects no
        // longer match their checksums.
        for index in stride(from: bytes.count / 2, to: bytes.count / 2 + 64, by: 1) { bytes[index] ^= 0x5a }
        let damaged = scratch.root.path + "/damaged.flatpak"
        try Data(bytes).write(to: URL(fileURLWithPath: damaged))
        let install = try await scratch.run(["install", "--bundle", damaged])
        #expect(install.status != 0, "\(install)")
        #expect(try await scratch.run(["list"]).stdout.isEmpty)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.root.path + "/user").filter { $0.hasPrefix(".bundle-") }
        #expect(leftovers.isEmpty, "the scratch repository is removed")
    }

    @Test func flatpakAndBurrowReadEachOthersBundles() async throws {
        let scratch = try await Scratch()
        let (runtime, app) = try await Self.bundles(scratch)
        var flatpakEnvironment = scratch.environment
        flatpakEnvironment["FLATPAK_USER_DIR"] = scratch.root.path + "/flatpak"
        // Debian's flatpak installs burrow's bundles…
        for bundle in [runtime, app] {
            let install = try await runProgram("/usr/bin/flatpak", ["--user", "install", "-y", "--noninteractive", "--bundle", bundle],
                                               environment: flatpakEnvironment, timeout: .seconds(120))
            #expect(install.status == 0, "\(install.stderr)")
        }
        let flatpakList = try await runProgram("/usr/bin/flatpak", ["--user", "list", "--columns=ref"], environment: flatpakEnvironment)
        #expect(flatpakList.stdout.contains("org.example.Hello/\(InstallCommandTests.arch)/stable"), "\(flatpakList)")
        // …and burrow installs flatpak's.
        let flatpakRuntime = scratch.root.path + "/fp-runtime.flatpak", flatpakApp = scratch.root.path + "/fp-app.flatpak"
        for (arguments, file) in [(["--runtime"], flatpakRuntime), ([], flatpakApp)] {
            let name = arguments.isEmpty ? "org.example.Hello" : "org.example.Platform"
            let made = try await runProgram("/usr/bin/flatpak", ["build-bundle"] + arguments + [scratch.repository, file, name, "stable"],
                                            environment: flatpakEnvironment, timeout: .seconds(120))
            #expect(made.status == 0, "\(made.stderr)")
            let install = try await scratch.run(["install", "--noninteractive", "--bundle", file])
            #expect(install.status == 0, "\(install)")
        }
        #expect(try await scratch.run(["list"]).lines.count == 2)
    }
}
