import Logging
import PortalCommon
import Synchronization

/// The backends chosen at start-up (`PortalConfiguration`) and whether each
/// is on the bus right now.
///
/// A portal whose backend is missing answers at once with a Failed error
/// that says what to start. "On the bus" is known without a round trip:
/// NameOwnerChanged for every backend name keeps `owned` current. A name
/// nobody owns is still fine if the bus can activate it; only then is a
/// call made that may start a service.
final class Backends: Sendable {
    static let objectPath: ObjectPath = "/org/freedesktop/portal/desktop"

    let configuration: PortalConfiguration
    let connection: BusConnection
    private let owned = Mutex<[String: Bool]>([:])

    init(configuration: PortalConfiguration, connection: BusConnection) {
        self.configuration = configuration
        self.connection = connection
    }

    /// Starts watching every backend's name; call once, before serving.
    func watch(logger: Logger) async throws(PortalError) {
        for problem in configuration.problems { logger.warning("skipping \(problem)") }
        let names = Set(configuration.backends.map(\.file.dbusName))
        for name in names.sorted() {
            _ = try await connection.addMatch(
                "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                + "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='\(name)'"
            ) { [weak self] signal in
                guard signal.sender == "org.freedesktop.DBus", signal.arguments.count == 3,
                      signal.arguments[0].stringValue == name, let owner = signal.arguments[2].stringValue
                else { return }
                self?.owned.withLock { $0[name] = !owner.isEmpty }
            }
            // After the match: an owner change from here on is not missed.
            let has = try await connection.nameHasOwner(BusName(name))
            owned.withLock { if $0[name] == nil { $0[name] = has } }
        }
        for interface in Self.interfaces {
            let chosen = configuration.backend(for: interface).map(\.description) ?? "none"
            logger.info("\(interface): \(chosen)")
        }
    }

    static let interfaces = [FileChooserPortal.implInterface, OpenURIPortal.implInterface, PrintPortal.implInterface]

    /// The bus name serving `interface`, or Failed naming what is missing.
    func backend(for interface: String) async throws(PortalError) -> BusName {
        let short = interface.split(separator: ".").last.map(String.init) ?? interface
        guard let backend = configuration.backend(for: interface) else {
            throw .failed("""
                no portal backend is configured for \(short) (\(interface)): install a .portal file that lists it \
                (burrow ships burrow.portal for its terminal backend, `burrow prompt`) under \
                $XDG_DATA_DIRS/xdg-desktop-portal/portals, or select one in portals.conf
                """)
        }
        let name = backend.file.dbusName
        if owned.withLock({ $0[name] }) == true { return backend.busName }
        // Not running: activatable names are asked for afresh, so a service
        // file installed after start-up counts. This answers at once either
        // way; no call is left waiting for an activation timeout.
        if try await isActivatable(name) { return backend.busName }
        throw .failed("""
            the \(short) backend \(name) (from \(backend.path)) is not running and cannot be started by D-Bus \
            activation; start it\(name == PortalConfiguration.burrowBusName ? " with `burrow prompt` in a terminal" : "")
            """)
    }

    private func isActivatable(_ name: String) async throws(PortalError) -> Bool {
        let reply = try await connection.call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                              "ListActivatableNames")
        do {
            return try [String](dbusValue: reply.first ?? .bool(false)).contains(name)
        } catch {
            throw .failed("the bus answered ListActivatableNames with \(reply), not a list of names")
        }
    }

    /// Calls `method` of a backend's impl interface at the portal path. The
    /// timeout is long because a person may be answering a dialog; a backend
    /// that leaves the bus ends the call at once (the bus replies for it).
    func call(_ backend: BusName, _ interface: String, _ method: String,
              _ arguments: [DBusValue]) async throws(PortalError) -> (RequestResponse, [String: Variant]) {
        let reply = try await connection.call(backend, Self.objectPath, interface, method, arguments, timeout: .seconds(86_400))
        guard reply.count == 2, let code = reply[0].uint32Value, case .dictionary(.string, .variant, _) = reply[1] else {
            throw .failed("\(backend) answered \(interface).\(method) with '\(reply.map(\.type.signature).joined())', not '(ua{sv})'")
        }
        let results = try [String: Variant](dbusValue: reply[1])
        // An unknown code from a backend counts as "ended otherwise".
        return (RequestResponse(rawValue: code) ?? .other, results)
    }
}
