import Foundation
import PortalCommon
import TestSupport

/// A permission store daemon — burrow's or Debian's xdg-permission-store —
/// running on a private bus with its database in a temporary directory.
final class StoreDaemon: @unchecked Sendable {
    enum Kind { case burrow, upstream }

    static let name: BusName = "org.freedesktop.impl.portal.PermissionStore"
    static let path: ObjectPath = "/org/freedesktop/impl/portal/PermissionStore"
    static let interface = "org.freedesktop.impl.portal.PermissionStore"
    static let upstreamExecutable = "/usr/libexec/xdg-permission-store"

    let kind: Kind
    let bus: PrivateBus
    let dataDirectory: URL
    private(set) var process: ChildProcess
    let client: BusConnection

    var databasePath: String { dataDirectory.appendingPathComponent("permissions.sqlite").path }

    init(_ kind: Kind, bus: PrivateBus? = nil, dataDirectory: URL? = nil) async throws {
        self.kind = kind
        self.bus = try bus ?? PrivateBus()
        self.dataDirectory = try dataDirectory ?? TemporaryDirectory.make(prefix: "burrow-store")
        client = try await BusConnection.connect(.address(self.bus.address))
        process = try Self.launch(kind, bus: self.bus, data: self.dataDirectory)
        try await waitForOwner()
    }

    private static func launch(_ kind: Kind, bus: PrivateBus, data: URL, extra: [String] = []) throws -> ChildProcess {
        var environment = bus.environment
        switch kind {
        case .burrow:
            environment["BURROW_PERMISSION_DB"] = data.appendingPathComponent("permissions.sqlite").path
            return try ChildProcess(try BuiltProducts.path("burrow-permission-store"), extra, environment: environment)
        case .upstream:
            environment["XDG_DATA_HOME"] = data.path
            return try ChildProcess(upstreamExecutable, extra, environment: environment)
        }
    }

    /// Starts another instance on the same bus and data (e.g. with `--replace`).
    func launchAnother(_ arguments: [String]) throws -> ChildProcess {
        try Self.launch(kind, bus: bus, data: dataDirectory, extra: arguments)
    }

    /// Starts the daemon again after it was stopped or killed.
    func restart() async throws {
        process = try Self.launch(kind, bus: bus, data: dataDirectory)
        try await waitForOwner()
    }

    func waitForOwner() async throws {
        for _ in 0..<1000 {
            if try await client.nameHasOwner(Self.name) { return }
            if process.poll() != nil { throw TestFailure("the permission store exited during start-up") }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw TestFailure("the permission store did not take its name within 5 s")
    }

    func waitUntilNameIsFree() async throws {
        for _ in 0..<1000 {
            if try await !client.nameHasOwner(Self.name) { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw TestFailure("the permission store name is still owned after 5 s")
    }

    func call(_ member: String, _ arguments: [DBusValue] = []) async throws(PortalError) -> [DBusValue] {
        try await client.call(Self.name, Self.path, Self.interface, member, arguments)
    }

    /// The reply, or the error's name: what two implementations must agree on.
    func outcome(_ member: String, _ arguments: [DBusValue]) async -> Outcome {
        do {
            var reply = try await call(member, arguments).map(Outcome.canonical)
            if member == "List", case .array(let element, let ids)? = reply.first {
                reply = [.array(element: element, ids.sorted { $0.description < $1.description })]
            }
            return .reply(reply)
        } catch {
            return .error(error.name)
        }
    }

    func stop() {
        process.stop()
        client.close()
        bus.stop()
        try? FileManager.default.removeItem(at: dataDirectory)
    }

    deinit { stop() }
}

enum Outcome: Equatable, CustomStringConvertible {
    case reply([DBusValue])
    case error(String)

    var description: String {
        switch self {
        case .reply(let values): "reply \(values)"
        case .error(let name): "error \(name)"
        }
    }

    /// Dictionaries carry no meaningful order on the wire; sort their
    /// entries so two correct stores compare equal. (List's ids are sorted by
    /// `outcome`; permission lists keep their order, which matters.)
    static func canonical(_ value: DBusValue) -> DBusValue {
        switch value {
        case .variant(let inner): return .variant(canonical(inner))
        case .array(let element, let values): return .array(element: element, values.map(canonical))
        case .dictionary(let key, let valueType, let entries):
            return .dictionary(key: key, value: valueType, entries
                .map { DBusValue.DictEntry(canonical($0.key), canonical($0.value)) }
                .sorted { $0.key.description < $1.key.description })
        case .structure(let fields): return .structure(fields.map(canonical))
        default: return value
        }
    }
}
