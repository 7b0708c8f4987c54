import PermissionData
import PortalCommon

/// What an app may do with a document. The strings are the ones stored in
/// the permission store's `documents` table and passed over D-Bus.
struct DocumentPermissions: OptionSet, Sendable, Hashable {
    let rawValue: UInt8
    static let read = Self(rawValue: 1)
    static let write = Self(rawValue: 2)
    static let grantPermissions = Self(rawValue: 4)
    static let delete = Self(rawValue: 8)
    static let all: Self = [.read, .write, .grantPermissions, .delete]

    private static let names: [(String, Self)] = [
        ("read", .read), ("write", .write), ("grant-permissions", .grantPermissions), ("delete", .delete),
    ]

    /// Parses D-Bus input; an unknown word is the caller's mistake, not
    /// something to ignore silently.
    init(names list: [String]) throws(PortalError) {
        var result: Self = []
        for name in list {
            guard let known = Self.names.first(where: { $0.0 == name }) else {
                throw .invalidArgument("unknown document permission '\(name)' (use read, write, grant-permissions, delete)")
            }
            result.insert(known.1)
        }
        self = result
    }

    /// Reads what the store holds; words written by a newer version are skipped.
    init(storedNames list: [String]) {
        self = Self(list.compactMap { name in Self.names.first(where: { $0.0 == name })?.1 })
    }

    init(rawValue: UInt8) { self.rawValue = rawValue }

    var names: [String] { Self.names.filter { contains($0.1) }.map(\.0) }
}

/// One exported file or directory.
///
/// A file document is addressed by its *parent directory* and a name, so an
/// entry can exist before its file does (AddNamed) and survives the file
/// being replaced by rename, as editors save. A directory document is the
/// directory itself. `device`/`inode` are those of that directory: if the
/// path later names a different directory, the document refuses to resolve
/// rather than expose whatever now lives there.
struct Document: Sendable, Hashable {
    struct Flags: OptionSet, Sendable, Hashable {
        let rawValue: UInt32
        /// Never handed out again by reuse_existing (upstream's UNIQUE).
        static let unique = Self(rawValue: 1)
        /// Session-only: kept in memory, never written to the store.
        static let transient = Self(rawValue: 2)
        static let directory = Self(rawValue: 4)
    }

    let id: String
    /// Absolute host path of the parent directory (file documents) or of the
    /// directory (directory documents).
    let directory: String
    /// The file's name in `directory`; empty for directory documents.
    let name: String
    let device: UInt64
    let inode: UInt64
    let flags: Flags
    var permissions: [String: DocumentPermissions]

    var isDirectory: Bool { flags.contains(.directory) }

    /// The host path the document stands for.
    var hostPath: String {
        if isDirectory { return directory }
        return directory == "/" ? "/" + name : directory + "/" + name
    }

    /// The name the document shows inside its `/DOCID/` directory.
    var displayName: String {
        isDirectory ? String(directory.split(separator: "/").last ?? "root") : name
    }

    func permissions(for app: String?) -> DocumentPermissions {
        guard let app else { return .all }  // nil: the host's own view
        return permissions[app] ?? []
    }

    /// The store's data value, upstream's `(ayttu)`: path (nul-terminated),
    /// device, inode, flags — so `flatpak permission-show`-style tools and
    /// the permission store's Lookup read it as they would upstream's.
    var storedValue: DBusValue {
        .structure([.bytes(Array(hostPath.utf8) + [0]), .uint64(device), .uint64(inode), .uint32(flags.rawValue)])
    }

    init(id: String, directory: String, name: String, device: UInt64, inode: UInt64,
         flags: Flags, permissions: [String: DocumentPermissions]) {
        self.id = id
        self.directory = directory
        self.name = name
        self.device = device
        self.inode = inode
        self.flags = flags
        self.permissions = permissions
    }

    /// Rebuilds a document from a store entry; nil if the data is not ours.
    init?(id: String, entry: PermissionEntry) {
        guard let data = entry.data, case .structure(let fields)? = GVariantCoding.deserialize(data).map(\.unwrappingVariant),
              fields.count == 4, case .bytes(var path) = fields[0], case .uint64(let device) = fields[1],
              case .uint64(let inode) = fields[2], case .uint32(let rawFlags) = fields[3] else { return nil }
        if path.last == 0 { path.removeLast() }
        let hostPath = String(decoding: path, as: UTF8.self)
        guard hostPath.hasPrefix("/") else { return nil }
        let flags = Flags(rawValue: rawFlags)
        if flags.contains(.directory) {
            self.init(id: id, directory: hostPath, name: "", device: device, inode: inode, flags: flags, permissions: [:])
        } else {
            guard let slash = hostPath.lastIndex(of: "/") else { return nil }
            let parent = slash == hostPath.startIndex ? "/" : String(hostPath[..<slash])
            let name = String(hostPath[hostPath.index(after: slash)...])
            guard !name.isEmpty else { return nil }
            self.init(id: id, directory: parent, name: name, device: device, inode: inode, flags: flags, permissions: [:])
        }
        permissions = entry.permissions.mapValues { DocumentPermissions(storedNames: $0) }
    }
}
