import Foundation
import PortalCommon

/// A permission store daemon — burrow's or Debian's xdg-permission-store —
/// running on a private bus with its database in a temporary directory.
/// Shared by the store's own tests and the CLI's, which run `burrow`
/// against both daemons.
public final class StoreDaemon: @unchecked Sendable {
    public enum Kind: Sendable, CaseIterable, CustomStringConvertible {
        case burrow, upstream
        public var description: String { self == .burrow ? "burrow-permission-store" : "xdg-permission-store" }
    }

    public static let name: BusName = "org.freedesktop.impl.portal.PermissionStore"
    public static let path: ObjectPath = "/org/freedesktop/impl/portal/PermissionStore"
    public static let interface = "org.freedesktop.impl.portal.PermissionStore"
    public static let upstreamExecutable = "/usr/libexec/xdg-permission-store"

    public let kind: Kind
    public let bus: PrivateBus
    public let dataDirectory: URL
    public private(set) var process: ChildProcess
    /// A connection of the test's own to the same bus.
    public let client: BusConnection

    /// burrow's SQLite file (only burrow's daemon writes it).
    public var databasePath: String { dataDirectory.appendingPathComponent("permissions.sqlite").path }

    /// What a client process (the `burrow` CLI) needs to reach this store
    /// and find its tables: the bus address, and where the daemon keeps its
    /// data — burrow's database, or upstream's `$XDG_DATA_HOME/flatpak/db`.
    public var clientEnvironment: [String: String] {
        Self.environment(kind, bus: bus, data: dataDirectory)
    }

    public init(_ kind: Kind, bus: PrivateBus? = nil, dataDirectory: URL? = nil) async throws {
        self.kind = kind
        self.bus = try bus ?? PrivateBus()
        self.dataDirectory = try dataDirectory ?? TemporaryDirectory.make(prefix: "burrow-store")
        client = try await BusConnection.connect(.address(self.bus.address))
        process = try Self.launch(kind, bus: self.bus, data: self.dataDirectory)
        try await waitForOwner()
    }

    private static func environment(_ kind: Kind, bus: PrivateBus, data: URL) -> [String: String] {
        var environment = bus.environment
        switch kind {
        case .burrow:
            environment["BURROW_PERMISSION_DB"] = data.appendingPathComponent("permissions.sqlite").path
        case .upstream:
            // Also keeps any burrow database of the host out of the way:
            // burrow's default path then lies under this empty directory.
            environment["XDG_DATA_HOME"] = data.path
            environment["BURROW_PERMISSION_DB"] = nil
        }
        return environment
    }

    private static func launch(_ kind: Kind, bus: PrivateBus, data: URL, extra: [String] = []) throws -> ChildProcess {
        let environment = environment(kind, bus: bus, data: data)
        switch kind {
        case .burrow:
            return try ChildProcess(try BuiltProducts.path("burrow-permission-store"), extra, environment: environment)
        case .upstream:
            return try ChildProcess(upstreamExecutable, extra, environment: environment)
        }
    }

    /// Starts another instance on the same bus and data (e.g. with `--replace`).
    public func launchAnother(_ arguments: [String]) throws -> ChildProcess {
        try Self.launch(kind, bus: bus, data: dataDirectory, extra: arguments)
    }

    /// Starts the daemon again after it was stopped or killed.
    public func restart() async throws {
        process = try Self.launch(kind, bus: bus, data: dataDirectory)
        try await waitForOwner()
    }

    public func waitForOwner() async throws {
        for _ in 0..<1000 {
            if try await client.nameHasOwner(Self.name) { return }
            if process.poll() != nil { throw TestFailure("the permission store exited during start-up") }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw TestFailure("the permission store did not take its name within 5 s")
    }

    public func waitUntilNameIsFree() async throws {
        for _ in 0..<1000 {
            if try await !client.nameHasOwner(Self.name) { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw TestFailure("the permission store name is still owned after 5 s")
    }

    public func call(_ member: String, _ arguments: [DBusValue] = []) async throws(PortalError) -> [DBusValue] {
        try await client.call(Self.name, Self.path, Self.interface, member, arguments)
    }

    public func stop() {
        process.stop()
        client.close()
        bus.stop()
        try? FileManager.default.removeItem(at: dataDirectory)
    }

    deinit { stop() }
}
