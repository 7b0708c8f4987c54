internal import CSystemd
import Glibc
import Synchronization

/// A pending method call; resumed exactly once, by the reply or by close.
final class CallBox: Sendable {
    private let continuation: Mutex<CheckedContinuation<Result<[DBusValue], PortalError>, Never>?>
    weak let connection: BusConnection?
    init(_ continuation: CheckedContinuation<Result<[DBusValue], PortalError>, Never>, connection: BusConnection) {
        self.continuation = Mutex(continuation)
        self.connection = connection
    }
    func finish(_ result: Result<[DBusValue], PortalError>) {
        let c = continuation.withLock { c in
            defer { c = nil }
            return c
        }
        c?.resume(returning: result)
    }
}

/// A signal subscription; the handler runs on the bus thread.
final class MatchBox: @unchecked Sendable {
    // @unchecked: `slot` is set and unref'd on the bus thread only.
    let handler: @Sendable (SignalMessage) -> Void
    var slot: OpaquePointer?
    init(_ handler: @escaping @Sendable (SignalMessage) -> Void) { self.handler = handler }
}

/// A received signal.
public struct SignalMessage: Sendable {
    public let sender: String?
    public let path: String?
    public let interface: String?
    public let member: String?
    public let arguments: [DBusValue]
}

/// Ends a signal subscription when cancelled.
public struct MatchSubscription: Sendable {
    let box: MatchBox
    let connection: BusConnection
    public func cancel() {
        connection.removeMatch(box)
    }
}

extension BusConnection {
    /// Calls a method and waits for its reply (or `timeout`). Errors from the
    /// peer come back as `PortalError` carrying the peer's error name.
    public func call(
        _ destination: BusName,
        _ path: ObjectPath,
        _ interface: String,
        _ member: String,
        _ arguments: [DBusValue] = [],
        timeout: Duration = .seconds(25)
    ) async throws(PortalError) -> [DBusValue] {
        let usec = UInt64(timeout.components.seconds) * 1_000_000 + UInt64(timeout.components.attoseconds / 1_000_000_000_000)
        let result: Result<[DBusValue], PortalError> = await withCheckedContinuation { continuation in
            let box = CallBox(continuation, connection: self)
            let registered = state.withLock { state -> Bool in
                guard !state.closed else { return false }
                state.pendingCalls[ObjectIdentifier(box)] = box
                return true
            }
            guard registered else {
                box.finish(.failure(.noReply("the bus connection is closed")))
                return
            }
            loop.submit {
                guard let bus = self.loop.bus else {
                    self.completeCall(box, .failure(.noReply("the bus connection is closed")))
                    return
                }
                var raw: OpaquePointer?
                var r = burrow_sd_bus_message_new_method_call(bus, &raw, destination.rawValue, path.rawValue, interface, member)
                guard r >= 0, let raw else {
                    self.completeCall(box, .failure(.invalidArgs("cannot call \(interface).\(member): \(String(cString: strerror(-r)))")))
                    return
                }
                let message = Message(adopting: raw)
                do throws(PortalError) {
                    try message.append(arguments)
                } catch {
                    self.completeCall(box, .failure(error))
                    return
                }
                let context = Unmanaged.passRetained(box).toOpaque()
                r = burrow_sd_bus_call_async(bus, nil, raw, callReplyTrampoline, context, usec)
                if r < 0 {
                    Unmanaged<CallBox>.fromOpaque(context).release()
                    self.completeCall(box, .failure(.failed("could not send \(interface).\(member): \(String(cString: strerror(-r)))")))
                }
            }
        }
        return try result.get()
    }

    func completeCall(_ box: CallBox, _ result: Result<[DBusValue], PortalError>) {
        state.withLock { _ = $0.pendingCalls.removeValue(forKey: ObjectIdentifier(box)) }
        box.finish(result)
    }

    /// Subscribes to signals matching `rule` (D-Bus match rule syntax).
    public func addMatch(_ rule: String, handler: @escaping @Sendable (SignalMessage) -> Void) async throws(PortalError) -> MatchSubscription {
        let box = MatchBox(handler)
        try await loop.perform { bus throws(PortalError) in
            var slot: OpaquePointer?
            let context = Unmanaged.passUnretained(box).toOpaque()
            // Synchronous AddMatch: when this returns, no signal can be missed.
            try check(burrow_sd_bus_add_match(bus, &slot, rule, signalTrampoline, context), "adding match '\(rule)'")
            box.slot = slot
        }
        state.withLock { $0.matches[ObjectIdentifier(box)] = box }
        return MatchSubscription(box: box, connection: self)
    }

    func removeMatch(_ box: MatchBox) {
        guard state.withLock({ $0.matches.removeValue(forKey: ObjectIdentifier(box)) }) != nil else { return }
        loop.submit {
            if let slot = box.slot { burrow_sd_bus_slot_unref(slot) }
            box.slot = nil
        }
    }

    // MARK: Peers leaving the bus

    /// Calls `handler` with the unique name of every peer that leaves the bus.
    /// Used to drop per-sender state (identities, requests, sessions).
    @discardableResult
    public func onPeerVanished(_ handler: @escaping @Sendable (String) -> Void) -> UInt64 {
        state.withLock { state in
            state.nextWatcherID += 1
            state.peerWatchers[state.nextWatcherID] = handler
            return state.nextWatcherID
        }
    }

    public func removePeerWatcher(_ id: UInt64) {
        state.withLock { _ = $0.peerWatchers.removeValue(forKey: id) }
    }

    func watchNameOwnerChanges() async throws(PortalError) {
        _ = try await addMatch("type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',interface='org.freedesktop.DBus',member='NameOwnerChanged'") { [weak self] signal in
            guard let self, signal.arguments.count == 3,
                  let name = signal.arguments[0].stringValue,
                  let newOwner = signal.arguments[2].stringValue,
                  name.hasPrefix(":"), newOwner.isEmpty
            else { return }
            let watchers = self.state.withLock { Array($0.peerWatchers.values) }
            for watcher in watchers { watcher(name) }
        }
    }

    /// Whether `name` currently has an owner on the bus.
    public func nameHasOwner(_ name: BusName) async throws(PortalError) -> Bool {
        let reply = try await call(.init("org.freedesktop.DBus"), "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                   "NameHasOwner", [.string(name.rawValue)])
        return reply.first?.boolValue ?? false
    }
}

private func callReplyTrampoline(_ m: OpaquePointer?, _ userdata: UnsafeMutableRawPointer?, _ error: UnsafeMutablePointer<sd_bus_error>?) -> Int32 {
    guard let userdata else { return 0 }
    let box = Unmanaged<CallBox>.fromOpaque(userdata).takeRetainedValue()
    let result: Result<[DBusValue], PortalError>
    if let m {
        let message = Message(retaining: m)
        if let failure = message.error {
            result = .failure(failure)
        } else {
            do throws(PortalError) { result = .success(try message.readAll()) } catch { result = .failure(error) }
        }
    } else {
        result = .failure(.noReply("no reply"))
    }
    if let connection = box.connection {
        connection.completeCall(box, result)
    } else {
        box.finish(result)
    }
    return 1
}

private func signalTrampoline(_ m: OpaquePointer?, _ userdata: UnsafeMutableRawPointer?, _ error: UnsafeMutablePointer<sd_bus_error>?) -> Int32 {
    guard let m, let userdata else { return 0 }
    let box = Unmanaged<MatchBox>.fromOpaque(userdata).takeUnretainedValue()
    let message = Message(retaining: m)
    let arguments: [DBusValue]
    do throws(PortalError) {
        arguments = try message.readAll()
    } catch {
        // A malformed signal body is the sender's problem: drop the signal.
        return 0
    }
    box.handler(SignalMessage(sender: message.sender, path: message.path, interface: message.interface,
                              member: message.member, arguments: arguments))
    return 0
}
