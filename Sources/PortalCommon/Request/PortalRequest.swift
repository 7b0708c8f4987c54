import Synchronization

/// How a request ended, as `Request.Response` reports it.
public enum RequestResponse: UInt32, Sendable {
    case success = 0
    /// The user cancelled the interaction.
    case cancelled = 1
    /// Ended another way (refused, failed, backend gone).
    case other = 2
}

/// One `org.freedesktop.portal.Request` object: the handle a Request-style
/// method returns, at `…/request/SENDER/TOKEN`, until its single `Response`
/// (or `Close`, or the sender leaving the bus) ends it.
///
/// Only the sender that created it may close it; its `Response` goes to
/// that sender alone. Whatever ends it first wins; later endings are no-ops,
/// so a backend answering after `Close` produces no signal.
public final class PortalRequest: Sendable {
    public let path: ObjectPath
    /// The unique name that made the call; the only one that may close it.
    public let sender: BusName
    /// Who the sender is, as identified by the bus.
    public let caller: AppInfo

    private struct State {
        var registration: ExportRegistration?
        /// The backend whose impl Request lives at the same path.
        var backend: BusName?
        var finished = false
    }
    private let state = Mutex(State())
    private let registry: PortalRequests

    init(path: ObjectPath, sender: BusName, caller: AppInfo, registry: PortalRequests) {
        self.path = path
        self.sender = sender
        self.caller = caller
        self.registry = registry
    }

    /// True once a Response was sent or the request was closed.
    public var isFinished: Bool { state.withLock { $0.finished } }

    /// Records that `backend` now holds an impl Request at `path`, so Close
    /// and the sender leaving are forwarded to it.
    public func attach(backend: BusName) {
        state.withLock { $0.backend = backend }
    }

    func setRegistration(_ registration: ExportRegistration) {
        state.withLock { $0.registration = registration }
    }

    /// Sends `Response(response, results)` to the sender and removes the
    /// object. Does nothing if the request already ended.
    public func respond(_ response: RequestResponse, _ results: [String: Variant] = [:]) {
        guard let registration = finish() else { return }
        let connection = registry.connection
        // Signal first, unexport second: both go through the bus thread in
        // this order, so the object exists when the signal names it.
        connection.emitSignal(path: path, interface: PortalRequests.interface, member: "Response",
                              [.uint32(response.rawValue), results.dbusValue], destination: sender)
        registration?.unexport()
        registry.forget(self)
    }

    /// Ends the request without a Response and asks the backend to dismiss
    /// its dialog (`org.freedesktop.impl.portal.Request.Close`).
    func close() async {
        guard let registration = finish() else { return }
        registration?.unexport()
        registry.forget(self)
        guard let backend = state.withLock({ $0.backend }) else { return }
        do {
            _ = try await registry.connection.call(backend, path, PortalRequests.implInterface, "Close",
                                                   timeout: .seconds(5))
        } catch {
            // The frontend's side is closed either way; a backend that had no
            // dialog left (or never exported one) is not the caller's problem.
            registry.connection.logger.debug("closing \(path) in \(backend): \(error)")
        }
    }

    /// Marks the request finished; the registration to remove, or nil
    /// (outer) when it had already finished.
    private func finish() -> ExportRegistration?? {
        state.withLock { state -> ExportRegistration?? in
            guard !state.finished else { return nil }
            state.finished = true
            defer { state.registration = nil }
            return .some(state.registration)
        }
    }
}
