import CLinux
import Foundation
import PortalCommon
import Testing
import TestSupport

/// org.freedesktop.portal.Flatpak.Spawn from inside a sandbox of the
/// installed demo app: each call starts a real `burrow run` of the same app.
@Suite("Flatpak portal: Spawn")
struct SpawnTests {
    @Test func spawnPassesDescriptorsWithGapsAndEnvironment() async throws {
        let portal = try await FlatpakPortalFixture()
        let out = try portal.outputFile("out"), side = try portal.outputFile("side"), err = try portal.outputFile("err")
        defer { close(out.fd); close(side.fd); close(err.fd) }
        let pid = try await portal.spawn(["sh", "-c", "echo \"$GREETING from $(cat /.flatpak-info | grep ^name=)\"; echo side >&7; exit 3"],
                                         fds: [1: out.fd, 2: err.fd, 7: side.fd], env: ["GREETING": "hello"])
        #expect(try await portal.exitStatus(pid) == 3 << 8, "a wait status: exit code 3; stderr: \(portal.contents(err.path))")
        #expect(portal.contents(out.path) == "hello from name=org.example.Hello\n")
        #expect(portal.contents(side.path) == "side\n", "fd 7 reached the sandbox with 2–6 unused")
    }

    @Test func environmentReachesTheSandboxButNotTheLauncher() async throws {
        let portal = try await FlatpakPortalFixture()
        let out = try portal.outputFile("out")
        defer { close(out.fd) }
        // LD_PRELOAD of a library that does not exist: had it been set for
        // `burrow run` on the host side, the loader would refuse to start it.
        let pid = try await portal.spawn(["sh", "-c", "echo \"$LD_PRELOAD\""], fds: [1: out.fd],
                                         env: ["LD_PRELOAD": "/nonexistent/evil.so"])
        _ = try await portal.exitStatus(pid)
        #expect(portal.contents(out.path).contains("/nonexistent/evil.so"))
    }

    @Test func clearEnvDropsTheSessionsVariables() async throws {
        let portal = try await FlatpakPortalFixture(portalEnvironment: ["LANG": "C.UTF-8"])
        let kept = try portal.outputFile("kept"), cleared = try portal.outputFile("cleared")
        defer { close(kept.fd); close(cleared.fd) }
        let first = try await portal.spawn(["sh", "-c", "echo LANG=$LANG"], fds: [1: kept.fd])
        let second = try await portal.spawn(["sh", "-c", "echo LANG=$LANG"], fds: [1: cleared.fd], flags: 1)
        _ = try await portal.exitStatus(first)
        _ = try await portal.exitStatus(second)
        #expect(portal.contents(kept.path) == "LANG=C.UTF-8\n")
        #expect(portal.contents(cleared.path) == "LANG=\n")
    }

    @Test func subSandboxSeesNeitherTheParentsFilesNorItsNetworkButWhatIsExposed() async throws {
        let portal = try await FlatpakPortalFixture()
        let granted = portal.scratch.root.path + "/granted"
        try FileManager.default.createDirectory(atPath: granted, withIntermediateDirectories: true)
        try "parent's\n".write(toFile: granted + "/file", atomically: false, encoding: .utf8)
        chmod(granted, 0o755)
        let override = try await portal.scratch.run("override", "--user", "--filesystem=\(granted):ro", "--share=network", "org.example.Hello")
        #expect(override.status == 0, "\(override)")
        let sandboxDirectory = portal.appDataDirectory + "/sandbox"
        let made = try await portal.burrow("run", "--command=sh", "org.example.Hello", "-c",
                                           "mkdir -p \(sandboxDirectory) && echo exposed > \(sandboxDirectory)/shared.txt")
        #expect(made.status == 0, "\(made)")

        let probe = "cat \(granted)/file 2>/dev/null || echo no-file; cat \(sandboxDirectory)/shared.txt 2>/dev/null || echo no-expose; grep -c . /proc/net/dev"
        let parent = try portal.outputFile("parent"), child = try portal.outputFile("child")
        defer { close(parent.fd); close(child.fd) }
        let normal = try await portal.spawn(["sh", "-c", probe], fds: [1: parent.fd])
        let sandboxed = try await portal.spawn(["sh", "-c", probe], fds: [1: child.fd], flags: 4 | 8,
                                               options: ["sandbox-expose-ro": .array(element: .string, [.string("shared.txt")])])
        _ = try await portal.exitStatus(normal)
        _ = try await portal.exitStatus(sandboxed)
        let parentLines = portal.contents(parent.path).split(separator: "\n").map(String.init)
        let childLines = portal.contents(child.path).split(separator: "\n").map(String.init)
        #expect(parentLines.first == "parent's", "a plain Spawn has the app's own grants: \(parentLines)")
        #expect(childLines.first == "no-file", "the sub-sandbox has no filesystem grants: \(childLines)")
        #expect(childLines.dropFirst().first == "exposed", "but sees what was exposed to it: \(childLines)")
        #expect(Int(childLines.last ?? "") ?? 99 <= 3, "NO_NETWORK: only loopback: \(childLines)")
    }

    @Test func emptyAppAndUnsetEnv() async throws {
        let portal = try await FlatpakPortalFixture()
        let out = try portal.outputFile("out")
        defer { close(out.fd) }
        let pid = try await portal.spawn(["sh", "-c", "ls -A /app | wc -l; echo \"home=${HOME:-unset}\""], fds: [1: out.fd],
                                         flags: 256, options: ["unset-env": .array(element: .string, [.string("HOME")])])
        _ = try await portal.exitStatus(pid)
        #expect(portal.contents(out.path) == "0\nhome=unset\n")
    }

    @Test func exposedDescriptorsAppearInTheSubSandboxAndNothingBeside() async throws {
        let portal = try await FlatpakPortalFixture()
        let directory = portal.scratch.root.path + "/exposed"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for name in ["rw.txt", "ro.txt", "hidden.txt"] { try "\(name)\n".write(toFile: "\(directory)/\(name)", atomically: false, encoding: .utf8) }
        #expect(try await runProgram("/bin/chown", ["-R", "65534:65534", directory]).status == 0)
        let writable = open("\(directory)/rw.txt", burrow_o_path | O_CLOEXEC), readOnly = open("\(directory)/ro.txt", burrow_o_path | O_CLOEXEC)
        defer { close(writable); close(readOnly) }
        let out = try portal.outputFile("out")
        defer { close(out.fd) }
        let probe = "cat \(directory)/rw.txt \(directory)/ro.txt; echo more >> \(directory)/rw.txt && echo wrote-rw; "
            + "echo more >> \(directory)/ro.txt 2>/dev/null || echo ro-refused; cat \(directory)/hidden.txt 2>/dev/null || echo hidden"
        let pid = try await portal.spawn(["sh", "-c", probe], fds: [1: out.fd], flags: 4, options: [
            "sandbox-expose-fd": .array(element: .unixFD, [.unixFD(try UnixFD.duplicating(writable))]),
            "sandbox-expose-fd-ro": .array(element: .unixFD, [.unixFD(try UnixFD.duplicating(readOnly))]),
        ])
        #expect(try await portal.exitStatus(pid) == 0)
        #expect(portal.contents(out.path) == "rw.txt\nro.txt\nwrote-rw\nro-refused\nhidden\n")
        #expect(portal.contents("\(directory)/rw.txt") == "rw.txt\nmore\n")
    }

    @Test func usrAndAppDescriptorsShowTheParentsTreesReadOnly() async throws {
        let portal = try await FlatpakPortalFixture()
        let user = portal.scratch.root.path + "/user"
        let app = open("\(user)/app/org.example.Hello/\(InstallCommandTests.arch)/stable/active/files", burrow_o_path | O_DIRECTORY | O_CLOEXEC)
        let usr = open("\(user)/runtime/org.example.Platform/\(InstallCommandTests.arch)/stable/active/files", burrow_o_path | O_DIRECTORY | O_CLOEXEC)
        defer { close(app); close(usr) }
        let out = try portal.outputFile("out")
        defer { close(out.fd) }
        let pid = try await portal.spawn(["sh", "-c", "ls /run/parent/app/bin; test -x /run/parent/usr/bin/busybox && echo usr; touch /run/parent/app/x 2>/dev/null || echo read-only"],
                                         fds: [1: out.fd], flags: 256, options: [
            "app-fd": .unixFD(try UnixFD.duplicating(app)), "usr-fd": .unixFD(try UnixFD.duplicating(usr)),
        ])
        #expect(try await portal.exitStatus(pid) == 0)
        #expect(portal.contents(out.path) == "hello\nusr\nread-only\n")
    }

    @Test func spawnSignalReachesTheSandboxedProcess() async throws {
        let portal = try await FlatpakPortalFixture()
        let out = try portal.outputFile("out"), err = try portal.outputFile("err")
        defer { close(out.fd); close(err.fd) }
        let pid = try await portal.spawn(["sh", "-c", "trap 'echo got-term; exit 7' TERM; echo ready; while :; do sleep 0.05; done"],
                                         fds: [1: out.fd, 2: err.fd], flags: 64)
        for _ in 0..<2000 where !portal.contents(out.path).contains("ready") { try await Task.sleep(for: .milliseconds(10)) }
        #expect(portal.events(pid).first?.0 == "SpawnStarted", "\(portal.contents(err.path))")
        try await portal.signal(pid, SIGTERM)
        let status = try await portal.exitStatus(pid)
        #expect(portal.contents(out.path) == "ready\ngot-term\n", "the shell inside got SIGTERM, not just bwrap")
        #expect(status == 7 << 8)
    }

    @Test func quickChildrenStillGetSpawnStartedFirst() async throws {
        let portal = try await FlatpakPortalFixture()
        let pid = try await portal.spawn(["true"], flags: 64)
        #expect(try await portal.exitStatus(pid) == 0)
        #expect(portal.events(pid).map(\.0) == ["SpawnStarted", "SpawnExited"])
    }

    @Test func watchBusKillsTheSandboxWhenTheCallerLeaves() async throws {
        let portal = try await FlatpakPortalFixture()
        let info = try await portal.burrow("run", "--command=cat", "org.example.Hello", "/.flatpak-info")
        let caller = try await BridgedConnection.sandboxed(portal.bus, flatpakInfo: info.stdout,
                                                           infoFile: portal.scratch.root.appendingPathComponent("info-2"))
        let pid = try await portal.spawn(["sleep", "120"], flags: 16, as: caller)
        #expect(kill(pid_t(pid), 0) == 0)
        caller.close()
        var gone = false
        for _ in 0..<3000 {
            if kill(pid_t(pid), 0) != 0 { gone = true; break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(gone, "the sandbox was killed and reaped when its caller left the bus")
    }

    @Test func onlySandboxedAppsMaySpawnAndOnlyTheirOwnChildrenMayBeSignalled() async throws {
        let portal = try await FlatpakPortalFixture()
        let host = try await BridgedConnection.host(portal.bus)
        defer { host.close() }
        await #expect { try await portal.spawn(["true"], as: host) } throws: { ($0 as? PortalError)?.name == "org.freedesktop.portal.Error.NotAllowed" }
        await #expect { try await portal.signal(12345, SIGKILL) } throws: { ($0 as? PortalError)?.name == "org.freedesktop.portal.Error.NotFound" }
    }

    @Test(arguments: [
        (["true"], UInt32(1 << 9), [String: DBusValue](), "org.freedesktop.portal.Error.InvalidArgument"),
        // EXPOSE_PIDS needs the caller's sandbox running; this one has exited.
        (["true"], UInt32(32), [:], "org.freedesktop.portal.Error.Failed"),
        ([], UInt32(0), [:], "org.freedesktop.portal.Error.InvalidArgument"),
        (["true"], UInt32(4), ["sandbox-expose": .array(element: .string, [.string("../escape")])], "org.freedesktop.portal.Error.InvalidArgument"),
        (["true"], UInt32(4), ["sandbox-flags": .uint32(1 << 12)], "org.freedesktop.portal.Error.InvalidArgument"),
        // Accessibility names: only with SANDBOX and sandbox-flags 16, and
        // only names under the app's own ID.
        (["true"], UInt32(4), ["sandbox-a11y-own-names": .array(element: .string, [.string("org.example.Hello.Sub")])],
         "org.freedesktop.portal.Error.InvalidArgument"),
        (["true"], UInt32(4), ["sandbox-flags": .uint32(16), "sandbox-a11y-own-names": .array(element: .string, [.string("org.a11y.atspi.Registry")])],
         "org.freedesktop.portal.Error.InvalidArgument"),
    ])
    func badSpawnsAreRefusedByName(argv: [String], flags: UInt32, options: [String: DBusValue], error: String) async throws {
        let portal = try await FlatpakPortalFixture()
        await #expect { try await portal.spawn(argv, flags: flags, options: options) } throws: { ($0 as? PortalError)?.name == error }
    }
}
