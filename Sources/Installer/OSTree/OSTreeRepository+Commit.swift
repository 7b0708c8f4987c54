internal import CGLib
internal import COSTree
import Glibc
import Runtime

extension OSTreeRepository {
    /// Which parts of a directory become the committed tree, and how.
    public struct TreeFilter: Sendable, Hashable {
        /// Names directly inside the committed directory that are kept;
        /// `nil` keeps everything. (Flatpak's layout: `metadata`, `files`,
        /// and `export` for apps — a build directory's `var` or leftovers
        /// never reach the repository.)
        public var topLevelNames: Set<String>?
        /// Exact modes for given paths (`"/metadata": 0o644`), applied after
        /// canonicalization.
        public var fixedModes: [String: UInt32]

        public init(topLevelNames: Set<String>? = nil, fixedModes: [String: UInt32] = [:]) {
            self.topLevelNames = topLevelNames
            self.fixedModes = fixedModes
        }
    }

    /// Sizes of a committed tree, as Flatpak computes them for
    /// `xa.installed-size` and `xa.download-size`.
    public struct TreeSizes: Sendable, Hashable {
        /// Regular files' sizes, each rounded up to 512 bytes.
        public var installed: UInt64
        /// Regular files' stored objects' sizes (compressed in an archive
        /// repository).
        public var download: UInt64
    }

    /// Commits the directory at `directory` on `ref` and returns the new
    /// commit's checksum. The previous commit of `ref`, if any, becomes its
    /// parent.
    ///
    /// Ownership and modes are canonicalized as `flatpak build-export`
    /// does: everything owned by root, writable only by the owner, readable
    /// by all, executable by all when the owner may execute it; no setuid,
    /// no xattrs. So what a publisher's umask or uid happened to be never
    /// reaches installations, and a system-wide install never holds a
    /// group-writable file.
    ///
    /// `metadata` receives the tree's sizes and returns the commit metadata.
    public func writeCommit(
        of directory: String, filter: TreeFilter = TreeFilter(), ref: String,
        subject: String, body: String = "", timestamp: UInt64? = nil,
        metadata: (TreeSizes) throws(OSTreeError) -> CommitMetadata
    ) throws(OSTreeError) -> String {
        let parent = try resolve(ref)

        // Two transactions: the tree's objects first, so their stored sizes
        // can be queried (libostree does not see objects still staged), then
        // the commit that names them. A crash in between leaves unreferenced
        // objects that the next prune removes, and no ref changed.
        let (root, rootTree) = try inTransaction { () throws(OSTreeError) in try writeTree(of: directory, filter: filter) }
        let sizes = try treeSizes(rootTree)
        let metadataVariant = try metadata(sizes).makeVariant()
        let time = timestamp ?? UInt64(Glibc.time(nil))

        return try inTransaction { () throws(OSTreeError) -> String in
            var checksum: UnsafeMutablePointer<CChar>?
            try OSTreeError.check("writing a commit for \(ref)") { error in
                metadataVariant.withRaw { metadata in
                    root.withRaw { root in
                        ostree_repo_write_commit_with_time(
                            raw, parent, subject, body, metadata, root, guint64(time), &checksum, nil, error)
                    }
                }
            }
            defer { g_free(checksum) }
            let commit = String(cString: checksum!)
            ostree_repo_transaction_set_ref(raw, nil, ref, commit)
            return commit
        }
    }

    /// Runs `body` inside a repository transaction, committing it on
    /// success and aborting it (dropping staged objects) on failure.
    func inTransaction<T>(_ body: () throws(OSTreeError) -> T) throws(OSTreeError) -> T {
        try OSTreeError.check("starting a transaction in \(path)") {
            ostree_repo_prepare_transaction(raw, nil, nil, $0)
        }
        do {
            let result = try body()
            try OSTreeError.check("committing a transaction in \(path)") {
                ostree_repo_commit_transaction(raw, nil, nil, $0)
            }
            return result
        } catch {
            // The original error is what the caller needs; an abort failure
            // only leaves a staging directory that the next transaction cleans.
            _ = ostree_repo_abort_transaction(raw, nil, nil)
            throw error
        }
    }

    /// Writes `directory`'s objects; returns the root (an `OstreeRepoFile`)
    /// and the mutable tree it came from.
    private func writeTree(of directory: String, filter: TreeFilter) throws(OSTreeError) -> (GObjectRef, GObjectRef) {
        let tree = GObjectRef(taking: ostree_mutable_tree_new())
        let policy = Unmanaged.passRetained(CommitFilterPolicy(filter)).toOpaque()
        // The modifier owns the policy from here: its destroy notify
        // releases it when the modifier is freed.
        let modifier = ostree_repo_commit_modifier_new(
            OSTREE_REPO_COMMIT_MODIFIER_FLAGS_SKIP_XATTRS, commitFilter, policy, releaseCommitFilterPolicy)
        defer { ostree_repo_commit_modifier_unref(modifier) }

        try OSTreeError.check("reading \(directory) into \(path)") { error in
            tree.withRaw { ostree_repo_write_dfd_to_mtree(raw, AT_FDCWD, directory, $0, modifier, nil, error) }
        }
        var root: OpaquePointer?
        try OSTreeError.check("writing the tree of \(directory)") { error in
            tree.withRaw { ostree_repo_write_mtree(raw, $0, &root, nil, error) }
        }
        return (GObjectRef(taking: root!), tree)
    }

    /// Walks a written tree and adds up Flatpak's two sizes; every
    /// occurrence of a regular file counts, as in `flatpak_repo_collect_sizes`.
    private func treeSizes(_ tree: GObjectRef) throws(OSTreeError) -> TreeSizes {
        var sizes = TreeSizes(installed: 0, download: 0)
        // Subtrees are owned by their parent, so the walk stays inside
        // `tree.withRaw`, which keeps the root (and with it every subtree)
        // alive.
        try tree.withRaw { (root) throws(OSTreeError) in
            var pending: [OpaquePointer] = [root]
            while let current = pending.popLast() {
                // Borrowed tables of the mutable tree: not released here.
                for (_, checksum) in borrowedStringTable(ostree_mutable_tree_get_files(current)) {
                    var info: OpaquePointer?
                    try OSTreeError.check("reading object \(checksum)") {
                        ostree_repo_load_file(raw, checksum, nil, &info, nil, nil, $0)
                    }
                    let fileInfo = GObjectRef(taking: info!)
                    // Symbolic links count for neither size, as in Flatpak.
                    let (type, size) = fileInfo.withRaw { (g_file_info_get_file_type($0), UInt64(g_file_info_get_size($0))) }
                    guard type == G_FILE_TYPE_REGULAR else { continue }
                    sizes.installed += (size + 511) / 512 * 512
                    var stored: guint64 = 0
                    try OSTreeError.check("measuring object \(checksum)") {
                        ostree_repo_query_object_storage_size(raw, OSTREE_OBJECT_TYPE_FILE, checksum, &stored, nil, $0)
                    }
                    sizes.download += UInt64(stored)
                }
                let subdirectories = ostree_mutable_tree_get_subdirs(current)
                var iterator = GHashTableIter()
                g_hash_table_iter_init(&iterator, subdirectories)
                var key: gpointer?
                var value: gpointer?
                while g_hash_table_iter_next(&iterator, &key, &value) != 0 {
                    if let value { pending.append(OpaquePointer(value)) }
                }
            }
        }
        return sizes
    }
}

/// `st_mode` bits (the C macros are ambiguous between Glibc and the GLib headers).
private enum FileMode {
    static let typeMask: UInt32 = 0o170000
    static let directory: UInt32 = 0o040000
    static let regular: UInt32 = 0o100000
    static let ownerExecute: UInt32 = 0o100
}

/// The filter's state, reached from C through the modifier's user data.
private final class CommitFilterPolicy {
    let filter: OSTreeRepository.TreeFilter
    init(_ filter: OSTreeRepository.TreeFilter) { self.filter = filter }

    func apply(path: String, info: OpaquePointer) -> OstreeRepoCommitFilterResult {
        if let allowed = filter.topLevelNames, path != "/" {
            let first = path.dropFirst().prefix { $0 != "/" }
            if !allowed.contains(String(first)) { return OSTREE_REPO_COMMIT_FILTER_SKIP }
        }
        // Flatpak's canonical ownership and modes (see writeCommit).
        g_file_info_set_attribute_uint32(info, "unix::uid", 0)
        g_file_info_set_attribute_uint32(info, "unix::gid", 0)
        var mode = g_file_info_get_attribute_uint32(info, "unix::mode")
        switch g_file_info_get_file_type(info) {
        case G_FILE_TYPE_DIRECTORY:
            mode = FileMode.directory | 0o755
        case G_FILE_TYPE_REGULAR:
            mode = FileMode.regular | (mode & FileMode.ownerExecute != 0 ? 0o755 : 0o644)
        default:
            break
        }
        if let fixed = filter.fixedModes[path] {
            mode = (mode & FileMode.typeMask) | fixed
        }
        g_file_info_set_attribute_uint32(info, "unix::mode", mode)
        return OSTREE_REPO_COMMIT_FILTER_ALLOW
    }
}

// C entry points: no captures, state comes through `userData`.
private let commitFilter: OstreeRepoCommitFilter = { _, path, info, userData in
    guard let path, let info, let userData else { return OSTREE_REPO_COMMIT_FILTER_ALLOW }
    let policy = Unmanaged<CommitFilterPolicy>.fromOpaque(userData).takeUnretainedValue()
    return policy.apply(path: String(cString: path), info: info)
}

private let releaseCommitFilterPolicy: GDestroyNotify = { userData in
    guard let userData else { return }
    Unmanaged<CommitFilterPolicy>.fromOpaque(userData).release()
}
