import Synchronization

/// The Request objects of one portal daemon: creation at
/// `BASE/request/SENDER/TOKEN`, `Close`, and cleanup when a sender leaves
/// the bus — one implementation for every Request-style portal method.
public final class PortalRequests: Sendable {
    public static let interface = "org.freedesktop.portal.Request"
    public static let implInterface = "org.freedesktop.impl.portal.Request"

    let connection: BusConnection
    /// `/org/freedesktop/portal/desktop` for the desktop portal.
    public let base: ObjectPath
    private let live = Mutex<[ObjectPath: PortalRequest]>([:])

    public init(connection: BusConnection, base: ObjectPath = "/org/freedesktop/portal/desktop") {
        self.connection = connection
        self.base = base
        connection.onPeerVanished { [weak self] name in
            self?.senderVanished(name)
        }
    }

    /// Live requests (for tests and shutdown logging).
    public var count: Int { live.withLock { $0.count } }

    /// Creates and exports the Request for `call`, before the method returns
    /// its handle, so a caller that subscribes after the reply still finds
    /// the object. The token comes from the `handle_token` option.
    public func create(for call: MethodCall, options: [String: Variant]) async throws(PortalError) -> PortalRequest {
        let token = try Self.token(from: options)
        let caller = try call.identifiedCaller
        let prefix = try base.appending("request").appending(Self.senderElement(call.sender)).appending(token)
        // A token in use by a live request of the same sender gets a random
        // suffix element, as upstream does: the first request keeps its path.
        let request = live.withLock { live -> PortalRequest in
            var path = prefix
            while live[path] != nil {
                path = (try? prefix.appending(String(UInt32.random(in: 1...UInt32.max)))) ?? prefix
            }
            let request = PortalRequest(path: path, sender: call.sender, caller: caller, registry: self)
            live[path] = request
            return request
        }
        do {
            let registration = try await connection.export(definition(for: request), at: request.path)
            request.setRegistration(registration)
        } catch {
            forget(request)
            throw error
        }
        return request
    }

    /// The `Request` interface of one object: `Close` and the `Response` signal.
    private func definition(for request: PortalRequest) -> DBusInterface {
        // `.bus`: no identification is needed to compare unique names, and
        // the comparison is the whole policy (only the sender may close).
        DBusInterface(Self.interface, access: .bus, methods: [
            // The reply goes first and the object is removed after it: sd-bus
            // cannot send the reply to a call on an object already unexported.
            DBusMethod("Close", .deferredThen { [weak request] call in
                guard let request else { return .init([]) }
                guard call.sender == request.sender else {
                    throw PortalError.accessDenied("Portal operation not allowed: only \(request.sender) may close \(request.path)")
                }
                return .init([]) { await request.close() }
            }),
        ], signals: [
            DBusSignal("Response", [.init("response", "u"), .init("results", "a{sv}")]),
        ])
    }

    func forget(_ request: PortalRequest) {
        live.withLock { live in
            if live[request.path] === request { live.removeValue(forKey: request.path) }
        }
    }

    /// A sender that left can no longer receive a Response: its requests
    /// end, and their backends are told to drop their dialogs.
    private func senderVanished(_ name: String) {
        let orphans = live.withLock { live in live.values.filter { $0.sender.rawValue == name } }
        guard !orphans.isEmpty else { return }
        Task {
            for request in orphans { await request.close() }
        }
    }

    /// `SENDER`: the unique name without `:`, dots as `_` (`:1.42` → `1_42`).
    static func senderElement(_ sender: BusName) -> String {
        ObjectPath.escapeElement(String(sender.rawValue.drop { $0 == ":" }))
    }

    /// The `handle_token` option: `[A-Za-z0-9_]+`, else InvalidArgument;
    /// `t` when absent (upstream's default).
    static func token(from options: [String: Variant]) throws(PortalError) -> String {
        guard let token = try options.option("handle_token", as: String.self) else { return "t" }
        guard !token.isEmpty, token.utf8.count <= 255, token.utf8.allSatisfy(ObjectPath.isPathElementByte) else {
            throw .invalidArgument("handle_token \(token.debugDescription) is not valid: use 1–255 characters from [A-Za-z0-9_]")
        }
        return token
    }
}
