import Foundation
import Testing
import TestSupport

/// `--allow=per-app-dev-shm`: one /dev/shm shared by an app's instances and
/// nobody else, removed once none runs.
@Suite("burrow run: per-app /dev/shm")
struct PerAppSharedMemoryTests {
    @Test func instancesShareOneDevShmThatTheHostAndPlainRunsDoNotSee() async throws {
        let (scratch, environment) = try await RunCommandTests.prepare()
        defer { withExtendedLifetime(scratch) {} }
        let first = try RunCommandTests.startAsNobody(
            ["run", "--allow=per-app-dev-shm", "--command=sh", "org.example.Hello", "-c",
             "echo hello >/dev/shm/marker && echo written; exec sleep 60"], environment: environment)
        defer { first.stop() }
        #expect(await first.nextOutputLine() == "written")

        let second = try await RunCommandTests.runAsNobody(
            ["run", "--allow=per-app-dev-shm", "--command=cat", "org.example.Hello", "/dev/shm/marker"], environment: environment)
        #expect(second.stdout == "hello\n", "a second instance shares it: \(second)")
        let plain = try await RunCommandTests.runAsNobody(
            ["run", "--command=ls", "org.example.Hello", "-A", "/dev/shm"], environment: environment)
        #expect(plain.status == 0 && plain.stdout.isEmpty, "without the feature, a private one: \(plain)")

        // On the host: one directory of nobody's, closed to others; nothing
        // in /dev/shm itself.
        let record = environment["XDG_RUNTIME_DIR"]! + "/.flatpak/org.example.Hello"
        let target = try FileManager.default.destinationOfSymbolicLink(atPath: record + "/dev-shm")
        #expect(target.hasPrefix("/dev/shm/burrow-org.example.Hello-"))
        var status = stat()
        #expect(lstat(target, &status) == 0 && status.st_uid == Nobody.uid && status.st_mode & 0o777 == 0o700)
        #expect(!FileManager.default.fileExists(atPath: "/dev/shm/marker"))

        // Gone with the last instance (once no launch has taken it for a
        // minute; the test backdates that), the next time instances are listed.
        first.stop()
        var old = [timespec(tv_sec: time(nil) - 120, tv_nsec: 0), timespec(tv_sec: time(nil) - 120, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, record + "/dev-shm.lock", &old, 0) == 0)
        _ = try await RunCommandTests.runAsNobody(["ps"], environment: environment)
        #expect(!FileManager.default.fileExists(atPath: target), "\(target) outlived the app")
    }
}
