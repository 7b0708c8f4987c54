import PermissionData
import PortalCommon
import Synchronization

/// The documents, held in memory for the file system's hot path and in the
/// permission store's `documents` table for durability.
///
/// Every change is written to SQLite first, in one transaction, and only then
/// becomes visible in memory: a kill at any instant leaves either the old
/// entry or the new one on disk, and the file system never shows a document
/// that is not committed. Transient documents live in memory only.
final class DocumentStore: Sendable {
    static let table = "documents"

    private let database: PermissionDatabase
    private let documents: Mutex<Index>

    /// Documents by id, and ids by host path (Lookup and reuse_existing
    /// would otherwise scan every document).
    private struct Index {
        var byID: [String: Document] = [:]
        var byPath: [String: Set<String>] = [:]

        mutating func insert(_ document: Document) {
            if let old = byID[document.id] { remove(old.id) }
            byID[document.id] = document
            byPath[document.hostPath, default: []].insert(document.id)
        }

        @discardableResult
        mutating func remove(_ id: String) -> Document? {
            guard let old = byID.removeValue(forKey: id) else { return nil }
            byPath[old.hostPath]?.remove(id)
            if byPath[old.hostPath]?.isEmpty == true { byPath[old.hostPath] = nil }
            return old
        }

        func at(_ path: String) -> [Document] {
            (byPath[path] ?? []).sorted().compactMap { byID[$0] }
        }
    }

    init(database: PermissionDatabase) throws {
        self.database = database
        var loaded = Index()
        for (id, entry) in try database.entries(table: Self.table) {
            // An entry we cannot read is left in the table, untouched, rather
            // than deleted on a guess.
            if let document = Document(id: id, entry: entry) { loaded.insert(document) }
        }
        documents = Mutex(loaded)
    }

    var count: Int { documents.withLock { $0.byID.count } }

    func document(_ id: String) -> Document? {
        documents.withLock { $0.byID[id] }
    }

    func all() -> [Document] {
        documents.withLock { Array($0.byID.values) }
    }

    /// Documents `app` holds any permission on (every document for nil).
    func documents(visibleTo app: String?) -> [Document] {
        documents.withLock { all in all.byID.values.filter { app == nil || !$0.permissions(for: app).isEmpty } }
    }

    /// Apps that hold a permission on at least one document.
    func apps() -> Set<String> {
        documents.withLock { all in Set(all.byID.values.flatMap { $0.permissions.keys }) }
    }

    /// The document for `hostPath` that may be handed out again.
    func reusable(hostPath: String, directory: Bool) -> Document? {
        documents.withLock { all in
            all.at(hostPath).first { $0.isDirectory == directory && !$0.flags.contains(.unique) }
        }
    }

    func lookup(hostPath: String) -> Document? {
        documents.withLock { $0.at(hostPath).first }
    }

    /// Adds a document, or returns the existing one for the same path when
    /// `reuse` is set; then merges `grants` into it.
    func add(directory: String, name: String, device: UInt64, inode: UInt64, flags: Document.Flags,
             reuse: Bool, grants: [String: DocumentPermissions]) throws -> Document {
        let hostPath = flags.contains(.directory) ? directory : (directory == "/" ? "/" : directory + "/") + name
        if reuse, let existing = reusable(hostPath: hostPath, directory: flags.contains(.directory)) {
            var document = existing
            for (app, granted) in grants { document.permissions[app, default: []].formUnion(granted) }
            // A transient reuse must not make a persistent entry transient.
            return try commit(document)
        }
        var document = Document(id: newID(), directory: directory, name: name, device: device, inode: inode,
                                flags: reuse ? flags : flags.union(.unique), permissions: [:])
        for (app, granted) in grants where !granted.isEmpty { document.permissions[app] = granted }
        return try commit(document)
    }

    func grant(_ id: String, app: String, _ granted: DocumentPermissions) throws -> Document {
        try update(id) { $0.permissions[app, default: []].formUnion(granted) }
    }

    func revoke(_ id: String, app: String, _ revoked: DocumentPermissions) throws -> Document {
        try update(id) { document in
            let left = document.permissions(for: app).subtracting(revoked)
            document.permissions[app] = left.isEmpty ? nil : left
        }
    }

    func delete(_ id: String) throws -> Document {
        guard let document = document(id) else { throw PortalError.notFound("no document \(id)") }
        if !document.flags.contains(.transient) {
            _ = try database.delete(table: Self.table, id: id)
        }
        _ = documents.withLock { $0.remove(id) }
        return document
    }

    // MARK: -

    private func update(_ id: String, _ change: (inout Document) -> Void) throws -> Document {
        guard var document = document(id) else { throw PortalError.notFound("no document \(id)") }
        change(&document)
        return try commit(document)
    }

    private func commit(_ changed: Document) throws -> Document {
        var document = changed
        // An app with no permission left is no longer listed at all.
        document.permissions = document.permissions.filter { !$0.value.isEmpty }
        if !document.flags.contains(.transient) {
            _ = try database.set(table: Self.table, create: true, id: document.id,
                                 permissions: document.permissions.mapValues(\.names),
                                 data: try GVariantCoding.serialize(document.storedValue))
        }
        documents.withLock { $0.insert(document) }
        return document
    }

    /// Eight characters from a 32-letter alphabet: 40 bits, as short as
    /// upstream's ids and never confusable (no 0/o, 1/l).
    private func newID() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyz23456789")
        while true {
            let id = String((0..<8).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
            if document(id) == nil, (try? database.lookup(table: Self.table, id: id)) == nil { return id }
        }
    }
}
