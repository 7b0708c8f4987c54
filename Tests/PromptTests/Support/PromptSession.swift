import Foundation
import PortalCommon
import Testing
import TestSupport

/// `burrow prompt` on a private bus, drawing in a tmux pane of its own,
/// with a client connection for calling its backend interfaces directly.
///
/// Tests call a method (`begin`), wait until the question is on screen,
/// answer with keys, and check the reply. `stop()` — also on failure —
/// kills tmux (and so the prompt), closes the client, stops the bus and
/// removes the temporary directory.
final class PromptSession: @unchecked Sendable {
    static let busName: BusName = "org.freedesktop.impl.portal.desktop.burrow"
    static let path: ObjectPath = "/org/freedesktop/portal/desktop"

    let bus: PrivateBus
    let directory: URL
    let tmux: TmuxServer
    let client: BusConnection
    var logPath: String { directory.appendingPathComponent("prompt.log").path }

    private let lock = NSLock()
    private var stopped = false
    nonisolated(unsafe) private var nextHandle = 0

    /// The reply of a backend method: `(u response, a{sv} results)`.
    struct Reply: Sendable {
        let response: UInt32
        let results: [String: Variant]
        var uris: [String] { ((try? results.option("uris", as: [String].self)) ?? nil) ?? [] }
    }

    /// `afterExit`: shell commands run in the pane once the prompt exits;
    /// `allowAllUsers` opens the bus to sandboxes running as nobody.
    init(environment extra: [String: String] = [:], afterExit: String? = nil, allowAllUsers: Bool = false) async throws {
        bus = try PrivateBus(allowAllUsers: allowAllUsers)
        directory = try TemporaryDirectory.make(prefix: "burrow-prompt")
        var environment = bus.environment
        environment["HOME"] = directory.path
        environment["XDG_RUNTIME_DIR"] = directory.path
        environment.merge(extra) { _, new in new }
        do {
            client = try await BusConnection.connect(.address(bus.address))
            tmux = try await TmuxServer(
                command: [try BuiltProducts.path("burrow"), "prompt", "--verbose", "--log-file", directory.appendingPathComponent("prompt.log").path],
                then: afterExit, environment: environment, directory: directory)
        } catch {
            bus.stop()
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        do {
            try await waitForOwner()
            _ = try await waitForScreen(containing: "Waiting for requests")
        } catch {
            stop()
            throw error
        }
    }

    func stop() {
        guard lock.withLock({ () -> Bool in
            defer { stopped = true }
            return !stopped
        }) else { return }
        tmux.kill()
        client.close()
        bus.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }

    private func waitForOwner() async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if try await client.nameHasOwner(Self.busName) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("burrow prompt did not own \(Self.busName) within 30 s\n\(try await diagnostics())")
    }

    // MARK: Calls

    /// A fresh request handle, as a frontend would make one.
    func makeHandle() -> ObjectPath {
        let number = lock.withLock { () -> Int in
            nextHandle += 1
            return nextHandle
        }
        return try! ObjectPath("/org/freedesktop/portal/desktop/request/1_99/burrow_test\(number)")
    }

    /// Calls a backend method in the background; the task ends with its
    /// reply (or the error), or with NoReply once the session stops.
    func begin(_ interface: String, _ member: String, _ arguments: [DBusValue]) -> Task<Reply, any Error> {
        Task {
            let values = try await client.call(Self.busName, Self.path, interface, member, arguments, timeout: .seconds(90))
            guard values.count == 2, let response = values[0].uint32Value else {
                throw TestFailure("\(member) replied \(values)")
            }
            return Reply(response: response, results: try [String: Variant](dbusValue: values[1]))
        }
    }

    /// `FileChooser.METHOD(handle, app_id, "", title, options)`.
    func fileChooser(_ method: String, handle: ObjectPath? = nil, appID: String = "org.example.Editor",
                     title: String = "Pick something", options: [String: DBusValue] = [:]) -> Task<Reply, any Error> {
        begin("org.freedesktop.impl.portal.FileChooser", method,
              [.objectPath(handle ?? makeHandle()), .string(appID), .string(""), .string(title), Self.vardict(options)])
    }

    static func vardict(_ options: [String: DBusValue]) -> DBusValue {
        options.mapValues { Variant($0) }.dbusValue
    }

    // MARK: The screen

    /// Polls the pane until `text` shows, or fails after `timeout` with the
    /// screen and the prompt's log.
    @discardableResult
    func waitForScreen(containing text: String, timeout: Duration = .seconds(30)) async throws -> String {
        try await waitForScreen(timeout: timeout, "'\(text)'") { $0.contains(text) }
    }

    /// Polls until `text` is gone from the pane.
    func waitForScreen(notContaining text: String, timeout: Duration = .seconds(30)) async throws {
        try await waitForScreen(timeout: timeout, "no '\(text)'") { !$0.contains(text) }
    }

    @discardableResult
    func waitForScreen(timeout: Duration, _ what: String, until condition: (String) -> Bool) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        var screen = ""
        while ContinuousClock.now < deadline {
            screen = try await tmux.capture()
            if condition(screen) { return screen }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw TestFailure("the screen did not show \(what) within \(timeout)\n\(try await diagnostics())")
    }

    func type(_ text: String) async throws { try await tmux.type(text) }
    func press(_ keys: String...) async throws { try await tmux.press(keys) }

    /// The screen and the log, for failure messages.
    func diagnostics() async throws -> String {
        let screen = (try? await tmux.capture()) ?? "(no screen)"
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "(no log)"
        return "--- screen ---\n\(screen)\n--- log ---\n\(log)"
    }

    // MARK: Files

    /// Creates `names` (a trailing `/` makes a folder) under a new folder
    /// in the session directory; returns its path.
    func makeFolder(_ name: String, containing names: [String]) throws -> String {
        let folder = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for entry in names {
            let url = folder.appendingPathComponent(entry)
            if entry.hasSuffix("/") {
                try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            } else {
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data("contents of \(entry)\n".utf8).write(to: url)
            }
        }
        return folder.path
    }
}

/// Runs `body` with a fresh session and always stops it, even when `body`
/// throws or a call is still waiting for the prompt.
func withPromptSession(environment: [String: String] = [:], afterExit: String? = nil, allowAllUsers: Bool = false,
                       _ body: (PromptSession) async throws -> Void) async throws {
    let session = try await PromptSession(environment: environment, afterExit: afterExit, allowAllUsers: allowAllUsers)
    defer { session.stop() }
    try await body(session)
}

extension DBusValue {
    /// `ay` with the trailing nul the portal expects for paths.
    static func path(_ path: String) -> DBusValue { ByteString(path).dbusValue }
}
