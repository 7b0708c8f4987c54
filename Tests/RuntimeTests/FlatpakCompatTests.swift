import Foundation
import Installer
import PortalCommon
import Runtime
import TestSupport
import Testing

/// Repositories must work both ways with Debian's flatpak 1.14: what
/// `flatpak build-export` publishes installs with burrow, and what burrow
/// publishes installs (and runs) with `flatpak install`.
@Suite struct FlatpakCompatTests {
    /// flatpak confined to the scratch directory: its own user and system
    /// installations, caches, home (`flatpak run` makes `~/.var/app/ID`)
    /// and runtime directory — nothing of the machine's.
    func flatpak(_ arguments: [String], scratch: Scratch) async throws -> (status: Int32, stdout: String, stderr: String) {
        var environment = ProcessInfo.processInfo.environment
        for directory in ["home", "run"] {
            try FileManager.default.createDirectory(
                atPath: scratch.sub(directory), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        environment["HOME"] = scratch.sub("home")
        environment["XDG_RUNTIME_DIR"] = scratch.sub("run")
        environment["FLATPAK_USER_DIR"] = scratch.sub("flatpak-user")
        environment["FLATPAK_SYSTEM_DIR"] = scratch.sub("flatpak-system")
        environment["XDG_CACHE_HOME"] = scratch.sub("cache")
        environment["XDG_CONFIG_HOME"] = scratch.sub("config")
        environment["XDG_DATA_HOME"] = scratch.sub("data")
        return try await runProgram("/usr/bin/flatpak", arguments, environment: environment)
    }

    func expectSuccess(_ arguments: [String], scratch: Scratch) async throws -> String {
        let result = try await flatpak(arguments, scratch: scratch)
        #expect(result.status == 0, "flatpak \(arguments.joined(separator: " ")): \(result.stderr)")
        return result.stdout
    }

    func ostree(_ arguments: [String]) async throws -> String {
        let result = try await runProgram("/usr/bin/ostree", arguments)
        #expect(result.status == 0, "ostree \(arguments.joined(separator: " ")): \(result.stderr)")
        return result.stdout
    }

    /// The two build directories, and a repository flatpak exported them to.
    func flatpakExport(_ scratch: Scratch) async throws -> (repository: String, runtimeBuild: String, appBuild: String) {
        let runtimeBuild = try Fixtures.makeRuntimeBuild(at: scratch.sub("build-runtime"))
        let appBuild = try Fixtures.makeAppBuild(at: scratch.sub("build-app"))
        let repository = scratch.sub("flatpak-repo")
        // --files=files: for runtimes flatpak exports usr/ by default.
        _ = try await expectSuccess(
            ["build-export", "--runtime", "--files=files", repository, runtimeBuild, "stable"], scratch: scratch)
        _ = try await expectSuccess(["build-export", repository, appBuild, "stable"], scratch: scratch)
        return (repository, runtimeBuild, appBuild)
    }

    @Test(arguments: ["file", "http"])
    func flatpakExportedRepositoryInstallsWithBurrow(transport: String) async throws {
        let scratch = try Scratch()
        let (repository, _, _) = try await flatpakExport(scratch)
        var server: StaticHTTPServer?
        if transport == "http" { server = try await StaticHTTPServer.start(serving: repository) }
        let url = server?.url ?? "file://" + repository

        let installation = Installation(scope: .user, path: scratch.sub("burrow"))
        try await installation.addRemote("flatpak", url: url, options: .unverified)
        let runtime = try await installation.install(Fixtures.runtimeRef, from: "flatpak")
        let app = try await installation.install(Fixtures.appRef, from: "flatpak")

        let flatpakRepo = try OSTreeRepository(openingAt: repository)
        #expect(app.commit == (try flatpakRepo.resolve(Fixtures.appRef.description)))
        #expect(runtime.commit == (try flatpakRepo.resolve(Fixtures.runtimeRef.description)))
        #expect(app.metadata.command == "hello")
        #expect(app.metadata.runtime == Fixtures.runtimeRef)
        #expect(runtime.metadata.kind == .runtime)
        #expect(try String(contentsOfFile: app.filesPath + "/bin/hello", encoding: .utf8).contains("echo hello"))
        #expect(Files.isRegularFile(runtime.filesPath + "/bin/busybox"))
        // flatpak's xa.installed-size arrives intact (big-endian decoded).
        #expect((app.installedSize ?? 0) > 0 && (app.installedSize ?? 0) < 10_000)
        // flatpak's summary carries the same cache burrow reads.
        let summary = try await installation.remoteSummary("flatpak")
        #expect(summary.refs[Fixtures.appRef.description]?.metadata == (try String(contentsOfFile: app.metadataPath, encoding: .utf8)))
        #expect(summary.refs[Fixtures.runtimeRef.description]?.commit == runtime.commit)

        try await installation.uninstall(Fixtures.appRef)
        try await installation.uninstall(Fixtures.runtimeRef)
    }

    @Test(arguments: ["file", "http"])
    func burrowExportedRepositoryInstallsAndRunsWithFlatpak(transport: String) async throws {
        let scratch = try Scratch()
        let repository = scratch.sub("burrow-repo")
        let exports = try Fixtures.publishRuntimeAndApp(repository: repository, scratch: scratch)
        var server: StaticHTTPServer?
        if transport == "http" { server = try await StaticHTTPServer.start(serving: repository) }
        let url = server?.url ?? "file://" + repository

        _ = try await expectSuccess(["remote-add", "--user", "--no-gpg-verify", "burrow", url], scratch: scratch)
        // The summary's xa.cache is what flatpak reads to list refs and
        // find the app's runtime before pulling anything.
        let listing = try await expectSuccess(
            ["remote-ls", "--user", "--all", "--columns=ref", "burrow"], scratch: scratch)
        #expect(listing.contains(exports.app.ref.description))
        #expect(listing.contains(exports.runtime.ref.description))

        // Installing the app pulls its runtime automatically, from metadata.
        _ = try await expectSuccess(
            ["install", "--user", "-y", "--noninteractive", "burrow", Fixtures.appID], scratch: scratch)
        let info = try await expectSuccess(["info", "--user", "--show-commit", Fixtures.appID], scratch: scratch)
        #expect(info.trimmingCharacters(in: .whitespacesAndNewlines) == exports.app.commit)
        let runtimeInfo = try await expectSuccess(
            ["info", "--user", "--show-commit", exports.runtime.ref.description], scratch: scratch)
        #expect(runtimeInfo.trimmingCharacters(in: .whitespacesAndNewlines) == exports.runtime.commit)

        // The busybox runtime and the app's script run under flatpak.
        let run = try await flatpak(["run", "--user", Fixtures.appID], scratch: scratch)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "hello\n")
    }

    /// Exported by both tools from the same build directories, the trees
    /// are byte-identical (same root checksums) and the commits carry the
    /// same Flatpak metadata.
    @Test func burrowAndFlatpakExportTheSameTrees() async throws {
        let scratch = try Scratch()
        let (flatpakRepository, runtimeBuild, appBuild) = try await flatpakExport(scratch)
        let burrowRepository = scratch.sub("burrow-repo")
        _ = try Publisher.buildExport(
            repository: burrowRepository, buildDirectory: runtimeBuild, branch: "stable", runtime: true)
        _ = try Publisher.buildExport(repository: burrowRepository, buildDirectory: appBuild, branch: "stable")

        for ref in [Fixtures.runtimeRef, Fixtures.appRef] {
            let ours = try await ostree(["--repo=" + burrowRepository, "ls", "-R", "-C", ref.description])
            let theirs = try await ostree(["--repo=" + flatpakRepository, "ls", "-R", "-C", ref.description])
            #expect(ours == theirs)
            #expect(ours.contains("/metadata"))

            let flatpakCommit = try OSTreeRepository(openingAt: flatpakRepository).resolve(ref.description)!
            let burrowCommit = try OSTreeRepository(openingAt: burrowRepository).resolve(ref.description)!
            let expected = try OSTreeRepository(openingAt: flatpakRepository).commit(flatpakCommit).metadata
            let actual = try OSTreeRepository(openingAt: burrowRepository).commit(burrowCommit).metadata
            for key in [
                "xa.metadata", "xa.ref", "ostree.ref-binding", "ostree.collection-binding",
                "xa.installed-size", "xa.download-size",
            ] {
                #expect(actual[key] == expected[key], "\(ref) \(key)")
            }
        }

        // flatpak lists both the same way; the sizes come from the
        // summary's xa.cache, without which remote-ls fails ("No summary or
        // Flatpak cache available").
        _ = try await expectSuccess(
            ["remote-add", "--user", "--no-gpg-verify", "burrow", "file://" + burrowRepository], scratch: scratch)
        _ = try await expectSuccess(
            ["remote-add", "--user", "--no-gpg-verify", "flatpak", "file://" + flatpakRepository], scratch: scratch)
        let columns = "--columns=ref,download-size,installed-size"
        let ours = try await expectSuccess(["remote-ls", "--user", "--all", columns, "burrow"], scratch: scratch)
        let theirs = try await expectSuccess(["remote-ls", "--user", "--all", columns, "flatpak"], scratch: scratch)
        #expect(ours == theirs)
        #expect(ours.split(separator: "\n").count == 2)
    }
}
