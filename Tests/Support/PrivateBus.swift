import Foundation
import Synchronization

/// A private `dbus-daemon --session` for one test, on a socket in a fresh
/// temporary directory. `stop()` (also run by deinit) kills it and removes
/// the directory, so a failing test leaves nothing behind.
public final class PrivateBus: @unchecked Sendable {
    public let address: String
    public let directory: URL
    private let process: ChildProcess

    /// With `allowAllUsers`, processes of any uid may connect (tests that run
    /// sandboxes as an unprivileged user); otherwise only our own uid.
    /// `socketPath` puts the socket somewhere else than the bus's own
    /// directory (a bus standing in for one at a fixed place).
    public init(allowAllUsers: Bool = false, socketPath: String? = nil) throws {
        directory = try TemporaryDirectory.make(prefix: "burrow-bus")
        if allowAllUsers { chmod(directory.path, 0o755) }
        let config = directory.appendingPathComponent("session.conf")
        let services = directory.appendingPathComponent("services")
        try FileManager.default.createDirectory(at: services, withIntermediateDirectories: true)
        // A session bus config of our own: our socket, our activation dir,
        // nothing from the host's service directories.
        try """
        <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
         "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
        <busconfig>
          <type>session</type>
          <listen>unix:path=\(socketPath ?? directory.path + "/bus")</listen>
          <servicedir>\(services.path)</servicedir>
          <policy context="default">
            \(allowAllUsers ? "<allow user=\"*\"/>" : "")
            <allow send_destination="*" eavesdrop="true"/>
            <allow eavesdrop="true"/>
            <allow own="*"/>
          </policy>
          <limit name="reply_timeout">60000</limit>
        </busconfig>
        """.write(to: config, atomically: false, encoding: .utf8)
        process = try ChildProcess(
            "/usr/bin/dbus-daemon",
            ["--config-file=\(config.path)", "--nofork", "--print-address=1", "--nopidfile"],
            captureOutput: true)
        guard let line = process.standardOutput?.readLine(), !line.isEmpty else {
            process.stop()
            throw TestFailure("dbus-daemon did not print its address")
        }
        address = line
    }

    public var servicesDirectory: URL { directory.appendingPathComponent("services") }

    /// The environment a client process needs to reach this bus.
    public var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["DBUS_SESSION_BUS_ADDRESS"] = address
        return env
    }

    public func stop() {
        process.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }
}

public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public enum TemporaryDirectory {
    public static func make(prefix: String) throws -> URL {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        var template = Array("\(base)/\(prefix).XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestFailure("mkdtemp failed") }
        return URL(fileURLWithPath: String(cString: made))
    }

    /// A directory that lives as long as the test process (probes compiled
    /// once for every test), removed when the process exits.
    public static func makeForProcess(prefix: String) throws -> URL {
        let directory = try make(prefix: prefix)
        let first = processDirectories.withLock { paths in
            paths.append(directory.path)
            return paths.count == 1
        }
        if first {
            atexit {
                for path in TemporaryDirectory.processDirectories.withLock({ $0 }) {
                    try? FileManager.default.removeItem(atPath: path)
                }
            }
        }
        return directory
    }

    private static let processDirectories = Mutex<[String]>([])
}
