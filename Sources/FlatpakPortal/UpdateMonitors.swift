import Logging
import PortalCommon
import Synchronization

/// CreateUpdateMonitor's objects, per caller, and the consent an update
/// needs (permission store table `flatpak`, id `updates`, as upstream).
final class UpdateMonitors: Sendable {
    static let backend: BusName = "org.freedesktop.impl.portal.desktop.burrow"

    private let connection: BusConnection
    private let logger: Logger
    private let pollInterval: Duration
    private let monitors = Mutex<[ObjectPath: (monitor: UpdateMonitor, registration: ExportRegistration)]>([:])

    init(connection: BusConnection, pollInterval: Duration, logger: Logger) {
        self.connection = connection
        self.pollInterval = pollInterval
        self.logger = logger
    }

    func create(for call: MethodCall) async throws(PortalError) -> ObjectPath {
        guard let app = try call.identifiedCaller.sandbox else { throw .notAllowed("update monitors are for sandboxed apps") }
        let options: [String: Variant] = try call.argument(0)
        let token: String
        if let given = options["handle_token"] {
            guard case .string(let text) = given.value, !text.isEmpty,
                  text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw .invalidArgument("handle_token must be a non-empty string of letters, digits and '_'")
            }
            token = text
        } else {
            token = "t\(UInt32.random(in: 0...UInt32.max))"
        }
        let sender = String(call.sender.rawValue.dropFirst()).replacing(".", with: "_")
        let path = try ObjectPath("/org/freedesktop/portal/Flatpak/update_monitor/\(sender)/\(token)")
        guard monitors.withLock({ $0[path] }) == nil else { throw .exists("an update monitor with token \(token) exists already") }
        let monitor = try UpdateMonitor(path: path, owner: call.sender, app: app, connection: connection, logger: logger)
        let registration = try await connection.export(definition(monitor), at: path)
        monitors.withLock { $0[path] = (monitor, registration) }
        monitor.start(pollInterval: pollInterval)
        return path
    }

    /// The caller left the bus: its monitors go with it.
    func callerVanished(_ name: String) {
        let gone = monitors.withLock { all in all.filter { $0.value.monitor.owner.rawValue == name }.map(\.key) }
        gone.forEach(remove)
    }

    private func remove(_ path: ObjectPath) {
        guard let entry = monitors.withLock({ $0.removeValue(forKey: path) }) else { return }
        entry.monitor.close()
        entry.registration.unexport()
    }

    private func definition(_ monitor: UpdateMonitor) -> DBusInterface {
        DBusInterface(UpdateMonitor.interface, access: .sandboxedOnly, methods: [
            DBusMethod("Close", .immediate { [self] call in
                guard call.sender == monitor.owner else { throw PortalError.notAllowed("only the monitor's creator may close it") }
                remove(monitor.path)
                return []
            }),
            DBusMethod("Update", in: [.init("parent_window", "s"), .init("options", "a{sv}")], .immediate { [self] call in
                guard call.sender == monitor.owner else { throw PortalError.notAllowed("only the monitor's creator may update") }
                let app = monitor.app.appID.rawValue
                try monitor.update { () throws(PortalError) in try await self.consent(app: app) }
                return []
            }),
        ], signals: [
            DBusSignal("UpdateAvailable", [.init("update_info", "a{sv}")]),
            DBusSignal("Progress", [.init("info", "a{sv}")]),
        ])
    }

    /// A stored yes or no decides; otherwise the user is asked through the
    /// Access backend (`burrow prompt`), and the answer is stored.
    private func consent(app: String) async throws(PortalError) {
        let store = PermissionStoreClient(connection: connection)
        let stored = (try? await store.getPermission(table: "flatpak", id: "updates", app: app)) ?? []
        if stored.contains("yes") { return }
        if stored.contains("no") {
            throw .notAllowed("updates of \(app) from within the app were refused; allow them with `burrow permission-set flatpak updates \(app) yes`")
        }
        guard (try? await connection.nameHasOwner(Self.backend)) == true else {
            throw .notAllowed("cannot ask whether \(app) may update itself: no consent backend runs (start `burrow prompt`, or allow it with `burrow permission-set flatpak updates \(app) yes`)")
        }
        let handle = try ObjectPath("/org/freedesktop/portal/Flatpak/consent/u\(UInt32.random(in: 0...UInt32.max))")
        let options: [String: Variant] = ["grant_label": Variant(.string("Update")), "deny_label": Variant(.string("Don't update"))]
        let reply = try await connection.call(Self.backend, "/org/freedesktop/portal/desktop", "org.freedesktop.impl.portal.Access",
                                              "AccessDialog", [.objectPath(handle), .string(app), .string(""),
                                                               .string("Update \(app)?"),
                                                               .string("\(app) wants to install its new version."),
                                                               .string("The update asks for no new permissions."),
                                                               options.dbusValue], timeout: .seconds(3600))
        let granted = reply.first == .uint32(0)
        try? await store.setPermission(table: "flatpak", create: true, id: "updates", app: app, permissions: [granted ? "yes" : "no"])
        guard granted else { throw .cancelled("the user did not allow \(app) to update itself") }
    }
}
