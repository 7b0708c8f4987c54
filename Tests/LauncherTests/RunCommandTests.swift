import Foundation
import Testing
import TestSupport

/// `burrow run` as an unprivileged user (nobody), on an app installed from
/// the demo repository: the real launcher, real bwrap, the real seccomp filter.
@Suite("burrow run")
struct RunCommandTests {
    static let uid = Nobody.uid

    /// Installs the demo as root into a tree nobody can read, and gives
    /// nobody a home and a 0700 runtime directory of its own.
    static func prepare() async throws -> (InstallCommandTests.Scratch, [String: String]) {
        let scratch = try await InstallCommandTests.Scratch()
        try await scratch.publish()
        let install = try await scratch.run("install", "--noninteractive", "demo", "org.example.Hello")
        #expect(install.status == 0, "\(install)")
        return (scratch, try nobodyEnvironment(in: scratch))
    }

    /// Opens the scratch tree to nobody and gives it a home and a 0700
    /// runtime directory of its own in it; the scratch's installations stay.
    static func nobodyEnvironment(in scratch: InstallCommandTests.Scratch) throws -> [String: String] {
        chmod(scratch.root.path, 0o755)
        let home = scratch.root.path + "/nobody-home", runtime = scratch.root.path + "/nobody-run"
        for (dir, mode) in [(home, 0o755), (runtime, 0o700)] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            chown(dir, uid, uid)
            chmod(dir, mode_t(mode))
        }
        var environment = scratch.environment
        environment["HOME"] = home
        environment["XDG_RUNTIME_DIR"] = runtime
        return environment
    }

    /// `burrow ARGUMENTS` as nobody, left running; its stdout is readable.
    static func startAsNobody(_ arguments: [String], environment: [String: String]) throws -> ChildProcess {
        let command = Nobody.command(try BuiltProducts.path("burrow"), arguments)
        return try ChildProcess(command[0], Array(command.dropFirst()), environment: environment, captureOutput: true)
    }

    static func runAsNobody(_ arguments: [String], environment: [String: String]) async throws -> BurrowRun {
        let command = Nobody.command(try BuiltProducts.path("burrow"), arguments)
        let result = try await runProgram(command[0], Array(command.dropFirst()), environment: environment, timeout: .seconds(60))
        return BurrowRun(status: result.status, stdout: result.stdout, stderr: result.stderr)
    }

    @Test func appRunsIdentifiedAndConfined() async throws {
        let (scratch, environment) = try await Self.prepare()
        defer { withExtendedLifetime(scratch) {} }
        let hello = try await Self.runAsNobody(["run", "org.example.Hello"], environment: environment)
        #expect(hello.status == 0, "\(hello)")
        #expect(hello.stdout.contains("Hello from org.example.Hello inside the sandbox."))
        #expect(hello.stdout.contains("name=org.example.Hello"))
        #expect(hello.stdout.contains("/app is read-only"))

        let probe = """
            id -u
            touch /usr/x 2>/dev/null && echo usr-writable || echo usr-read-only
            echo data-home=$XDG_DATA_HOME
            touch $XDG_DATA_HOME/kept && echo data-writable
            unshare -U true 2>/dev/null && echo userns-allowed || echo userns-denied
            grep -c . /proc/net/dev
            """
        let shell = try await Self.runAsNobody(["run", "--command=sh", "org.example.Hello", "-c", probe], environment: environment)
        #expect(shell.status == 0, "\(shell)")
        let lines = shell.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "65534")
        #expect(lines.contains("usr-read-only"))
        #expect(lines.contains("data-home=\(environment["HOME"]!)/.var/app/org.example.Hello/data"))
        #expect(lines.contains("data-writable"))
        #expect(FileManager.default.fileExists(atPath: environment["HOME"]! + "/.var/app/org.example.Hello/data/kept"))
        #expect(lines.contains("userns-denied"), "the seccomp filter forbids new user namespaces")
        #expect(lines.last == "3", "no network: /proc/net/dev lists only lo (2 header lines + lo)")

        // Each launch removes the records of sandboxes that have ended: after
        // two, only the second's is left (it has ended too; the next launch
        // or `ps` removes it).
        let runtime = environment["XDG_RUNTIME_DIR"]!
        let records = try FileManager.default.contentsOfDirectory(atPath: runtime + "/.flatpak").filter { $0.allSatisfy(\.isNumber) }
        #expect(records.count == 1, "\(records)")
        let proxies = (try? FileManager.default.contentsOfDirectory(atPath: runtime + "/.dbus-proxy")) ?? []
        #expect(proxies.allSatisfy(records.contains), "proxy directories \(proxies), records \(records)")
    }

    @Test func appArgumentsAreNeverOptions() async throws {
        // CVE-2024-32462 class: what follows the app ID must reach the app
        // verbatim, never bwrap or burrow.
        // The scratch tree lives as long as the test: its deinit deletes it.
        let (scratch, environment) = try await Self.prepare()
        defer { withExtendedLifetime(scratch) {} }
        let echo = try await Self.runAsNobody(["run", "--command=echo", "org.example.Hello", "--bind", "/", "/host", "--command=evil"],
                                              environment: environment)
        #expect(echo.status == 0, "\(echo)")
        #expect(echo.stdout == "--bind / /host --command=evil\n")
    }

    @Test func noDescriptorOfTheLauncherReachesTheApp() async throws {
        // A descriptor the caller leaks into burrow (fd 7, not close-on-exec)
        // must not cross into the sandbox: bwrap passes on all it inherits.
        let (scratch, environment) = try await Self.prepare()
        defer { withExtendedLifetime(scratch) {} }
        let secret = open(scratch.root.path + "/leaked", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        defer { close(secret) }
        let command = Nobody.command(try BuiltProducts.path("burrow"), ["run", "--command=ls", "org.example.Hello", "/proc/self/fd"])
        let result = try await runProgram(command[0], Array(command.dropFirst()), environment: environment,
                                          inheritedDescriptors: [7: secret])
        #expect(result.status == 0, "\(result)")
        // 0–2 are stdio; 3 is ls's own handle on the directory it lists.
        #expect(result.stdout.split(separator: "\n") == ["0", "1", "2", "3"], "\(result.stdout)")
    }

    @Test func waylandSocketOnlyWhenGranted() async throws {
        let (scratch, baseEnvironment) = try await Self.prepare()
        defer { withExtendedLifetime(scratch) {} }
        var environment = baseEnvironment
        // A compositor socket under a non-default name; X11 is "available" too.
        let socket = environment["XDG_RUNTIME_DIR"]! + "/wayland-7"
        let made = try await runProgram("/usr/bin/python3", ["-c", "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", socket])
        #expect(made.status == 0, "\(made)")
        environment["WAYLAND_DISPLAY"] = "wayland-7"
        environment["DISPLAY"] = ":0"
        let probe = "test -S $XDG_RUNTIME_DIR/wayland-0 && echo socket; echo wayland=${WAYLAND_DISPLAY:-unset} display=${DISPLAY:-unset}"

        // The demo app's metadata grants sockets=wayland.
        let granted = try await Self.runAsNobody(["run", "--command=sh", "org.example.Hello", "-c", probe], environment: environment)
        #expect(granted.stdout == "socket\nwayland=wayland-0 display=unset\n", "\(granted)")

        let revoked = try await Self.runAsNobody(["run", "--nosocket=wayland", "--command=sh", "org.example.Hello", "-c", probe],
                                                 environment: environment)
        #expect(revoked.stdout == "wayland=unset display=unset\n", "\(revoked)")
    }

    @Test func shareNetworkFlagGivesTheNetworkNamespaceBack() async throws {
        // The scratch tree lives as long as the test: its deinit deletes it.
        let (scratch, environment) = try await Self.prepare()
        defer { withExtendedLifetime(scratch) {} }
        let shared = try await Self.runAsNobody(["run", "--share=network", "--command=sh", "org.example.Hello", "-c", "grep -c . /proc/net/dev"],
                                                environment: environment)
        #expect(shared.status == 0, "\(shared)")
        #expect(Int(shared.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 > 3 || Self.hostHasOnlyLoopback,
                "the host's interfaces are visible")
    }

    static let hostHasOnlyLoopback: Bool = {
        ((try? String(contentsOfFile: "/proc/net/dev", encoding: .utf8))?.split(separator: "\n").count ?? 0) <= 3
    }()

    @Test func appStartsWithNoSignalBlockedOrIgnored() async throws {
        // Swift runs the launcher on a worker thread that blocks nearly every
        // signal, and exec keeps both the mask and SIG_IGN dispositions.
        let (scratch, environment) = try await Self.prepare()
        defer { withExtendedLifetime(scratch) {} }
        let status = try await Self.runAsNobody(["run", "--command=grep", "org.example.Hello", "-E", "^Sig(Blk|Ign)", "/proc/self/status"],
                                                environment: environment)
        #expect(status.status == 0, "\(status)")
        #expect(status.lines == ["SigBlk:\t0000000000000000", "SigIgn:\t0000000000000000"])
    }

    @Test func aLaunchThatFailsAfterPlanningLeavesNoRecord() async throws {
        let (scratch, environment) = try await Self.prepare()
        defer { withExtendedLifetime(scratch) {} }
        // Descriptor 200 is not open: reporting the instance id fails after
        // the instance directory and the proxy's were made.
        let failed = try await Self.runAsNobody(["run", "--instance-id-fd=200", "org.example.Hello"], environment: environment)
        #expect(failed.status == 1, "\(failed)")
        let runtime = environment["XDG_RUNTIME_DIR"]!
        let records = (try? FileManager.default.contentsOfDirectory(atPath: runtime + "/.flatpak")) ?? []
        #expect(records.filter { $0.allSatisfy(\.isNumber) }.isEmpty, "\(records)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: runtime + "/.dbus-proxy")) ?? []).isEmpty)
    }

    /// A launch sweeps the records (and proxy directories) of sandboxes
    /// that have ended, as Flatpak does when it allocates an instance id.
    @Test func aLaunchRemovesTheRecordsOfEndedSandboxes() async throws {
        let (scratch, environment) = try await Self.prepare()
        defer { withExtendedLifetime(scratch) {} }
        let runtime = environment["XDG_RUNTIME_DIR"]!
        let record = runtime + "/.flatpak/444", proxy = runtime + "/.dbus-proxy/444"
        for directory in [runtime + "/.flatpak", record, runtime + "/.dbus-proxy", proxy] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            chown(directory, Nobody.uid, Nobody.uid)
        }
        #expect(FileManager.default.createFile(atPath: record + "/pid", contents: Data("999999999\n".utf8)))
        chown(record + "/pid", Nobody.uid, Nobody.uid)
        let run = try await Self.runAsNobody(["run", "org.example.Hello"], environment: environment)
        #expect(run.status == 0, "\(run)")
        #expect(!FileManager.default.fileExists(atPath: record))
        #expect(!FileManager.default.fileExists(atPath: proxy))
    }

    /// flatpak run's --devel (the SDK as runtime, development features on)
    /// and --runtime= (another installed runtime; what is left out is the
    /// app's runtime's).
    @Test func develAndRuntimeChooseTheRuntime() async throws {
        let (scratch, environment) = try await Self.prepare()
        defer { withExtendedLifetime(scratch) {} }
        let devel = try await Self.runAsNobody(["run", "--devel", "--command=cat", "org.example.Hello", "/.flatpak-info"],
                                               environment: environment)
        #expect(devel.status == 0, "\(devel)")
        #expect(devel.lines.contains { $0.hasPrefix("features=") && $0.contains("devel") }, "\(devel)")
        #expect(devel.lines.contains { $0.hasPrefix("runtime=runtime/org.example.Platform/") && $0.hasSuffix("/stable") }, "\(devel)")
        let plain = try await Self.runAsNobody(["run", "--command=cat", "org.example.Hello", "/.flatpak-info"], environment: environment)
        #expect(!plain.lines.contains { $0.hasPrefix("features=") && $0.contains("devel") }, "\(plain)")
        let named = try await Self.runAsNobody(["run", "--runtime=org.example.Platform//stable", "--command=true", "org.example.Hello"],
                                               environment: environment)
        #expect(named.status == 0, "\(named)")
        let missing = try await Self.runAsNobody(["run", "--runtime=org.example.Missing", "org.example.Hello"], environment: environment)
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("error: ") && missing.stderr.contains("org.example.Missing"), "\(missing)")
    }

    @Test func unknownAppIsOneClearError() async throws {
        // The scratch tree lives as long as the test: its deinit deletes it.
        let (scratch, environment) = try await Self.prepare()
        defer { withExtendedLifetime(scratch) {} }
        let missing = try await Self.runAsNobody(["run", "org.example.Nope"], environment: environment)
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("error: "))
        #expect(missing.stderr.contains("not installed"))
    }
}

@Suite("burrow ps and kill")
struct InstanceCommandTests {
    @Test func runningSandboxIsListedAndKilled() async throws {
        let (scratch, environment) = try await RunCommandTests.prepare()
        defer { withExtendedLifetime(scratch) {} }
        let command = Nobody.command(try BuiltProducts.path("burrow"), ["run", "--command=sleep", "org.example.Hello", "60"])
        let sandbox = try ChildProcess(command[0], Array(command.dropFirst()), environment: environment)
        defer { sandbox.stop() }

        var listed: [String] = []
        for _ in 0..<400 {  // up to 20 s: a loaded machine starts sandboxes slowly
            listed = try await RunCommandTests.runAsNobody(["ps"], environment: environment).lines
            if listed.first?.split(separator: "\t").count == 5, listed.first?.split(separator: "\t")[2] != "-" { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let fields = listed.first?.split(separator: "\t").map(String.init) ?? []
        #expect(fields.count == 5, "\(listed)")
        #expect(fields.dropFirst().first == String(sandbox.pid), "burrow execs into bwrap: same pid")
        #expect(fields.dropFirst(3).first == "org.example.Hello")
        let instanceDirectory = environment["XDG_RUNTIME_DIR"]! + "/.flatpak/" + (fields.first ?? "?")
        let info = try String(contentsOfFile: instanceDirectory + "/info", encoding: .utf8)
        #expect(info.contains("name=org.example.Hello"))
        #expect(info.contains("instance-id=\(fields.first ?? "?")"))

        // enter: a command in the sandbox's namespaces and root, as its owner.
        let entered = try await RunCommandTests.runAsNobody(
            ["enter", "org.example.Hello", "sh", "-c", "grep '^name=' /.flatpak-info; test -w /app; exit 7"], environment: environment)
        #expect(entered.status == 7, "the command's status comes back: \(entered)")
        #expect(entered.stdout == "name=org.example.Hello\n")

        let kill = try await RunCommandTests.runAsNobody(["kill", "org.example.Hello"], environment: environment)
        #expect(kill.status == 0, "\(kill)")
        #expect(sandbox.wait(timeout: .seconds(10)) != nil, "the sandbox ended")
        #expect(try await RunCommandTests.runAsNobody(["ps"], environment: environment).stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: instanceDirectory), "the ended instance's record is removed")

        let again = try await RunCommandTests.runAsNobody(["kill", "org.example.Hello"], environment: environment)
        #expect(again.status == 1)
        #expect(again.stderr.contains("is not running"))
    }
}

@Suite("burrow override")
struct OverrideCommandTests {
    /// What the app sees in $BURROW_OVERRIDE, as set by [Environment].
    static func seen(_ environment: [String: String], flags: [String] = []) async throws -> String {
        let run = try await RunCommandTests.runAsNobody(
            ["run"] + flags + ["--command=sh", "org.example.Hello", "-c", "echo \"${BURROW_OVERRIDE:-unset}\""],
            environment: environment)
        #expect(run.status == 0, "\(run)")
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func overridesApplyInFlatpaksOrderAndReset() async throws {
        let (scratch, environment) = try await RunCommandTests.prepare()
        defer { withExtendedLifetime(scratch) {} }
        #expect(try await Self.seen(environment) == "unset")

        // Overrides live in the (user) installation the test points BURROW_USER_DIR at.
        let global = try await scratch.run("override", "--env=BURROW_OVERRIDE=global")
        #expect(global.status == 0, "\(global)")
        #expect(try await Self.seen(environment) == "global")

        // The app's own override wins over the global one, the command line over both.
        _ = try await scratch.run("override", "--env=BURROW_OVERRIDE=app", "org.example.Hello")
        #expect(try await Self.seen(environment) == "app")
        #expect(try await Self.seen(environment, flags: ["--env=BURROW_OVERRIDE=cli"]) == "cli")
        let shown = try await scratch.run("override", "--show", "org.example.Hello")
        #expect(shown.stdout.contains("BURROW_OVERRIDE=app"))
        let effective = try await scratch.run("info", "--show-permissions", "org.example.Hello")
        #expect(effective.stdout.contains("BURROW_OVERRIDE=app"), "info shows what the app runs with")
        #expect(effective.stdout.contains("sockets=wayland;"), "metadata grants stay")

        _ = try await scratch.run("override", "--reset", "org.example.Hello")
        #expect(try await Self.seen(environment) == "global")
        _ = try await scratch.run("override", "--reset")
        #expect(try await Self.seen(environment) == "unset", "reset forgets both")
        let nothing = try await scratch.run("override", "org.example.Hello")
        #expect(nothing.status == 1)
    }
}
