internal import CLinux
import Glibc
import PortalCommon
import Synchronization

/// The desktop portal's side of the document portal: files a person chose
/// for a sandboxed app are exported to that app (`xdp_register_document`),
/// and document paths an app hands back are turned into host paths.
///
/// The portal calls as a host process: the document portal lets it grant
/// any app what the portal itself could do with the file.
final class DocumentRegistration: Sendable {
    static let name: BusName = "org.freedesktop.portal.Documents"
    static let path: ObjectPath = "/org/freedesktop/portal/documents"
    static let interface = "org.freedesktop.portal.Documents"
    /// Where every sandbox sees its own documents.
    static let sandboxMount = "/run/flatpak/doc"

    struct Flags: OptionSet, Sendable {
        let rawValue: UInt8
        static let writable = Flags(rawValue: 1)
        /// SaveFile: the file may not exist yet; its directory is exported by name.
        static let forSave = Flags(rawValue: 2)
        static let directory = Flags(rawValue: 4)
    }

    let connection: BusConnection
    /// `$XDG_RUNTIME_DIR/doc` as the document portal reports it; asked once.
    private let mountPointCache = Mutex<String?>(nil)

    init(connection: BusConnection) {
        self.connection = connection
    }

    /// Exports the host file behind `uri` to `appID` and returns the URI the
    /// app uses: `file:///run/flatpak/doc/DOCID/NAME`. Flags as upstream:
    /// reuse-existing | persistent | as-needed-by-app (+ export-directory);
    /// permissions read, write (writable or save), grant-permissions.
    func register(uri: String, for appID: String, flags: Flags) async throws(PortalError) -> String {
        guard let path = FileURI.path(of: uri) else {
            throw .invalidArgument("\(uri) is not a local file:// URI the document portal can export")
        }
        let (directory, name) = FileURI.split(path)
        var permissions = ["read"]
        if flags.contains(.writable) || flags.contains(.forSave) { permissions.append("write") }
        permissions.append("grant-permissions")
        var addFlags: UInt32 = 1 | 2 | 4
        let id: String
        if flags.contains(.forSave) {
            let parent = try Self.openPath(directory, directory: true)
            let reply = try await call("AddNamedFull", [.unixFD(parent), .bytes(Array(name.utf8) + [0]), .uint32(addFlags),
                                                        .string(appID), permissions.dbusValue])
            id = try String(dbusValue: reply.first ?? .bool(false))
        } else {
            if flags.contains(.directory) { addFlags |= 8 }
            let fd = try Self.openPath(path, directory: flags.contains(.directory))
            let reply = try await call("AddFull", [[fd].dbusValue, .uint32(addFlags), .string(appID), permissions.dbusValue])
            let ids = try [String](dbusValue: reply.first ?? .bool(false))
            guard ids.count == 1 else { throw .failed("the document portal answered AddFull with \(ids.count) ids for one file") }
            id = ids[0]
        }
        // "" means the app can already reach the file itself (as-needed-by-app).
        if id.isEmpty { return uri }
        return FileURI.make(Self.sandboxMount + "/" + id + "/" + name)
    }

    /// The host path behind a path inside the document store, as the portal
    /// or an app sees it (`$XDG_RUNTIME_DIR/doc/[by-app/APP/]ID/NAME[/…]`), or
    /// nil when `path` is not in the store or the document is unknown.
    func hostPath(ofStorePath path: String) async -> String? {
        guard let mount = await mountPoint(), path.hasPrefix(mount + "/") else { return nil }
        var parts = path.dropFirst(mount.count + 1).split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        if parts.first == "by-app" { parts.removeFirst(min(2, parts.count)) }
        guard let id = parts.first else { return nil }
        do {
            let reply = try await call("Info", [.string(id)])
            let documentPath = try ByteString(dbusValue: reply.first ?? .bool(false)).string
            // The document's own path stands for ID/NAME; anything deeper
            // (inside a directory document) is appended.
            let rest = parts.dropFirst(2)
            return rest.isEmpty ? documentPath : documentPath + "/" + rest.joined(separator: "/")
        } catch {
            connection.logger.debug("document \(id): \(error)")
            return nil
        }
    }

    /// The document store's mount point, or nil if no document portal answers.
    func mountPoint() async -> String? {
        if let known = mountPointCache.withLock({ $0 }) { return known }
        do {
            let reply = try await call("GetMountPoint", [])
            let mount = try ByteString(dbusValue: reply.first ?? .bool(false)).string
            mountPointCache.withLock { $0 = mount }
            return mount
        } catch {
            connection.logger.debug("no document portal: \(error)")
            return nil
        }
    }

    private func call(_ method: String, _ arguments: [DBusValue]) async throws(PortalError) -> [DBusValue] {
        try await connection.call(Self.name, Self.path, Self.interface, method, arguments)
    }

    /// An O_PATH descriptor of a file the backend named: proof of the
    /// portal's own access, which the document portal checks again.
    private static func openPath(_ path: String, directory: Bool) throws(PortalError) -> UnixFD {
        let fd = Glibc.open(path, burrow_o_path | O_CLOEXEC | (directory ? O_DIRECTORY : 0))
        guard fd >= 0 else {
            throw .notFound("cannot open \(path) to export it: \(String(cString: strerror(burrow_errno())))")
        }
        return UnixFD(takingOwnershipOf: fd)
    }
}

/// `file://` URIs ⇄ paths, the way GLib writes and reads them.
enum FileURI {
    /// The path of a `file://` URI with an empty or `localhost` host, percent-decoded;
    /// nil for anything else or a path with NUL, `.` or `..` elements.
    static func path(of uri: String) -> String? {
        guard uri.hasPrefix("file://") else { return nil }
        var rest = Substring(uri.dropFirst(7))
        if rest.hasPrefix("localhost/") { rest = rest.dropFirst(9) }
        guard rest.hasPrefix("/"), let decoded = percentDecoded(rest) else { return nil }
        let elements = decoded.split(separator: "/")
        guard !decoded.utf8.contains(0), !elements.contains(where: { $0 == "." || $0 == ".." }) else { return nil }
        return decoded
    }

    /// A `file://` URI for an absolute path; bytes outside RFC 3986's
    /// unreserved set and the path delimiters are escaped.
    static func make(_ path: String) -> String {
        let kept = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/!$&'()*+,;=:@".utf8)
        var out = "file://"
        for byte in path.utf8 {
            if kept.contains(byte) { out.unicodeScalars.append(Unicode.Scalar(byte)) }
            else { out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2) }
        }
        return out
    }

    /// Directory and last element of an absolute path.
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = slash == path.startIndex ? "/" : String(path[..<slash])
        return (directory, String(path[path.index(after: slash)...]))
    }

    private static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            guard let high = iterator.next(), let low = iterator.next(),
                  let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(value)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
