import Foundation
import TestSupport

/// A tmux server of the test's own (`-L NAME`, its socket under the test's
/// temporary directory) running one command in a 120×40 pane — the
/// terminal `burrow prompt` draws in and the test types into.
///
/// `kill()` (also run by deinit) stops the server and with it the pane's
/// process, so a failing test leaves no tmux behind.
final class TmuxServer: @unchecked Sendable {
    let name: String
    private let environment: [String: String]
    private let lock = NSLock()
    private var killed = false

    nonisolated(unsafe) private static var counter = 0
    private static let counterLock = NSLock()

    /// Starts `command` (argv), followed by the shell commands `then` if
    /// any, in a detached session. The pane's process gets `environment`:
    /// tmux hands the first client's environment to its server, and the
    /// server to the pane.
    init(command: [String], then followUp: String? = nil, environment: [String: String], directory: URL) async throws {
        let number = Self.counterLock.withLock { () -> Int in
            Self.counter += 1
            return Self.counter
        }
        name = "burrow-prompt-\(getpid())-\(number)"
        var environment = environment
        environment["TMUX_TMPDIR"] = directory.path
        environment["TMUX"] = nil
        environment["TERM"] = "xterm-256color"
        self.environment = environment
        // remain-on-exit keeps the pane (and its last words) if the command
        // dies, so a failure can still be captured; no status line, so the
        // pane is the whole 40 rows.
        let config = directory.appendingPathComponent("tmux.conf")
        try "set -g remain-on-exit on\nset -g status off\n".write(to: config, atomically: false, encoding: .utf8)
        let quoted = command.map(Self.quote).joined(separator: " ")
        let shellCommand = followUp.map { "\(quoted); \($0)" } ?? "exec " + quoted
        let result = try await runProgram(
            "/usr/bin/tmux", ["-L", name, "-f", config.path, "new-session", "-d", "-x", "120", "-y", "40", shellCommand],
            environment: environment, timeout: .seconds(30))
        guard result.status == 0 else { throw TestFailure("tmux new-session failed: \(result.stderr)") }
    }

    /// The pane's text as shown now (`capture-pane -p`).
    func capture() async throws -> String {
        let result = try await tmux(["capture-pane", "-p"])
        guard result.status == 0 else { throw TestFailure("tmux capture-pane failed: \(result.stderr)") }
        return result.stdout
    }

    /// Types `text` literally (`send-keys -l`).
    func type(_ text: String) async throws {
        let result = try await tmux(["send-keys", "-l", text])
        guard result.status == 0 else { throw TestFailure("tmux send-keys failed: \(result.stderr)") }
    }

    /// Presses keys by tmux's names: `Enter`, `Escape`, `Tab`, `C-t`, `Up`.
    func press(_ keys: [String]) async throws {
        let result = try await tmux(["send-keys"] + keys)
        guard result.status == 0 else { throw TestFailure("tmux send-keys failed: \(result.stderr)") }
    }

    private func tmux(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await runProgram("/usr/bin/tmux", ["-L", name] + arguments, environment: environment, timeout: .seconds(30))
    }

    /// Stops the server (the pane's process gets SIGHUP). Blocking, so it
    /// can run from deinit and `defer`.
    func kill() {
        guard lock.withLock({ () -> Bool in
            defer { killed = true }
            return !killed
        }) else { return }
        if let child = try? ChildProcess("/usr/bin/tmux", ["-L", name, "kill-server"], environment: environment) {
            child.wait(timeout: .seconds(10))
        }
    }

    deinit { kill() }

    private static func quote(_ argument: String) -> String {
        "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
