import Logging
import PortalCommon

/// What every portal of this daemon shares: the bus, the Request objects,
/// the backends, lockdown, and the document portal client.
struct PortalContext: Sendable {
    static let busName: BusName = "org.freedesktop.portal.Desktop"
    static let path: ObjectPath = "/org/freedesktop/portal/desktop"

    let connection: BusConnection
    let requests: PortalRequests
    let backends: Backends
    let lockdown: Lockdown
    let documents: DocumentRegistration
    let logger: Logger

    /// The shape of every Request-style method: arguments were validated
    /// and the backend (if one is needed) was found before this is called —
    /// so a missing backend fails the call at once; here the Request is
    /// exported, the handle is returned, and only after that reply `work`
    /// runs and its outcome becomes the Response. A failure inside `work`
    /// is logged and answered with response 2.
    func startRequest(
        _ call: MethodCall, options: [String: Variant], backend: BusName?,
        work: @escaping @Sendable (PortalRequest) async throws -> (RequestResponse, [String: Variant])
    ) async throws(PortalError) -> DBusMethod.DeferredReply {
        let request = try await requests.create(for: call, options: options)
        if let backend { request.attach(backend: backend) }
        let logger = self.logger
        return DBusMethod.DeferredReply([.objectPath(request.path)]) {
            do {
                let (response, results) = try await work(request)
                request.respond(response, results)
            } catch {
                logger.warning("\(call.interface).\(call.member) for \(request.caller): \(PortalError(error).message)")
                request.respond(.other)
            }
        }
    }
}

/// `xdp_filter_options`: only the listed options are kept (others never
/// reach a backend); a listed option of the wrong type, or one its check
/// refuses, is InvalidArgument naming the option.
struct OptionKey: Sendable {
    let name: String
    let type: DBusType
    let check: (@Sendable (DBusValue, [String: Variant]) throws(PortalError) -> Void)?

    init(_ name: String, _ signature: String,
         check: (@Sendable (DBusValue, [String: Variant]) throws(PortalError) -> Void)? = nil) {
        self.name = name
        self.type = DBusArgument(name, signature).type
        self.check = check
    }

    static func filter(_ options: [String: Variant], _ keys: [OptionKey]) throws(PortalError) -> [String: Variant] {
        var kept: [String: Variant] = [:]
        for key in keys {
            guard let variant = options[key.name] else { continue }
            guard variant.value.type == key.type else {
                throw .invalidArgument("option '\(key.name)' must be of type '\(key.type)', not '\(variant.value.type)'")
            }
            try key.check?(variant.value, options)
            kept[key.name] = variant
        }
        return kept
    }
}
