import Foundation
import PortalCommon
import Testing
import TestSupport

/// org.freedesktop.portal.Request objects: their path, their one Response,
/// Close (only by the sender, forwarded to the backend), and cleanup when
/// the sender leaves the bus.
@Suite("Desktop portal: requests")
struct RequestTests {
    static let openFile: [DBusValue] = [.string(""), .string("Pick")]

    @Test func theResponseCarriesTheResultsAndTheObjectGoes() async throws {
        let portal = try await DesktopDaemon()
        let backend = try await FakeBackend(bus: portal.bus)
        backend.answer { _, _ in (0, ["uris": Variant(["file:///tmp/chosen.txt"])]) }
        let outcome = try await portal.request(Interface.fileChooser, "OpenFile", Self.openFile, token: "mine")
        #expect(outcome.handle == DesktopDaemon.handle(for: portal.client, token: "mine"))
        #expect(outcome.response == 0)
        #expect(outcome.uris == ["file:///tmp/chosen.txt"])
        // The backend was handed the same path as its own request handle.
        #expect(backend.calls.first?.handle == outcome.handle)
        // After the Response the object is gone: Close reaches nothing.
        let gone = await #expect(throws: PortalError.self) {
            _ = try await portal.client.call(DesktopDaemon.name, outcome.handle, Interface.request, "Close")
        }
        #expect(gone?.name.hasPrefix("org.freedesktop.DBus.Error.Unknown") == true, "\(String(describing: gone))")
    }

    @Test func aBackendCancelIsResponseOneWithNoURIs() async throws {
        let portal = try await DesktopDaemon()
        let backend = try await FakeBackend(bus: portal.bus)
        backend.answer { _, _ in (1, ["uris": Variant(["file:///tmp/ignored"])]) }
        let outcome = try await portal.request(Interface.fileChooser, "OpenFile", Self.openFile)
        #expect(outcome.response == 1)
        #expect(outcome.uris.isEmpty)
    }

    @Test func closeIsForwardedToTheBackendAndNoResponseFollows() async throws {
        let portal = try await DesktopDaemon()
        let backend = try await FakeBackend(bus: portal.bus)
        backend.answer(FakeBackend.waitForClose)
        let handle = DesktopDaemon.handle(for: portal.client, token: "closing")
        let (responses, continuation) = AsyncStream<UInt32>.makeStream()
        let match = try await portal.client.addMatch("type='signal',member='Response',path='\(handle)'") { signal in
            continuation.yield(signal.arguments.first?.uint32Value ?? 99)
        }
        defer { match.cancel() }
        let reply = try await portal.call(Interface.fileChooser, "OpenFile",
                                          Self.openFile + [["handle_token": Variant("closing")].dbusValue])
        #expect(reply == [.objectPath(handle)])
        _ = try await backend.waitForCalls(1)
        _ = try await portal.client.call(DesktopDaemon.name, handle, Interface.request, "Close")
        try await backend.waitForClose(of: handle)
        await #expect(throws: TestFailure.self) { _ = try await first(1, of: responses, timeout: .milliseconds(500)) }
    }

    @Test func onlyTheSenderMayClose() async throws {
        let portal = try await DesktopDaemon()
        let backend = try await FakeBackend(bus: portal.bus)
        backend.answer(FakeBackend.waitForClose)
        let reply = try await portal.call(Interface.fileChooser, "OpenFile", Self.openFile + [[String: Variant]().dbusValue])
        guard case .objectPath(let handle)? = reply.first else { throw TestFailure("no handle: \(reply)") }
        let stranger = try await BridgedConnection.host(portal.bus)
        defer { stranger.close() }
        let refused = await #expect(throws: PortalError.self) {
            _ = try await stranger.call(DesktopDaemon.name, handle, Interface.request, "Close")
        }
        #expect(refused?.name == ErrorName.accessDenied)
        #expect(backend.closed.isEmpty)
        _ = try await portal.client.call(DesktopDaemon.name, handle, Interface.request, "Close")
        try await backend.waitForClose(of: handle)
    }

    @Test func aSenderLeavingTheBusClosesItsRequests() async throws {
        let portal = try await DesktopDaemon()
        let backend = try await FakeBackend(bus: portal.bus)
        backend.answer(FakeBackend.waitForClose)
        let leaving = try await BridgedConnection.host(portal.bus)
        let reply = try await portal.call(Interface.fileChooser, "OpenFile", Self.openFile + [[String: Variant]().dbusValue], as: leaving)
        guard case .objectPath(let handle)? = reply.first else { throw TestFailure("no handle: \(reply)") }
        _ = try await backend.waitForCalls(1)
        leaving.close()
        try await backend.waitForClose(of: handle)
    }

    @Test func aTokenInUseGetsAnotherPathAndADefaultTokenIsT() async throws {
        let portal = try await DesktopDaemon()
        let backend = try await FakeBackend(bus: portal.bus)
        backend.answer(FakeBackend.waitForClose)
        let options: [String: Variant] = ["handle_token": Variant("same")]
        let first = try await portal.call(Interface.fileChooser, "OpenFile", Self.openFile + [options.dbusValue])
        let second = try await portal.call(Interface.fileChooser, "OpenFile", Self.openFile + [options.dbusValue])
        let plain = try await portal.call(Interface.fileChooser, "OpenFile", Self.openFile + [[String: Variant]().dbusValue])
        let predicted = DesktopDaemon.handle(for: portal.client, token: "same")
        #expect(first == [.objectPath(predicted)])
        #expect(second.first?.stringValue?.hasPrefix(predicted.rawValue + "/") == true, "\(second)")
        #expect(plain == [.objectPath(DesktopDaemon.handle(for: portal.client, token: "t"))])
    }

    @Test("an invalid handle_token is InvalidArgument", arguments: ["", "has-dash", "dot.ted", "sp ace"])
    func invalidTokens(token: String) async throws {
        let portal = try await DesktopDaemon()
        let backend = try await FakeBackend(bus: portal.bus)
        let error = await #expect(throws: PortalError.self) {
            _ = try await portal.call(Interface.fileChooser, "OpenFile",
                                      Self.openFile + [["handle_token": Variant(token)].dbusValue])
        }
        #expect(error?.name == ErrorName.invalidArgument)
        #expect(backend.calls.isEmpty)
    }
}
