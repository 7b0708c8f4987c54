import Foundation
import PortalCommon
import TestSupport

/// A portal backend of the test's own on the private bus: it owns a bus name
/// (by default burrow's terminal backend's), implements impl FileChooser,
/// AppChooser and Print at /org/freedesktop/portal/desktop, exports an impl
/// Request at each handle while a call is open, records every call and every
/// Close, and answers with whatever `answer` says (at once by default).
final class FakeBackend: @unchecked Sendable {
    struct Call: Sendable {
        let member: String
        let arguments: [DBusValue]
        var handle: ObjectPath? { arguments.first.flatMap { if case .objectPath(let p) = $0 { p } else { nil } } }
        var appID: String? { arguments.count > 1 ? arguments[1].stringValue : nil }
        /// The last argument: the options dictionary of every impl method.
        var options: [String: Variant] { (try? [String: Variant](dbusValue: arguments.last ?? .bool(false))) ?? [:] }
    }

    typealias Answer = @Sendable (Call, FakeBackend) async -> (UInt32, [String: Variant])

    static let burrowName: BusName = "org.freedesktop.impl.portal.desktop.burrow"
    static let path: ObjectPath = "/org/freedesktop/portal/desktop"

    let connection: BusConnection
    let name: BusName
    private let lock = NSLock()
    private var recorded: [Call] = []
    private var closedHandles: [ObjectPath] = []
    private var answerBody: Answer = { _, _ in (0, [:]) }

    init(bus: PrivateBus, name: BusName = FakeBackend.burrowName) async throws {
        connection = try await BusConnection.connect(.address(bus.address))
        self.name = name
        let signature5: [DBusArgument] = [.init("handle", "o"), .init("app_id", "s"), .init("parent_window", "s"),
                                          .init("title", "s"), .init("options", "a{sv}")]
        let out: [DBusArgument] = [.init("response", "u"), .init("results", "a{sv}")]
        try await connection.export(DBusInterface("org.freedesktop.impl.portal.FileChooser", access: .bus, methods:
            ["OpenFile", "SaveFile", "SaveFiles"].map { DBusMethod($0, in: signature5, out: out, handler()) }), at: Self.path)
        try await connection.export(DBusInterface("org.freedesktop.impl.portal.AppChooser", access: .bus, methods: [
            DBusMethod("ChooseApplication", in: [.init("handle", "o"), .init("app_id", "s"), .init("parent_window", "s"),
                                                 .init("choices", "as"), .init("options", "a{sv}")], out: out, handler()),
            // Recorded only: the chooser's list changing while it is open.
            DBusMethod("UpdateChoices", in: [.init("handle", "o"), .init("choices", "as")], .immediate { [weak self] call in
                self?.lock.withLock { self?.recorded.append(Call(member: call.member, arguments: call.arguments)) }
                return []
            }),
        ]), at: Self.path)
        try await connection.export(DBusInterface("org.freedesktop.impl.portal.Print", access: .bus, methods: [
            DBusMethod("PreparePrint", in: [.init("handle", "o"), .init("app_id", "s"), .init("parent_window", "s"),
                                            .init("title", "s"), .init("settings", "a{sv}"), .init("page_setup", "a{sv}"),
                                            .init("options", "a{sv}")], out: out, handler()),
            DBusMethod("Print", in: [.init("handle", "o"), .init("app_id", "s"), .init("parent_window", "s"),
                                     .init("title", "s"), .init("fd", "h"), .init("options", "a{sv}")], out: out, handler()),
        ]), at: Self.path)
        _ = try await connection.requestName(name)
    }

    /// How the next calls are answered.
    func answer(_ body: @escaping Answer) { lock.withLock { answerBody = body } }

    var calls: [Call] { lock.withLock { recorded } }
    var closed: [ObjectPath] { lock.withLock { closedHandles } }

    /// Answers only once the handle was closed (then: cancelled), for
    /// tests of Close and of callers that leave.
    static let waitForClose: Answer = { call, backend in
        for _ in 0..<1000 {
            if let handle = call.handle, backend.closed.contains(handle) { return (1, [:]) }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return (2, [:])
    }

    private func handler() -> DBusMethod.Handler {
        .deferred { [weak self] call in
            guard let self else { throw PortalError.failed("the fake backend is gone") }
            let recordedCall = Call(member: call.member, arguments: call.arguments)
            let body = lock.withLock { () -> Answer in
                recorded.append(recordedCall)
                return answerBody
            }
            // The impl Request the frontend forwards Close to.
            var registration: ExportRegistration?
            if let handle = recordedCall.handle {
                registration = try await connection.export(DBusInterface("org.freedesktop.impl.portal.Request", access: .bus, methods: [
                    DBusMethod("Close", .immediate { [weak self] _ in
                        self?.lock.withLock { self?.closedHandles.append(handle) }
                        return []
                    }),
                ]), at: handle)
            }
            let (response, results) = await body(recordedCall, self)
            registration?.unexport()
            return [.uint32(response), results.dbusValue]
        }
    }

    /// Waits until `count` calls were made (the frontend calls after replying).
    func waitForCalls(_ count: Int) async throws -> [Call] {
        for _ in 0..<1000 {
            let now = calls
            if now.count >= count { return now }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw TestFailure("the backend saw \(calls.count) calls, not \(count), within 5 s")
    }

    func waitForClose(of handle: ObjectPath) async throws {
        for _ in 0..<1000 {
            if closed.contains(handle) { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw TestFailure("the backend's request \(handle) was not closed within 5 s")
    }

    func stop() { connection.close() }
    deinit { connection.close() }
}
