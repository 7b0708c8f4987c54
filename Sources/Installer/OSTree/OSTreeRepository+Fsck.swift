internal import CGLib
internal import COSTree

extension OSTreeRepository {
    /// One object by name, as `ostree fsck` reports it.
    public struct ObjectName: Sendable, Hashable, CustomStringConvertible {
        public let checksum: String
        let type: OstreeObjectType
        public var description: String {
            "\(checksum).\(String(cString: ostree_object_type_to_string(type)))"
        }
    }

    /// The objects reachable from `commit` whose contents no longer match
    /// their checksums (or cannot be read at all).
    public func corruptObjects(reachableFrom commit: String) throws(OSTreeError) -> [ObjectName] {
        var reachable: OpaquePointer?
        try OSTreeError.check("listing the objects of \(commit)") { error in
            ostree_repo_traverse_commit(raw, commit, -1, &reachable, nil, error)
        }
        guard let reachable else { return [] }
        defer { g_hash_table_unref(reachable) }
        var names: [ObjectName] = []
        var iterator = GHashTableIter()
        g_hash_table_iter_init(&iterator, reachable)
        var key: gpointer?
        while g_hash_table_iter_next(&iterator, &key, nil) != 0 {
            var checksum: UnsafePointer<CChar>?
            var type = OSTREE_OBJECT_TYPE_FILE
            ostree_object_name_deserialize(OpaquePointer(key), &checksum, &type)
            guard let checksum else { continue }
            names.append(ObjectName(checksum: String(cString: checksum), type: type))
        }
        return names.filter { name in
            var error: UnsafeMutablePointer<GError>?
            let intact = ostree_repo_fsck_object(raw, name.type, name.checksum, nil, &error) != 0
            if let error { g_error_free(error) }
            return !intact
        }
    }

    /// Removes a damaged (or already missing) object and marks `commit`
    /// partial, so that the next pull of it walks the whole tree again and
    /// fetches what is missing (a complete commit would be skipped).
    public func discardObject(_ name: ObjectName, of commit: String) throws(OSTreeError) {
        var present: gboolean = 0
        try OSTreeError.check("looking for the object \(name)") { error in
            ostree_repo_has_object(raw, name.type, name.checksum, &present, nil, error)
        }
        if present != 0 {
            try OSTreeError.check("deleting the object \(name)") { error in
                ostree_repo_delete_object(raw, name.type, name.checksum, nil, error)
            }
        }
        try OSTreeError.check("marking \(commit) partial") { error in
            ostree_repo_mark_commit_partial(raw, commit, 1, error)
        }
    }
}
