import Foundation
import PortalCommon
import TestSupport

/// Typed wrappers for the Documents methods, so tests read as the API does.
/// Each call is made as the host app `client` unless another caller is given.
extension DocumentDaemon {
    func add(_ fd: UnixFD, reuse: Bool = false, persistent: Bool = false, as caller: BusConnection? = nil) async throws(PortalError) -> String {
        let reply = try await documents("Add", [.unixFD(fd), .bool(reuse), .bool(persistent)], as: caller)
        return try String(dbusValue: reply.first ?? .bool(false))
    }

    func addNamed(parent: UnixFD, _ name: String, reuse: Bool = false, persistent: Bool = false,
                  as caller: BusConnection? = nil) async throws(PortalError) -> String {
        let reply = try await documents("AddNamed", [.unixFD(parent), .bytes(Array(name.utf8) + [0]), .bool(reuse), .bool(persistent)],
                                        as: caller)
        return try String(dbusValue: reply.first ?? .bool(false))
    }

    func addFull(_ fds: [UnixFD], flags: UInt32, app: String = "", permissions: [String] = [],
                 as caller: BusConnection? = nil) async throws(PortalError) -> (ids: [String], extra: [String: Variant]) {
        let reply = try await documents("AddFull", [fds.dbusValue, .uint32(flags), .string(app), permissions.dbusValue], as: caller)
        guard reply.count == 2 else { throw .failed("AddFull replied \(reply)") }
        return (try [String](dbusValue: reply[0]), try [String: Variant](dbusValue: reply[1]))
    }

    func addNamedFull(parent: UnixFD, _ name: String, flags: UInt32, app: String = "", permissions: [String] = [],
                      as caller: BusConnection? = nil) async throws(PortalError) -> (id: String, extra: [String: Variant]) {
        let reply = try await documents("AddNamedFull", [.unixFD(parent), .bytes(Array(name.utf8) + [0]), .uint32(flags),
                                                         .string(app), permissions.dbusValue], as: caller)
        guard reply.count == 2 else { throw .failed("AddNamedFull replied \(reply)") }
        return (try String(dbusValue: reply[0]), try [String: Variant](dbusValue: reply[1]))
    }

    func grant(_ id: String, to app: String, _ permissions: [String], as caller: BusConnection? = nil) async throws(PortalError) {
        _ = try await documents("GrantPermissions", [.string(id), .string(app), permissions.dbusValue], as: caller)
    }

    func revoke(_ id: String, from app: String, _ permissions: [String], as caller: BusConnection? = nil) async throws(PortalError) {
        _ = try await documents("RevokePermissions", [.string(id), .string(app), permissions.dbusValue], as: caller)
    }

    func delete(_ id: String, as caller: BusConnection? = nil) async throws(PortalError) {
        _ = try await documents("Delete", [.string(id)], as: caller)
    }

    func lookup(_ path: String, as caller: BusConnection? = nil) async throws(PortalError) -> String {
        let reply = try await documents("Lookup", [.bytes(Array(path.utf8) + [0])], as: caller)
        return try String(dbusValue: reply.first ?? .bool(false))
    }

    func info(_ id: String, as caller: BusConnection? = nil) async throws(PortalError) -> (path: String, apps: [String: [String]]) {
        let reply = try await documents("Info", [.string(id)], as: caller)
        guard reply.count == 2 else { throw .failed("Info replied \(reply)") }
        return (try ByteString(dbusValue: reply[0]).string, try [String: [String]](dbusValue: reply[1]))
    }

    func list(_ app: String = "", as caller: BusConnection? = nil) async throws(PortalError) -> [String: String] {
        let reply = try await documents("List", [.string(app)], as: caller)
        return try [String: ByteString](dbusValue: reply.first ?? .bool(false)).mapValues(\.string)
    }

    func hostPaths(_ ids: [String], as caller: BusConnection? = nil) async throws(PortalError) -> [String: String] {
        let reply = try await documents("GetHostPaths", [ids.dbusValue], as: caller)
        return try [String: ByteString](dbusValue: reply.first ?? .bool(false)).mapValues(\.string)
    }

    /// A file in the files directory added as a document; returns its id.
    func addFile(_ name: String, contents: String = "", persistent: Bool = false) async throws -> String {
        let path = try makeFile(name, contents: contents)
        return try await add(open(path, O_RDONLY), persistent: persistent)
    }
}

/// The error names the portal answers with.
enum ErrorName {
    static let invalidArgument = "org.freedesktop.portal.Error.InvalidArgument"
    static let notAllowed = "org.freedesktop.portal.Error.NotAllowed"
    static let notFound = "org.freedesktop.portal.Error.NotFound"
    static let accessDenied = "org.freedesktop.DBus.Error.AccessDenied"
}

/// Shell quoting for values interpolated into `DocumentDaemon.shell` scripts.
func quoted(_ text: String) -> String {
    "'" + text.replacing("'", with: "'\\''") + "'"
}
