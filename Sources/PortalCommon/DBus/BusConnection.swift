internal import CSystemd
import Glibc
public import Logging
import Synchronization

/// Where to connect.
public enum BusAddress: Sendable, Hashable {
    case session
    case system
    /// A D-Bus address string, e.g. `unix:path=/run/user/1000/bus`.
    case address(String)
}

/// A connection to a message bus, owned by its own thread (`BusLoop`).
///
/// Everything here may be called from any thread or task; work that touches
/// sd-bus is handed to the bus thread. Replies, signals and registrations are
/// applied in the order they were submitted.
public final class BusConnection: Sendable {
    let loop: BusLoop
    public let uniqueName: String
    public let logger: Logger
    let state: Mutex<ConnectionState>
    /// Identifies callers; set up once by the daemon (test hooks included).
    public let identities: CallerIdentities

    struct ConnectionState: ~Copyable {
        var exported: [ObjectIdentifier: ExportedInterface] = [:]
        var matches: [ObjectIdentifier: MatchBox] = [:]
        var pendingCalls: [ObjectIdentifier: CallBox] = [:]
        var peerWatchers: [UInt64: @Sendable (String) -> Void] = [:]
        var nextWatcherID: UInt64 = 0
        var inFlightReplies = 0
        var disconnectHandlers: [@Sendable () -> Void] = []
        var closed = false
    }

    private init(loop: BusLoop, uniqueName: String, logger: Logger, identities: CallerIdentities) {
        self.loop = loop
        self.uniqueName = uniqueName
        self.logger = logger
        self.identities = identities
        self.state = Mutex(ConnectionState())
    }

    /// Connects and completes the Hello handshake.
    public static func connect(
        _ address: BusAddress,
        identification: IdentificationOptions = .init(),
        logger: Logger = Logger(label: "burrow.bus")
    ) async throws(PortalError) -> BusConnection {
        if let reason = burrow_sd_load_error() { throw .failed("no D-Bus: \(String(cString: reason))") }
        let loop = try BusLoop()
        try await loop.start { () throws(PortalError) -> OpaquePointer in
            var bus: OpaquePointer?
            var r: Int32
            switch address {
            case .session: r = burrow_sd_bus_open_user(&bus)
            case .system: r = burrow_sd_bus_open_system(&bus)
            case .address(let text):
                r = burrow_sd_bus_new(&bus)
                if r >= 0 { r = burrow_sd_bus_set_address(bus, text) }
                if r >= 0 { r = burrow_sd_bus_set_bus_client(bus, 1) }
                if r >= 0 { r = burrow_sd_bus_negotiate_fds(bus, 1) }
                if r >= 0 { r = burrow_sd_bus_start(bus) }
            }
            guard r >= 0, let bus else {
                if let bus { burrow_sd_bus_unref(bus) }
                throw .failed("could not connect to the \(address.label) bus: \(String(cString: strerror(-r)))")
            }
            return bus
        }
        // The unique name arrives with the Hello reply; sd-bus waits for it.
        let name: String
        do {
            name = try await loop.perform { bus throws(PortalError) -> String in
                var unique: UnsafePointer<CChar>?
                try check(burrow_sd_bus_get_unique_name(bus, &unique), "waiting for the bus to answer Hello")
                return unique.map { String(cString: $0) } ?? ""
            }
        } catch {
            loop.stop()
            throw .failed("the \(address.label) bus did not complete the handshake: \(error.message)")
        }
        let connection = BusConnection(loop: loop, uniqueName: name, logger: logger,
                                       identities: CallerIdentities(options: identification))
        connection.identities.attach(to: connection)
        loop.onDisconnect = { [weak connection] errno in
            connection?.connectionLost(errno)
        }
        try await connection.watchNameOwnerChanges()
        return connection
    }

    /// Flushes queued messages and closes; pending calls fail with NoReply.
    public func close() {
        let pending = state.withLock { state -> [CallBox] in
            state.closed = true
            let calls = Array(state.pendingCalls.values)
            state.pendingCalls.removeAll()
            return calls
        }
        loop.stop()
        for call in pending { call.finish(.failure(.noReply("the connection was closed before the reply arrived"))) }
    }

    /// Registers a handler for the connection breaking (the bus went away).
    public func onDisconnect(_ handler: @escaping @Sendable () -> Void) {
        state.withLock { $0.disconnectHandlers.append(handler) }
    }

    private func connectionLost(_ errno: Int32) {
        logger.error("lost the bus connection: \(String(cString: strerror(errno)))")
        let (handlers, pending) = state.withLock { state in
            state.closed = true
            let calls = Array(state.pendingCalls.values)
            state.pendingCalls.removeAll()
            return (state.disconnectHandlers, calls)
        }
        for call in pending { call.finish(.failure(.noReply("the bus connection was lost"))) }
        for handler in handlers { handler() }
    }

    /// The executor of the bus thread, for actors that keep bus-side state.
    public var executor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }

    /// Replies still being computed by deferred handlers.
    public var inFlightReplies: Int { state.withLock { $0.inFlightReplies } }

    // MARK: Names

    public enum NameRequestResult: Sendable { case primaryOwner, alreadyOwner }

    /// Owns `name`. The name always allows replacement, so `--replace` of a
    /// newer instance works; with `replace` this instance takes it over.
    public func requestName(_ name: BusName, replace: Bool = false) async throws(PortalError) -> NameRequestResult {
        // The bus daemon's own flag values (not sd-bus's SD_BUS_NAME_*, which
        // differ): ALLOW_REPLACEMENT 1, REPLACE_EXISTING 2, DO_NOT_QUEUE 4.
        // Never queue: a second daemon waiting silently for a name helps nobody.
        let flags: UInt32 = 1 | (replace ? 2 : 0) | 4
        let reply = try await call(.init("org.freedesktop.DBus"), "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                   "RequestName", [.string(name.rawValue), .uint32(flags)])
        switch reply.first?.uint32Value {
        case 1: return .primaryOwner
        case 4: return .alreadyOwner
        case 2, 3:
            throw .failed("the bus name \(name) is owned by another process; stop it or start this one with --replace")
        default:
            throw .failed("unexpected reply to RequestName(\(name))")
        }
    }

    public func releaseName(_ name: BusName) async throws(PortalError) {
        _ = try await call(.init("org.freedesktop.DBus"), "/org/freedesktop/DBus", "org.freedesktop.DBus",
                           "ReleaseName", [.string(name.rawValue)])
    }

    // MARK: Signals

    /// Emits a signal; `values` must match the declared signature.
    public func emitSignal(path: ObjectPath, interface: String, member: String, _ values: [DBusValue], destination: BusName? = nil) {
        loop.submit { [logger] in
            guard let bus = self.loop.bus else { return }
            var raw: OpaquePointer?
            var r = burrow_sd_bus_message_new_signal(bus, &raw, path.rawValue, interface, member)
            guard r >= 0, let raw else {
                logger.error("could not create signal \(interface).\(member): \(String(cString: strerror(-r)))")
                return
            }
            let message = Message(adopting: raw)
            do throws(PortalError) {
                if let destination { try check(burrow_sd_bus_message_set_destination(raw, destination.rawValue), "setting the destination") }
                try message.append(values)
            } catch {
                logger.error("could not build signal \(interface).\(member): \(error.message)")
                return
            }
            r = burrow_sd_bus_send(bus, raw, nil)
            if r < 0 { logger.error("could not send signal \(interface).\(member): \(String(cString: strerror(-r)))") }
        }
    }
}

extension BusAddress {
    var label: String {
        switch self {
        case .session: "session"
        case .system: "system"
        case .address(let a): "'\(a)'"
        }
    }
}
