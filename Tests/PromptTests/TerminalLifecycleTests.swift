import Foundation
import PortalCommon
import Testing
import TestSupport

/// How `burrow prompt` leaves: waiting callers answered, the name released,
/// the terminal back in cooked mode on the normal screen — checked by the
/// pane's own shell right after the prompt exits (`stty -a`).
@Suite("burrow prompt: terminal and lifecycle")
struct TerminalLifecycleTests {
    /// Shell commands the pane runs once the prompt has exited.
    static let recordExit = #"echo "status $?" > "$HOME/exit"; stty -a > "$HOME/stty""#

    static func waitForFile(_ path: String, timeout: Duration = .seconds(30)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), text.hasSuffix("\n") { return text }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw TestFailure("\(path) was not written within \(timeout)")
    }

    /// The terminal is back in cooked mode: canonical input, echo, signals.
    static func expectCooked(_ stty: String) {
        let flags = Set(stty.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == ";" }).map(String.init))
        for flag in ["icanon", "echo", "isig", "icrnl"] {
            #expect(flags.contains(flag) && !flags.contains("-" + flag), "\(flag) in \(stty)")
        }
    }

    static func promptPID(_ session: PromptSession) async throws -> pid_t {
        let reply = try await session.client.call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                                  "GetConnectionUnixProcessID", [.string(PromptSession.busName.rawValue)])
        return pid_t(try #require(reply.first?.uint32Value))
    }

    @Test func sigtermAnswersWaitingCallersAndRestoresTheTerminal() async throws {
        try await withPromptSession(afterExit: Self.recordExit) { session in
            let shown = session.fileChooser("OpenFile", title: "Interrupted")
            try await session.waitForScreen(containing: "“Interrupted”")
            let queued = session.fileChooser("OpenFile", title: "Never shown")
            try await session.waitForScreen(containing: "request 1 of 2")
            kill(try await Self.promptPID(session), SIGTERM)
            #expect(try await shown.value.response == 2)
            #expect(try await queued.value.response == 2)
            #expect(try await Self.waitForFile(session.directory.path + "/exit") == "status 0\n")
            Self.expectCooked(try await Self.waitForFile(session.directory.path + "/stty"))
            // Off the alternate screen: the prompt's drawing is gone.
            try await session.waitForScreen(notContaining: "burrow prompt")
            #expect(try await !session.client.nameHasOwner(PromptSession.busName))
        }
    }

    @Test func qQuitsWhenNothingIsAsked() async throws {
        try await withPromptSession(afterExit: Self.recordExit) { session in
            try await session.type("q")
            #expect(try await Self.waitForFile(session.directory.path + "/exit") == "status 0\n")
            Self.expectCooked(try await Self.waitForFile(session.directory.path + "/stty"))
            #expect(try await !session.client.nameHasOwner(PromptSession.busName))
        }
    }

    /// A second prompt cannot take the name; it says so on its restored
    /// terminal (its log is replayed there) and exits 1.
    @Test func aSecondPromptExplainsWhyItCannotStart() async throws {
        try await withPromptSession { session in
            let second = try await TmuxServer(
                command: [try BuiltProducts.path("burrow"), "prompt", "--log-file", session.directory.path + "/second.log"],
                then: #"echo "status $?" > "$HOME/second-exit""#,
                environment: session.bus.environment.merging(["HOME": session.directory.path]) { _, new in new },
                directory: session.directory)
            defer { second.kill() }
            #expect(try await Self.waitForFile(session.directory.path + "/second-exit") == "status 1\n")
            let screen = try await second.capture()
            #expect(screen.contains("is owned by another process"), "\(screen)")
            #expect(screen.contains("--replace"))
            // The first one is unaffected.
            #expect(try await session.client.nameHasOwner(PromptSession.busName))
            try await session.waitForScreen(containing: "Waiting for requests")
        }
    }
}
