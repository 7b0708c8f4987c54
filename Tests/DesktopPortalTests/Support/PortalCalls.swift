import Foundation
import PortalCommon
import TestSupport

/// What a Request-style call came to: the handle the method returned and
/// the Response that followed.
struct Outcome: Sendable {
    let handle: ObjectPath
    let response: UInt32
    let results: [String: Variant]

    var uris: [String] { (try? results.option("uris", as: [String].self)) ?? [] }
}

enum ErrorName {
    static let invalidArgument = "org.freedesktop.portal.Error.InvalidArgument"
    static let notAllowed = "org.freedesktop.portal.Error.NotAllowed"
    static let notFound = "org.freedesktop.portal.Error.NotFound"
    static let failed = "org.freedesktop.portal.Error.Failed"
    static let accessDenied = "org.freedesktop.DBus.Error.AccessDenied"
}

extension DesktopDaemon {
    /// The handle a caller predicts for `token`, as libportal does.
    static func handle(for caller: BusConnection, token: String) -> ObjectPath {
        let sender = caller.uniqueName.drop { $0 == ":" }.replacing(".", with: "_")
        return try! ObjectPath("/org/freedesktop/portal/desktop/request/\(sender)/\(token)")
    }

    /// Calls a method that takes `options` last and returns a handle, and
    /// waits for its Response. The Response match is made before the call,
    /// on the predicted handle, so a fast backend cannot be missed.
    func request(_ interface: String, _ member: String, _ arguments: [DBusValue], options: [String: Variant] = [:],
                 token: String = "t\(UInt32.random(in: 1...UInt32.max))", as caller: BusConnection? = nil,
                 timeout: Duration = .seconds(10)) async throws -> Outcome {
        let caller = caller ?? client
        let predicted = Self.handle(for: caller, token: token)
        let (stream, continuation) = AsyncStream<(UInt32, [String: Variant])>.makeStream()
        let match = try await caller.addMatch(
            "type='signal',interface='org.freedesktop.portal.Request',member='Response',path='\(predicted)'"
        ) { signal in
            guard signal.arguments.count == 2, let code = signal.arguments[0].uint32Value,
                  let results = try? [String: Variant](dbusValue: signal.arguments[1]) else { return }
            continuation.yield((code, results))
        }
        defer { match.cancel() }
        var options = options
        options["handle_token"] = Variant(token)
        let reply = try await caller.call(Self.name, Self.path, interface, member, arguments + [options.dbusValue])
        guard case .objectPath(let handle)? = reply.first else { throw TestFailure("\(member) replied \(reply)") }
        let (code, results) = try await first(1, of: stream, timeout: timeout)[0]
        return Outcome(handle: handle, response: code, results: results)
    }

    func call(_ interface: String, _ member: String, _ arguments: [DBusValue],
              as caller: BusConnection? = nil, timeout: Duration? = nil) async throws(PortalError) -> [DBusValue] {
        if let timeout {
            return try await (caller ?? client).call(Self.name, Self.path, interface, member, arguments, timeout: timeout)
        }
        return try await (caller ?? client).call(Self.name, Self.path, interface, member, arguments)
    }
}

enum Interface {
    static let fileChooser = "org.freedesktop.portal.FileChooser"
    static let openURI = "org.freedesktop.portal.OpenURI"
    static let print = "org.freedesktop.portal.Print"
    static let registry = "org.freedesktop.host.portal.Registry"
    static let request = "org.freedesktop.portal.Request"
}
