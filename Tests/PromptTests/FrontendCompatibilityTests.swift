import Foundation
import PortalCommon
import Synchronization
import Testing
import TestSupport

/// Debian's real frontend, xdg-desktop-portal 1.16, finds `burrow prompt`
/// through the shipped `data/portals/burrow.portal` and talks to it: the
/// proof that the backend is wire-compatible, not just self-consistent.
@Suite("burrow prompt behind xdg-desktop-portal")
struct FrontendCompatibilityTests {
    static let frontend: BusName = "org.freedesktop.portal.Desktop"

    /// xdg-desktop-portal on the session's bus, reading only burrow's
    /// .portal file and no configuration of the machine's.
    final class Frontend: @unchecked Sendable {
        let process: ChildProcess
        let log: String

        init(_ session: PromptSession) async throws {
            let root = session.directory.appendingPathComponent("frontend")
            let portals = root.appendingPathComponent("portals")
            try FileManager.default.createDirectory(at: portals, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: BuiltProducts.repositoryRoot + "/data/portals/burrow.portal",
                                             toPath: portals.appendingPathComponent("burrow.portal").path)
            var environment = session.bus.environment
            environment["XDG_DESKTOP_PORTAL_DIR"] = portals.path
            environment["XDG_CURRENT_DESKTOP"] = "burrow"
            environment["XDG_CONFIG_HOME"] = root.path
            environment["XDG_DATA_HOME"] = root.path
            environment["XDG_CONFIG_DIRS"] = root.path
            environment["GIO_USE_VFS"] = "local"
            log = root.appendingPathComponent("xdg-desktop-portal.log").path
            // Through sh only to send its chatter to a file nobody must drain.
            process = try ChildProcess("/bin/sh", ["-c", "exec /usr/libexec/xdg-desktop-portal --verbose >'\(log)' 2>&1"],
                                       environment: environment)
            let deadline = ContinuousClock.now + .seconds(30)
            while try await !session.client.nameHasOwner(FrontendCompatibilityTests.frontend) {
                guard ContinuousClock.now < deadline, process.poll() == nil else {
                    process.stop()
                    throw TestFailure("xdg-desktop-portal did not start:\n\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }

        func stop() { process.stop() }
    }

    /// Subscribes to the Response of the request `token` will create for
    /// this client, before the call, so the signal cannot be missed.
    static func expectResponse(_ session: PromptSession, token: String) async throws -> (ObjectPath, AsyncStream<SignalMessage>, MatchSubscription) {
        let sender = String(session.client.uniqueName.dropFirst()).replacingOccurrences(of: ".", with: "_")
        let path = try ObjectPath("/org/freedesktop/portal/desktop/request/\(sender)/\(token)")
        let (stream, continuation) = AsyncStream<SignalMessage>.makeStream()
        let subscription = try await session.client.addMatch(
            "type='signal',interface='org.freedesktop.portal.Request',member='Response',path='\(path.rawValue)'"
        ) { continuation.yield($0) }
        return (path, stream, subscription)
    }

    static func firstResponse(_ stream: AsyncStream<SignalMessage>) async throws -> (UInt32, [String: Variant]) {
        var iterator = stream.makeAsyncIterator()
        guard let signal = await iterator.next(), signal.arguments.count == 2, let code = signal.arguments[0].uint32Value else {
            throw TestFailure("no Response signal")
        }
        return (code, try [String: Variant](dbusValue: signal.arguments[1]))
    }

    @Test func openFileThroughTheRealFrontend() async throws {
        try await withPromptSession { session in
            let frontend = try await Frontend(session)
            defer { frontend.stop() }
            let folder = try session.makeFolder("picked", containing: ["hello.txt", "skip.png"])
            let (path, responses, subscription) = try await Self.expectResponse(session, token: "burrow_compat")
            defer { subscription.cancel() }

            let text = DBusValue.structure([.string("Text"), .array(element: .structure([.uint32, .string]),
                                                                    [.structure([.uint32(0), .string("*.txt")])])])
            let choice = DBusValue.structure([.string("ro"), .string("Read only"), .array(element: .structure([.string, .string]), []),
                                              .string("false")])
            let options: [String: DBusValue] = [
                "handle_token": .string("burrow_compat"),
                "filters": .array(element: text.type, [text]),
                "choices": .array(element: choice.type, [choice]),
            ]
            let returned = try await session.client.call(Self.frontend, "/org/freedesktop/portal/desktop",
                                                         "org.freedesktop.portal.FileChooser", "OpenFile",
                                                         [.string(""), .string("Through the frontend"), PromptSession.vardict(options)])
            #expect(returned.first == .objectPath(path))
            // The frontend identifies the test as an unsandboxed caller.
            let screen = try await session.waitForScreen(containing: "“Through the frontend”")
            #expect(screen.contains("An unsandboxed application wants to open a file"))
            #expect(screen.contains("Filter: Text (*.txt)"))
            try await session.type("\(folder)/hello.txt")
            try await session.press("C-o", "Space", "Enter", "Enter")

            let (response, results) = try await Self.firstResponse(responses)
            #expect(response == 0)
            #expect(try results.option("uris", as: [String].self) == ["file://\(folder)/hello.txt"])
            #expect(results["choices"]?.value == .array(element: .structure([.string, .string]),
                                                        [.structure([.string("ro"), .string("true")])]))
            #expect(results["current_filter"]?.value == text)
        }
    }

    @Test func closingTheFrontendRequestDismissesThePrompt() async throws {
        try await withPromptSession { session in
            let frontend = try await Frontend(session)
            defer { frontend.stop() }
            let (path, _, subscription) = try await Self.expectResponse(session, token: "burrow_close")
            defer { subscription.cancel() }
            _ = try await session.client.call(Self.frontend, "/org/freedesktop/portal/desktop", "org.freedesktop.portal.FileChooser",
                                              "SaveFile", [.string(""), .string("To be closed"),
                                                           PromptSession.vardict(["handle_token": .string("burrow_close")])])
            try await session.waitForScreen(containing: "“To be closed”")
            // The frontend forwards Close to the backend's Request and waits
            // for its reply before answering.
            _ = try await session.client.call(Self.frontend, path, "org.freedesktop.portal.Request", "Close", timeout: .seconds(10))
            try await session.waitForScreen(containing: "Waiting for requests")
        }
    }

    @Test func printThroughTheRealFrontendPassesTheDescriptor() async throws {
        let tools = try TemporaryDirectory.make(prefix: "burrow-cups")
        defer { try? FileManager.default.removeItem(at: tools) }
        try await withPromptSession(environment: try PrintPromptTests.fakeCups(in: tools)) { session in
            let frontend = try await Frontend(session)
            defer { frontend.stop() }
            let (_, responses, subscription) = try await Self.expectResponse(session, token: "burrow_print")
            defer { subscription.cancel() }
            let document = try PrintPromptTests.document(session, "%PDF-1.4 through the frontend")
            _ = try await session.client.call(Self.frontend, "/org/freedesktop/portal/desktop", "org.freedesktop.portal.Print",
                                              "Print", [.string(""), .string("Via x-d-p"), document,
                                                        PromptSession.vardict(["handle_token": .string("burrow_print")])])
            try await session.waitForScreen(containing: "▸ lab")
            try await session.press("Enter")
            let (response, _) = try await Self.firstResponse(responses)
            #expect(response == 0)
            let recorded = try PrintPromptTests.recorded(tools)
            #expect(recorded.argv == ["-d", "lab", "-t", "Via x-d-p"])
            #expect(recorded.stdin == "%PDF-1.4 through the frontend")
        }
    }
}
