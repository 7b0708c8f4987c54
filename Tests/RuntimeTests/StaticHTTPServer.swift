import Foundation
import Installer
import Runtime
import TestSupport

/// `python3 -m http.server` serving a directory on a free loopback port,
/// stopped (with its process group) when the value goes away.
final class StaticHTTPServer: @unchecked Sendable {
    let process: ChildProcess
    let port: UInt16
    var url: String { "http://127.0.0.1:\(port)" }

    static func start(serving directory: String) async throws -> StaticHTTPServer {
        let port = try freeLoopbackPort()
        // Request logs go to /dev/null: they would bury the test output.
        let process = try ChildProcess(
            "/bin/sh",
            ["-c", "exec python3 -m http.server --bind 127.0.0.1 \"$0\" --directory \"$1\" >/dev/null 2>&1",
             String(port), directory])
        let server = StaticHTTPServer(process: process, port: port)
        // Up to 20 s: python starts slowly on a loaded machine.
        for _ in 0..<800 {
            if canConnect(port: port) { return server }
            if process.poll() != nil { throw TestFailure("http.server exited before listening on \(port)") }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw TestFailure("http.server did not listen on \(port) within 20 s")
    }

    private init(process: ChildProcess, port: UInt16) {
        self.process = process
        self.port = port
    }

    deinit { process.stop(grace: .seconds(2)) }

    /// A port nobody listens on right now (bound to 0, read back, closed).
    static func freeLoopbackPort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket failed") }
        defer { close(fd) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw TestFailure("bind failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }

    /// One non-blocking-in-practice connect to loopback (refused at once
    /// when nobody listens).
    static func canConnect(port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}

/// Collects progress reports from the pulling thread.
final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var reports: [PullProgress] = []

    func record(_ progress: PullProgress) { lock.withLock { reports.append(progress) } }
    var all: [PullProgress] { lock.withLock { reports } }
}
