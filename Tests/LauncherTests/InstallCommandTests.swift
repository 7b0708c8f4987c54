import Foundation
import PortalCommon
import Testing
import TestSupport

/// The installer verbs, run as the built `burrow` binary against
/// repositories exported from the demo's build directories.
@Suite("burrow install, list, info, update, uninstall, remotes")
struct InstallCommandTests {
    /// A scratch area: build dirs from examples/hello, a repository, and a
    /// user installation, all under one temporary directory.
    final class Scratch: @unchecked Sendable {
        let root: URL
        var repository: String { root.path + "/repo" }
        var environment: [String: String] {
            var env = ProcessInfo.processInfo.environment
            env["BURROW_USER_DIR"] = root.path + "/user"
            // Never the machine's /var/lib/burrow: `list` shows both.
            env["BURROW_SYSTEM_DIR"] = root.path + "/system"
            env["HOME"] = root.path + "/home"
            return env
        }

        init() async throws {
            root = try TemporaryDirectory.make(prefix: "burrow-install")
            let script = BuiltProducts.repositoryRoot + "/examples/hello/make-build-dirs.sh"
            let made = try await runProgram("/bin/sh", [script, root.path, "stable"])
            guard made.status == 0 else { throw TestFailure("make-build-dirs failed: \(made.stderr)") }
        }

        func run(_ arguments: String...) async throws -> BurrowRun {
            try await run(arguments)
        }

        func run(_ arguments: [String]) async throws -> BurrowRun {
            try await burrow(arguments, environment: environment)
        }

        /// Exports the demo runtime and app and adds the repository as `demo`.
        func publish(remoteURL: String? = nil) async throws {
            for (flags, dir) in [(["--runtime"], "runtime"), ([], "app")] {
                let export = try await burrow(["build-export"] + flags + [repository, root.path + "/" + dir, "stable"], environment: environment)
                #expect(export.status == 0, "\(export)")
            }
            let add = try await run("remote-add", "--no-gpg-verify", "demo", remoteURL ?? "file://" + repository)
            #expect(add.status == 0, "\(add)")
        }

        deinit { try? FileManager.default.removeItem(at: root) }
    }

    @Test func installListInfoUninstallCycle() async throws {
        let scratch = try await Scratch()
        try await scratch.publish()

        let install = try await scratch.run("install", "--noninteractive", "demo", "org.example.Hello")
        #expect(install.status == 0, "\(install)")
        #expect(install.stdout.isEmpty, "--noninteractive prints nothing")

        let list = try await scratch.run("list")
        #expect(list.lines.map { $0.split(separator: "\t").prefix(5).joined(separator: " ") } == [
            "org.example.Hello \(Self.arch) stable app demo",
            "org.example.Platform \(Self.arch) stable runtime demo",
        ])
        let apps = try await scratch.run("list", "--app")
        #expect(apps.lines.count == 1)

        let info = try await scratch.run("info", "org.example.Hello//stable")
        #expect(info.status == 0, "\(info)")
        #expect(info.stdout.contains("Ref: app/org.example.Hello/\(Self.arch)/stable"))
        #expect(info.stdout.contains("Runtime: org.example.Platform/\(Self.arch)/stable"))
        #expect(info.stdout.contains("    wayland"))

        // The deployed tree is the app's files, read-only content from the commit.
        let hello = scratch.root.path + "/user/app/org.example.Hello/\(Self.arch)/stable/active/files/bin/hello"
        #expect(FileManager.default.isExecutableFile(atPath: hello))

        let refused = try await scratch.run("uninstall", "org.example.Platform")
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("used by org.example.Hello"))

        let uninstall = try await scratch.run("uninstall", "--noninteractive", "org.example.Hello")
        #expect(uninstall.status == 0, "\(uninstall)")
        let unused = try await scratch.run("uninstall", "--unused")
        #expect(unused.stdout.contains("Uninstalled runtime/org.example.Platform"))
        #expect(try await scratch.run("list").stdout.isEmpty)
    }

    /// An installation moved to another disk and linked back in place
    /// (~/.local/share/burrow -> /data/burrow) is used through the link.
    @Test func anInstallationBehindALinkIsUsedThroughIt() async throws {
        let scratch = try await Scratch()
        try FileManager.default.createDirectory(atPath: scratch.root.path + "/elsewhere", withIntermediateDirectories: false)
        #expect(symlink(scratch.root.path + "/elsewhere", scratch.root.path + "/user") == 0)
        try await scratch.publish()
        let install = try await scratch.run("install", "--noninteractive", "demo", "org.example.Hello")
        #expect(install.status == 0, "\(install)")
        #expect(try await scratch.run("list").lines.count == 2)
        #expect(FileManager.default.isExecutableFile(
            atPath: scratch.root.path + "/elsewhere/app/org.example.Hello/\(Self.arch)/stable/active/files/bin/hello"))
    }

    @Test func installsOverHTTPFromAStaticWebServer() async throws {
        let scratch = try await Scratch()
        // Export first, then serve the repository with python's http.server.
        for (flags, dir) in [(["--runtime"], "runtime"), ([], "app")] {
            _ = try await burrow(["build-export"] + flags + [scratch.repository, scratch.root.path + "/" + dir, "stable"],
                                 environment: scratch.environment)
        }
        let port = Int.random(in: 20000...60000)
        let server = try ChildProcess("/usr/bin/python3", ["-m", "http.server", "--bind", "127.0.0.1", "\(port)",
                                                           "--directory", scratch.repository], captureOutput: true, captureError: true)
        defer { server.stop() }
        try await Self.waitForServer(port: port)
        let add = try await scratch.run("remote-add", "--no-gpg-verify", "web", "http://127.0.0.1:\(port)/")
        #expect(add.status == 0, "\(add)")
        let listed = try await scratch.run("remote-ls", "web")
        #expect(listed.stdout.contains("app/org.example.Hello/\(Self.arch)/stable"))
        let install = try await scratch.run("install", "-y", "web", "org.example.Hello")
        #expect(install.status == 0, "\(install)")
        #expect(install.stdout.contains("Installed app/org.example.Hello/\(Self.arch)/stable"))
    }

    /// Until a test's web server accepts connections (polled, up to 20 s:
    /// python starts slowly on a loaded machine).
    static func waitForServer(port: Int) async throws {
        for _ in 0..<200 {
            let probe = try await runProgram("/usr/bin/python3", ["-c", "import socket; socket.create_connection(('127.0.0.1', \(port)), 1)"])
            if probe.status == 0 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("the web server on port \(port) did not start within 20 s")
    }

    @Test func updateMovesToANewCommit() async throws {
        let scratch = try await Scratch()
        try await scratch.publish()
        _ = try await scratch.run("install", "--noninteractive", "demo", "org.example.Hello")
        let before = try await scratch.run("info", "org.example.Hello")
        #expect(try await scratch.run("update", "org.example.Hello").stdout.contains("up to date"))

        try AtomicFile.write("#!/bin/sh\necho version 2\n", to: scratch.root.path + "/app/files/bin/hello")
        _ = try await scratch.run("build-export", scratch.repository, scratch.root.path + "/app", "stable")
        let update = try await scratch.run("update", "org.example.Hello")
        #expect(update.status == 0, "\(update)")
        #expect(update.stdout.contains("Updated app/org.example.Hello"))
        let after = try await scratch.run("info", "org.example.Hello")
        #expect(before.stdout != after.stdout)
        let script = try String(contentsOfFile: scratch.root.path + "/user/app/org.example.Hello/\(Self.arch)/stable/active/files/bin/hello", encoding: .utf8)
        #expect(script.contains("version 2"))
    }

    @Test func pullKilledMidwayThenRetried() async throws {
        let scratch = try await Scratch()
        let objects = scratch.repository + "/objects"
        _ = try await burrow(["build-export", "--runtime", scratch.repository, scratch.root.path + "/runtime", "stable"],
                             environment: scratch.environment)
        let runtimeObjects = Set(FileManager.default.subpaths(atPath: objects) ?? [])
        _ = try await burrow(["build-export", scratch.repository, scratch.root.path + "/app", "stable"],
                             environment: scratch.environment)
        // The objects only the app has, minus its commit (which the resolver
        // may read first): a request for any of them means the app's pull is
        // under way, so the server holds it until the test lifts the gate.
        // No timing decides where the kill lands.
        let appOnly = Set(FileManager.default.subpaths(atPath: objects) ?? []).subtracting(runtimeObjects)
            .filter { $0.hasSuffix(".filez") || $0.hasSuffix(".dirtree") || $0.hasSuffix(".dirmeta") }
        #expect(!appOnly.isEmpty)
        let gate = scratch.root.path + "/gate"
        let stalled = scratch.root.path + "/stalled"
        try AtomicFile.write(appOnly.map { "/objects/" + $0 }.joined(separator: "\n"), to: gate)
        let gatedServer = """
            import functools, http.server, os, sys, time
            gate, stalled = sys.argv[3], sys.argv[4]
            held = set(open(gate).read().split())
            class Gated(http.server.SimpleHTTPRequestHandler):
                def do_GET(self):
                    if self.path in held:
                        open(stalled, "w").close()
                        while os.path.exists(gate):
                            time.sleep(0.02)
                    super().do_GET()
                def log_message(self, *args):
                    pass
            handler = functools.partial(Gated, directory=sys.argv[2])
            http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), handler).serve_forever()
            """
        let port = Int.random(in: 20000...60000)
        let server = try ChildProcess("/usr/bin/python3", ["-c", gatedServer, "\(port)", scratch.repository, gate, stalled],
                                      captureOutput: true, captureError: true)
        defer { server.stop() }
        try await Self.waitForServer(port: port)
        #expect(try await scratch.run("remote-add", "--no-gpg-verify", "slow", "http://127.0.0.1:\(port)/").status == 0)

        let first = try ChildProcess(try BuiltProducts.path("burrow"), ["install", "--noninteractive", "slow", "org.example.Hello"],
                                     environment: scratch.environment, captureOutput: true, captureError: true)
        var waited = Duration.zero
        while !FileManager.default.fileExists(atPath: stalled), waited < .seconds(30) {
            try await Task.sleep(for: .milliseconds(20))
            waited += .milliseconds(20)
        }
        #expect(FileManager.default.fileExists(atPath: stalled), "the app's pull reached the server")
        #expect(first.poll() == nil, "the pull is still running when it is killed")
        first.signal(SIGKILL)
        first.wait(timeout: .seconds(10))
        try FileManager.default.removeItem(atPath: gate)
        // Refs are installed one at a time (runtime first): the runtime is
        // complete, the app was mid-pull and must not show up half-installed.
        let afterKill = try await scratch.run("list")
        #expect(!afterKill.stdout.contains("org.example.Hello\t"), "the app was still being pulled: \(afterKill)")
        for line in afterKill.lines {
            let fields = line.split(separator: "\t").map(String.init)
            let active = scratch.root.path + "/user/\(fields[3])/\(fields[0])/\(fields[1])/\(fields[2])/active/files"
            #expect(FileManager.default.fileExists(atPath: active), "\(line) is listed, so it is complete")
        }

        let retry = try await scratch.run("install", "--noninteractive", "slow", "org.example.Hello")
        #expect(retry.status == 0, "\(retry)")
        let listed = try await scratch.run("list")
        #expect(listed.lines.count == 2, "\(listed)")
        let hello = scratch.root.path + "/user/app/org.example.Hello/\(Self.arch)/stable/active/files/bin/hello"
        #expect(FileManager.default.isExecutableFile(atPath: hello))
    }

    @Test func repairRedeploysWhatTheRepositoryCanRebuild() async throws {
        let scratch = try await Scratch()
        try await scratch.publish()
        _ = try await scratch.run("install", "--noninteractive", "demo", "org.example.Hello")
        #expect(try await scratch.run("repair").stdout.contains("2 refs checked, 0 repaired, 0 unrecoverable"))

        // The app's deployment and its active link vanish.
        let app = scratch.root.path + "/user/app/org.example.Hello/\(Self.arch)/stable"
        let commit = try FileManager.default.destinationOfSymbolicLink(atPath: app + "/active")
        try FileManager.default.removeItem(atPath: app + "/" + commit)
        try FileManager.default.removeItem(atPath: app + "/active")
        let dry = try await scratch.run("repair", "--dry-run")
        #expect(dry.stdout.contains("no active deployment; the deployment is incomplete (not changed: dry run)"), "\(dry)")
        #expect(!FileManager.default.fileExists(atPath: app + "/active"), "a dry run changes nothing")

        let repaired = try await scratch.run("repair")
        #expect(repaired.status == 0, "\(repaired)")
        #expect(repaired.stdout.contains("redeployed \(commit.prefix(12))"))
        #expect(FileManager.default.isExecutableFile(atPath: app + "/active/files/bin/hello"))

        // A corrupted repository object (deployed files are hard links to
        // them) with its remote out of reach cannot be rebuilt: reported,
        // and the tree is left as it was, never removed.
        let metadata = scratch.root.path + "/user/runtime/org.example.Platform/\(Self.arch)/stable/active/metadata"
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: metadata))
        handle.seekToEndOfFile()
        handle.write(Data("tampered=1\n".utf8))
        try handle.close()
        let away = scratch.repository + ".away"
        try FileManager.default.moveItem(atPath: scratch.repository, toPath: away)
        let unrecoverable = try await scratch.run("repair")
        #expect(unrecoverable.status == 1, "\(unrecoverable)")
        #expect(unrecoverable.stdout.contains("unrecoverable: runtime/org.example.Platform"), "\(unrecoverable)")
        #expect(FileManager.default.fileExists(atPath: metadata), "the broken deployment is kept, not deleted")
        // With the remote back, the damaged object is fetched again.
        try FileManager.default.moveItem(atPath: away, toPath: scratch.repository)
        let fetched = try await scratch.run("repair")
        #expect(fetched.status == 0 && fetched.stdout.contains("damaged object"), "\(fetched)")
        #expect(!(try String(contentsOfFile: metadata, encoding: .utf8)).contains("tampered"))
    }

    @Test func remoteModifyChangesURLAndVerification() async throws {
        let scratch = try await Scratch()
        try await scratch.publish()
        // A remote pointing nowhere, then corrected.
        #expect(try await scratch.run("remote-add", "--no-gpg-verify", "moved", "file:///nonexistent/repo").status == 0)
        #expect(try await scratch.run("install", "--noninteractive", "moved", "org.example.Hello").status == 1)
        #expect(try await scratch.run("remote-modify", "--url=file://\(scratch.repository)", "moved").status == 0)
        #expect(try await scratch.run("remotes").stdout.contains("moved\tfile://\(scratch.repository)\tno-gpg-verify"))

        // Turning verification on refuses the unsigned repository.
        #expect(try await scratch.run("remote-modify", "--gpg-verify", "moved").status == 0)
        let refused = try await scratch.run("install", "--noninteractive", "moved", "org.example.Hello")
        #expect(refused.status == 1, "\(refused)")
        #expect(try await scratch.run("remote-modify", "--no-gpg-verify", "moved").status == 0)
        let install = try await scratch.run("install", "--noninteractive", "moved", "org.example.Hello")
        #expect(install.status == 0, "\(install)")

        let unknown = try await scratch.run("remote-modify", "--no-gpg-verify", "nosuch")
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no remote named"))
        #expect(try await scratch.run("remote-modify", "moved").status == 1, "nothing to change is an error")
    }

    @Test(arguments: [
        (["install", "-y", "nosuchremote", "org.example.Hello"], "no remote named"),
        (["install", "-y", "demo", "org..Bad"], "invalid ref"),
        (["install", "-y", "demo", "org.example.Missing"], "nothing matches org.example.Missing"),
        (["info", "org.example.Hello"], "nothing matches"),
        (["remote-add", "x", "ftp://example.org/repo"], "unsupported URL"),
        (["build-export", "/nonexistent/repo", "/nonexistent/build", "stable"], "not initialized"),
    ])
    func badInputIsOneClearErrorLine(arguments: [String], message: String) async throws {
        let scratch = try await Scratch()
        try await scratch.publish()
        let result = try await burrow(arguments, environment: scratch.environment)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.hasPrefix("error: "), "\(result)")
        #expect(result.stderr.contains(message), "\(result)")
        #expect(!result.stderr.contains("Fatal error"))
    }

    static let arch: String = {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: &name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }()
}
