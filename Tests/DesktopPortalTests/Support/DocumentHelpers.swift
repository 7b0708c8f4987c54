import Foundation
import PortalCommon
import TestSupport

extension DocumentDaemon {
    func info(_ id: String) async throws -> (path: String, apps: [String: [String]]) {
        let reply = try await documents("Info", [.string(id)])
        guard reply.count == 2 else { throw TestFailure("Info replied \(reply)") }
        return (try ByteString(dbusValue: reply[0]).string, try [String: [String]](dbusValue: reply[1]))
    }

    func addFull(_ fds: [UnixFD], flags: UInt32, app: String, permissions: [String]) async throws -> (ids: [String], extra: [String: Variant]) {
        let reply = try await documents("AddFull", [fds.dbusValue, .uint32(flags), .string(app), permissions.dbusValue])
        guard reply.count == 2 else { throw TestFailure("AddFull replied \(reply)") }
        return (try [String](dbusValue: reply[0]), try [String: Variant](dbusValue: reply[1]))
    }
}

/// `file://` URIs as GLib writes them (the test's own copy of the portal's rule).
enum FileURI {
    static func make(_ path: String) -> String {
        let kept = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/!$&'()*+,;=:@".utf8)
        return "file://" + path.utf8.map { kept.contains($0) ? String(UnicodeScalar($0)) : String(format: "%%%02X", $0) }.joined()
    }
}
