import Foundation
import PortalCommon
import Runtime
import TestSupport
import Testing

/// A plan carried out for real: a runtime built from busybox-static, an
/// app that is a shell script, bwrap run as nobody with the plan's
/// descriptors, exactly as the launcher will.
@Suite("Sandbox plan run in real bubblewrap")
struct SandboxRunTests {
    /// What the test app reports about its sandbox, one `key:value` a line.
    static let helloScript = #"""
        #!/bin/sh
        echo "args:$*"
        echo "uid:$(id -u)"
        grep -q '^name=org.burrow.Hello$' /.flatpak-info && echo identity:org.burrow.Hello
        touch /app/x 2>/dev/null && echo app:writable || echo app:readonly
        touch /usr/x 2>/dev/null && echo usr:writable || echo usr:readonly
        touch /.flatpak-info 2>/dev/null && echo flatpak-info:writable || echo flatpak-info:readonly
        echo "interfaces:$(grep -c : /proc/net/dev)"
        grep '^Seccomp:' /proc/self/status | tr -d '\t'
        grep '^NoNewPrivs:' /proc/self/status | tr -d '\t'
        unshare -U true 2>/dev/null && echo userns:allowed || echo userns:denied
        echo hi > "$XDG_DATA_HOME/written" && echo data:written
        echo "passwd:$(cut -d: -f1 /etc/passwd | tr '\n' ,)"
        echo "hosts:$(tr '\n' '|' < /etc/hosts)"
        echo "etc-modes:$(stat -c %a /etc/passwd /etc/group /etc/hosts | tr '\n' ,)"
        echo "os:$(cat /etc/os-release)"
        ls "$HOME/.ssh" >/dev/null 2>&1 && echo ssh:visible || echo ssh:hidden
        echo "pwd:$(pwd)"
        echo "runtime-dir:$XDG_RUNTIME_DIR:$(stat -c %a "$XDG_RUNTIME_DIR")"
        """#

    /// A runtime, an app and a home on disk, readable by nobody.
    struct Fixture {
        let root: URL
        let runtimeFiles: String
        let appFiles: String
        let home: String
        let runtimeDirectory: String

        /// `appPrograms`: host executables copied into the app's `bin`.
        static func make(appPrograms: [String: String] = [:]) throws -> Fixture {
            let fm = FileManager.default
            let root = try TemporaryDirectory.make(prefix: "burrow-run")
            chmod(root.path, 0o755)
            let runtime = root.appendingPathComponent("runtime/files")
            try fm.createDirectory(at: runtime.appendingPathComponent("bin"), withIntermediateDirectories: true)
            try fm.copyItem(atPath: "/bin/busybox", toPath: runtime.appendingPathComponent("bin/busybox").path)
            for applet in ["sh", "echo", "cat", "ls", "id", "touch", "grep", "unshare", "tr", "cut", "stat", "pwd", "true"] {
                try fm.createSymbolicLink(atPath: runtime.appendingPathComponent("bin/\(applet)").path, withDestinationPath: "busybox")
            }
            try fm.createDirectory(at: runtime.appendingPathComponent("etc"), withIntermediateDirectories: true)
            try AtomicFile.write("ID=burrow-test", to: (runtime.appendingPathComponent("etc/os-release")).path)
            try fm.createSymbolicLink(atPath: runtime.appendingPathComponent("etc/mtab").path, withDestinationPath: "../proc/self/mounts")

            let app = root.appendingPathComponent("app/files")
            try fm.createDirectory(at: app.appendingPathComponent("bin"), withIntermediateDirectories: true)
            let hello = app.appendingPathComponent("bin/hello").path
            try AtomicFile.write(helloScript, to: hello)
            chmod(hello, 0o755)
            for (name, source) in appPrograms {
                try fm.copyItem(atPath: source, toPath: app.appendingPathComponent("bin/\(name)").path)
            }

            // The user's home, with a secret the sandbox must not see.
            let home = root.appendingPathComponent("home")
            let runtimeDirectory = root.appendingPathComponent("xdg-runtime")
            for directory in [home.appendingPathComponent(".ssh"), runtimeDirectory] {
                try fm.createDirectory(at: directory, withIntermediateDirectories: true)
            }
            try AtomicFile.write("secret", to: (home.appendingPathComponent(".ssh/id_ed25519")).path)
            for path in [home.path, home.appendingPathComponent(".ssh").path, runtimeDirectory.path] {
                chown(path, NobodySandbox.uid, NobodySandbox.uid)
            }
            return Fixture(root: root, runtimeFiles: runtime.path, appFiles: app.path, home: home.path,
                           runtimeDirectory: runtimeDirectory.path)
        }

        /// Creates what the launcher creates before planning, owned by the user.
        func createHostDirectories(_ directories: [String]) throws {
            for directory in directories {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                chown(directory, NobodySandbox.uid, NobodySandbox.uid)
                chmod(directory, 0o700)
            }
            chown(home + "/.var", NobodySandbox.uid, NobodySandbox.uid)
            chown(home + "/.var/app", NobodySandbox.uid, NobodySandbox.uid)
        }
    }

    /// The host as it is: a path string per grant. Fine for a test tree
    /// only root and nobody write to; the launcher's will open fds.
    struct LiveHostPaths: HostPaths {
        func bindSource(for path: String) -> String? {
            FileManager.default.fileExists(atPath: path) ? path : nil
        }
        func symbolicLinkTarget(at path: String) -> String? {
            try? FileManager.default.destinationOfSymbolicLink(atPath: path)
        }
        func userDirectory(_ directory: PermissionContext.XDGDirectory) -> String? { nil }
        var rootEntries: [String] { (try? FileManager.default.contentsOfDirectory(atPath: "/")) ?? [] }
    }

    static func run(
        command: String = "hello", arguments: [String], context: PermissionContext = PermissionContext(),
        appPrograms: [String: String] = [:]
    ) async throws -> (report: [String: String], stdout: String, status: Int32, stderr: String, fixture: Fixture) {
        let fixture = try Fixture.make(appPrograms: appPrograms)
        let appID = try AppID("org.burrow.Hello")
        let info = try FlatpakInfo(
            appID: appID, runtime: try FlatpakRef(parsing: "runtime/org.burrow.Platform/x86_64/1"),
            instance: .init(instanceID: "7", arch: "x86_64"), context: context)
        let input = SandboxPlan.Input(
            appID: appID, appFiles: fixture.appFiles, runtimeFiles: fixture.runtimeFiles,
            runtimeLayout: try RuntimeLayout.inspect(filesDirectory: fixture.runtimeFiles), info: info,
            context: context,
            user: .init(uid: NobodySandbox.uid, gid: NobodySandbox.uid, name: "nobody", groupName: "nogroup",
                        home: fixture.home, runtimeDirectory: fixture.runtimeDirectory),
            command: command, arguments: arguments, environment: ["LANG": "C"])
        try fixture.createHostDirectories(SandboxPlan.hostDirectories(for: input, hostPaths: LiveHostPaths()))
        let plan = try SandboxPlan(input, hostPaths: LiveHostPaths())
        let result = try await NobodySandbox.run(Array(plan.commandLine().dropFirst()), descriptors: plan.openDescriptors())
        var report: [String: String] = [:]
        for line in result.stdout.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { report[String(parts[0])] = String(parts[1]) }
        }
        return (report, result.stdout, result.status, result.stderr, fixture)
    }

    @Test func appRunsConfinedAndIdentified() async throws {
        let run = try await Self.run(arguments: ["--bind", "/", "/host", "--", "x"])
        defer { try? FileManager.default.removeItem(at: run.fixture.root) }
        #expect(run.status == 0, "\(run.stderr)")
        let report = run.report
        // bwrap never saw the app's arguments as options.
        #expect(report["args"] == "--bind / /host -- x")
        #expect(report["uid"] == "65534")
        #expect(report["identity"] == "org.burrow.Hello")
        #expect(report["app"] == "readonly")
        #expect(report["usr"] == "readonly")
        // A read-only bind over a file of its own: no app rewrites its identity.
        #expect(report["flatpak-info"] == "readonly")
        #expect(report["interfaces"] == "1", "only lo without --share=network")
        #expect(report["Seccomp"] == "2", "a seccomp filter is installed")
        #expect(report["NoNewPrivs"] == "1")
        #expect(report["userns"] == "denied")
        #expect(report["data"] == "written")
        #expect(report["passwd"] == "nobody,nfsnobody,")
        // The host's facts arrive as copies (no bind mount each), readable.
        let hosts = try String(contentsOfFile: "/etc/hosts", encoding: .utf8)
        #expect(report["hosts"] == hosts.replacingOccurrences(of: "\n", with: "|"))
        #expect(report["etc-modes"] == "644,644,644,")
        #expect(report["os"] == "ID=burrow-test")
        #expect(report["ssh"] == "hidden")
        #expect(report["pwd"] == run.fixture.home)
        #expect(report["runtime-dir"] == "/run/user/65534:700")
        let written = try String(contentsOfFile: run.fixture.home + "/.var/app/org.burrow.Hello/data/written", encoding: .utf8)
        #expect(written == "hi\n")
    }

    @Test func runtimeLayoutReadsLinksWithoutFollowingThem() throws {
        let fixture = try Fixture.make()
        defer { try? FileManager.default.removeItem(at: fixture.root) }
        let layout = try RuntimeLayout.inspect(filesDirectory: fixture.runtimeFiles)
        #expect(layout.usrMergedDirectories == ["bin"])
        #expect(layout.etcEntries == [.symlink("mtab", target: "../proc/self/mounts"), .file("os-release")])
        #expect(throws: SandboxError.self) { try RuntimeLayout.inspect(filesDirectory: fixture.root.path + "/missing") }
    }

    /// The plan's filter is the one its `features=` ask for, in force for
    /// the app (the probe is linked statically: the runtime has no libc).
    @Test(arguments: [false, true])
    func filterFollowsFeatures(devel: Bool) async throws {
        let probe = try #require(try await SyscallProbe.binaries.value.nativeStatic, "no static libc to link the probe")
        var context = PermissionContext()
        if devel { context.features = [.devel] }
        let checks = ["ptrace", "perf_event_open", "keyctl", "clone3", "unshare_user", "family_vsock", "socket_inet", "mount"]
        let run = try await Self.run(command: "probe", arguments: checks, context: context, appPrograms: ["probe": probe])
        defer { try? FileManager.default.removeItem(at: run.fixture.root) }
        #expect(run.status == 0, "\(run.stderr)")
        let results = SyscallProbe.parse(run.stdout)
        #expect(results["ptrace"] == String(devel ? ESRCH : EPERM))
        // With devel, perf_event_open reaches the kernel (its sysctls decide).
        #expect((results["perf_event_open"] == String(ENODEV)) == !devel)
        #expect(results["keyctl"] == String(EPERM))
        #expect(results["clone3"] == String(ENOSYS))
        #expect(results["unshare_user"] == String(EPERM))
        #expect(results["family_vsock"] == String(EAFNOSUPPORT))
        #expect(results["socket_inet"] == "0")
        #expect(results["mount"] == String(EPERM))
    }

    @Test func homeGrantShowsHomeButNotOtherApps() async throws {
        let keyFile = try KeyFile(parsing: "[Context]\nfilesystems=home:ro;\n")
        let run = try await Self.run(arguments: [], context: try PermissionContext(keyFile: keyFile))
        defer { try? FileManager.default.removeItem(at: run.fixture.root) }
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.report["ssh"] == "visible")
        // Its own data directory stays writable under a read-only home.
        #expect(run.report["data"] == "written")
    }
}

