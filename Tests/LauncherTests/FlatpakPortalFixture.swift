import CLinux
import Foundation
import PortalCommon
import Synchronization
import TestSupport

/// `burrow-flatpak-portal` running as nobody on a private bus, next to the
/// demo app installed for nobody, and a caller that *is* that app: a real
/// bwrap sandbox (via `BridgedConnection.sandboxed`) carrying the very
/// `/.flatpak-info` that `burrow run` gives org.example.Hello.
final class FlatpakPortalFixture: @unchecked Sendable {
    static let name: BusName = "org.freedesktop.portal.Flatpak"
    static let path: ObjectPath = "/org/freedesktop/portal/Flatpak"
    static let interface = "org.freedesktop.portal.Flatpak"

    let scratch: InstallCommandTests.Scratch
    let environment: [String: String]
    let bus: PrivateBus
    let portal: ChildProcess
    let app: BusConnection
    private let signals = Received()

    final class Received: Sendable {
        let list = Mutex<[SignalMessage]>([])
    }

    init(portalEnvironment extra: [String: String] = [:], arguments: [String] = []) async throws {
        let (scratch, environment) = try await RunCommandTests.prepare()
        self.scratch = scratch
        self.environment = environment
        bus = try PrivateBus(allowAllUsers: true)
        var portalEnvironment = environment
        portalEnvironment["DBUS_SESSION_BUS_ADDRESS"] = bus.address
        portalEnvironment.merge(extra) { $1 }
        let command = Nobody.command(try BuiltProducts.path("burrow-flatpak-portal"), arguments)
        portal = try ChildProcess(command[0], Array(command.dropFirst()), environment: portalEnvironment)
        let info = try await RunCommandTests.runAsNobody(["run", "--command=cat", "org.example.Hello", "/.flatpak-info"],
                                                          environment: environment)
        guard info.status == 0 else { throw TestFailure("cannot read the app's /.flatpak-info: \(info)") }
        app = try await BridgedConnection.sandboxed(bus, flatpakInfo: info.stdout,
                                                    infoFile: scratch.root.appendingPathComponent("flatpak-info"))
        let probe = try await BusConnection.connect(.address(bus.address))
        defer { probe.close() }
        for _ in 0..<1000 where try await !probe.nameHasOwner(Self.name) {
            if portal.poll() != nil { throw TestFailure("burrow-flatpak-portal exited during start-up") }
            try await Task.sleep(for: .milliseconds(5))
        }
        _ = try await app.addMatch("type='signal'") { [signals] message in
            signals.list.withLock { $0.append(message) }
        }
    }

    deinit {
        app.close()
        portal.stop()
        bus.stop()
    }

    /// Also records the portal's signals sent to `connection` (another caller).
    func record(from connection: BusConnection) async throws {
        _ = try await connection.addMatch("type='signal'") { [signals] message in
            signals.list.withLock { $0.append(message) }
        }
    }

    /// Spawn from the sandboxed app; `fds` maps target numbers to our fds.
    func spawn(_ argv: [String], fds: [UInt32: Int32] = [:], env: [String: String] = [:], flags: UInt32 = 0,
               options: [String: DBusValue] = [:], as caller: BusConnection? = nil) async throws(PortalError) -> UInt32 {
        var descriptors: [DBusValue.DictEntry] = []
        for (target, fd) in fds.sorted(by: { $0.key < $1.key }) {
            descriptors.append(.init(.uint32(target), .unixFD(try UnixFD.duplicating(fd))))
        }
        let reply = try await (caller ?? app).call(Self.name, Self.path, Self.interface, "Spawn", [
            .bytes([]),
            .array(element: .array(.byte), argv.map { .bytes(Array($0.utf8) + [0]) }),
            .dictionary(key: .uint32, value: .unixFD, descriptors),
            env.dbusValue, .uint32(flags),
            .dictionary(key: .string, value: .variant, options.sorted { $0.key < $1.key }.map { .init(.string($0.key), .variant($0.value)) }),
        ])
        guard case .uint32(let pid)? = reply.first else { throw .failed("Spawn answered \(reply)") }
        return pid
    }

    func signal(_ pid: UInt32, _ number: Int32, processGroup: Bool = false) async throws(PortalError) {
        _ = try await app.call(Self.name, Self.path, Self.interface, "SpawnSignal",
                               [.uint32(pid), .uint32(UInt32(number)), .bool(processGroup)])
    }

    /// The signals about `pid` received so far, in order: (member, second argument).
    func events(_ pid: UInt32) -> [(String, UInt32)] {
        signals.list.withLock { all in
            all.compactMap { message in
                guard case .uint32(let first)? = message.arguments.first, first == pid,
                      case .uint32(let second)? = message.arguments.dropFirst().first else { return nil }
                return (message.member ?? "", second)
            }
        }
    }

    /// The first signal `member` (matching `where`) received, waiting up to `timeout`.
    func waitForSignal(_ member: String, timeout: Duration,
                       where matches: @escaping (SignalMessage) -> Bool = { _ in true }) async throws -> SignalMessage {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let found = signals.list.withLock({ $0.first { $0.member == member && matches($0) } }) { return found }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("no \(member) signal within \(timeout)")
    }

    /// SpawnExited's wait status for `pid`, waiting up to 30 s.
    func exitStatus(_ pid: UInt32) async throws -> UInt32 {
        for _ in 0..<3000 {
            if let exited = events(pid).first(where: { $0.0 == "SpawnExited" }) { return exited.1 }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestFailure("no SpawnExited for \(pid) within 30 s")
    }

    /// A file nobody can write, for output from the sandbox.
    func outputFile(_ name: String) throws -> (path: String, fd: Int32) {
        let path = scratch.root.path + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw TestFailure("cannot create \(path)") }
        return (path, fd)
    }

    func contents(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    /// Runs `burrow` as nobody with the fixture's installation.
    func burrow(_ arguments: String...) async throws -> BurrowRun {
        try await RunCommandTests.runAsNobody(arguments, environment: environment)
    }

    var appDataDirectory: String { environment["HOME"]! + "/.var/app/org.example.Hello" }
}
