internal import CGLib
internal import COSTree
import Glibc
import Runtime

/// An OSTree repository on disk: the store behind every installation and
/// every published Flatpak repository.
///
/// A thin owner of one `OstreeRepo` (released in deinit). Every method
/// blocks — libostree does its I/O synchronously — so callers run it on a
/// thread of their own (`BlockingWork`), never on Swift's cooperative pool.
/// Not `Sendable`: one repository object belongs to one thread at a time;
/// other threads or processes open their own (libostree coordinates them
/// through the repository's own locking).
public final class OSTreeRepository {
    /// How objects are stored (`core.mode` in the repository's config).
    public enum Mode: String, Sendable, CaseIterable {
        /// Compressed objects, servable by any static web server. What
        /// `flatpak build-export` creates (it asks for `archive-z2`, the
        /// older name of the same mode).
        case archive
        /// Plain files, hard-linkable into checkouts, no ownership or xattrs
        /// kept: what Flatpak uses for every installation, user and system.
        case bareUserOnly = "bare-user-only"
        /// Plain files with ownership in an xattr (old Flatpak installations).
        case bareUser = "bare-user"
        /// Plain files with real ownership; needs root.
        case bare

        init(_ mode: OstreeRepoMode) {
            switch mode {
            case OSTREE_REPO_MODE_ARCHIVE: self = .archive
            case OSTREE_REPO_MODE_BARE_USER_ONLY: self = .bareUserOnly
            case OSTREE_REPO_MODE_BARE_USER: self = .bareUser
            default: self = .bare
            }
        }

        var ostreeMode: OstreeRepoMode {
            switch self {
            case .archive: OSTREE_REPO_MODE_ARCHIVE
            case .bareUserOnly: OSTREE_REPO_MODE_BARE_USER_ONLY
            case .bareUser: OSTREE_REPO_MODE_BARE_USER
            case .bare: OSTREE_REPO_MODE_BARE
            }
        }
    }

    /// The repository directory.
    public let path: String
    /// The `OstreeRepo*`; one reference, dropped in deinit.
    let raw: OpaquePointer

    private init(path: String, raw: OpaquePointer) {
        self.path = path
        self.raw = raw
    }

    deinit { g_object_unref(UnsafeMutableRawPointer(raw)) }

    /// Opens an existing repository.
    public convenience init(openingAt path: String) throws(OSTreeError) {
        let file = GObjectRef(taking: g_file_new_for_path(path))
        let repo = file.withRaw { ostree_repo_new($0)! }
        self.init(path: path, raw: repo)
        try OSTreeError.check("opening the OSTree repository at \(path)") { ostree_repo_open(raw, nil, $0) }
    }

    /// Creates a repository (parent directories must exist). Succeeds on an
    /// existing repository of any mode, as libostree does; `mode` then says
    /// what it really is.
    public static func create(at path: String, mode: Mode) throws(OSTreeError) -> OSTreeRepository {
        var error: UnsafeMutablePointer<GError>?
        guard let repo = ostree_repo_create_at(AT_FDCWD, path, mode.ostreeMode, nil, nil, &error) else {
            if let error { throw OSTreeError(consuming: error, operation: "creating an OSTree repository at \(path)") }
            throw OSTreeError(kind: .failed, operation: "creating an OSTree repository at \(path)", message: "unknown failure")
        }
        return OSTreeRepository(path: path, raw: repo)
    }

    /// Opens the repository at `path`, creating it with `mode` when there
    /// is none yet.
    public static func openOrCreate(at path: String, mode: Mode) throws(OSTreeError) -> OSTreeRepository {
        // `config` is the last file ostree_repo_create writes; without it the
        // directory is at most a half-created repository, which create finishes.
        if access(path + "/config", F_OK) == 0 {
            return try OSTreeRepository(openingAt: path)
        }
        return try create(at: path, mode: mode)
    }

    public var mode: Mode { Mode(ostree_repo_get_mode(raw)) }

    // MARK: - Refs and commits

    /// The commit a ref (`app/…`, `REMOTE:app/…`) or checksum names; `nil`
    /// when there is no such ref.
    public func resolve(_ refspec: String) throws(OSTreeError) -> String? {
        var checksum: UnsafeMutablePointer<CChar>?
        try OSTreeError.check("resolving \(refspec)") { ostree_repo_resolve_rev(raw, refspec, 1, &checksum, $0) }
        guard let checksum else { return nil }
        defer { g_free(checksum) }
        return String(cString: checksum)
    }

    /// Refs and the commits they point at. Local refs appear as `REF`,
    /// remote-tracking refs as `REMOTE:REF`; `prefix` keeps those starting
    /// with it (e.g. `"app/"`, `"origin:"`).
    public func refs(withPrefix prefix: String? = nil, includingRemotes: Bool = true) throws(OSTreeError)
        -> [String: String]
    {
        var table: OpaquePointer?
        let flags = includingRemotes ? OSTREE_REPO_LIST_REFS_EXT_NONE : OSTREE_REPO_LIST_REFS_EXT_EXCLUDE_REMOTES
        // The prefix is applied here rather than passed to libostree: for a
        // prefix that is not a whole path element it lists nothing.
        try OSTreeError.check("listing the refs of \(path)") {
            ostree_repo_list_refs_ext(raw, nil, &table, flags, nil, $0)
        }
        let all = takeStringTable(table)
        guard let prefix else { return all }
        return all.filter { $0.key.hasPrefix(prefix) }
    }

    /// Points `ref` (of `remote`, when given) at `commit`, or deletes it when
    /// `commit` is `nil`. Immediate: not part of any transaction.
    public func setRef(_ ref: String, remote: String? = nil, to commit: String?) throws(OSTreeError) {
        let what = remote.map { "\($0):\(ref)" } ?? ref
        try OSTreeError.check(commit.map { "setting \(what) to \($0)" } ?? "deleting \(what)") {
            ostree_repo_set_ref_immediate(raw, remote, ref, commit, nil, $0)
        }
    }

    /// The commit object `checksum`: subject, timestamp and metadata.
    public func commit(_ checksum: String) throws(OSTreeError) -> OSTreeCommit {
        try OSTreeError.check("reading commit \(checksum.debugDescription)") {
            ostree_validate_checksum_string(checksum, $0)
        }
        var variant: OpaquePointer?
        try OSTreeError.check("reading commit \(checksum)") {
            ostree_repo_load_variant(raw, OSTREE_OBJECT_TYPE_COMMIT, checksum, &variant, $0)
        }
        return OSTreeCommit(checksum: checksum, variant: Variant(taking: variant!))
    }

    // MARK: - Maintenance

    /// What `prune` removed.
    public struct PruneResult: Sendable, Hashable {
        public var objectsTotal: Int
        public var objectsPruned: Int
        public var bytesFreed: UInt64
    }

    /// Deletes every object no ref reaches. History behind a ref is kept
    /// only as far as `depth` commits (-1: all of it).
    @discardableResult
    public func prune(depth: Int = -1) throws(OSTreeError) -> PruneResult {
        var total: gint = 0
        var pruned: gint = 0
        var freed: guint64 = 0
        try OSTreeError.check("pruning \(path)") {
            ostree_repo_prune(raw, OSTREE_REPO_PRUNE_FLAGS_REFS_ONLY, gint(depth), &total, &pruned, &freed, nil, $0)
        }
        return PruneResult(objectsTotal: Int(total), objectsPruned: Int(pruned), bytesFreed: UInt64(freed))
    }

    /// Rewrites the `summary` file (the index clients read first) from the
    /// current refs.
    public func regenerateSummary() throws(OSTreeError) {
        try regenerateSummary(additionalMetadata: nil)
    }

    /// `additionalMetadata` (an `a{sv}`) is merged into the summary's own
    /// metadata; Flatpak keeps its per-ref cache there.
    func regenerateSummary(additionalMetadata: Variant?) throws(OSTreeError) {
        try OSTreeError.check("updating the summary of \(path)") { error in
            guard let additionalMetadata else { return ostree_repo_regenerate_summary(raw, nil, nil, error) }
            return additionalMetadata.withRaw { ostree_repo_regenerate_summary(raw, $0, nil, error) }
        }
    }

    // MARK: - Configuration

    /// Edits the repository's `config` keyfile and reloads it. `body`
    /// receives the `GKeyFile*` of a private copy, so a failure leaves the
    /// file as it was.
    func updateConfig(_ body: (OpaquePointer) throws(OSTreeError) -> Void) throws(OSTreeError) {
        let config = ostree_repo_copy_config(raw)!
        defer { g_key_file_unref(config) }
        try body(config)
        try OSTreeError.check("writing the configuration of \(path)") { ostree_repo_write_config(raw, config, $0) }
        try OSTreeError.check("reloading the configuration of \(path)") { ostree_repo_reload_config(raw, nil, $0) }
    }

    /// A `[core]` (or other group's) value from the config.
    public func configValue(_ key: String, group: String = "core") -> String? {
        // ostree_repo_get_config returns a borrowed GKeyFile: not freed here.
        guard let config = ostree_repo_get_config(raw),
            let value = g_key_file_get_value(config, group, key, nil)
        else { return nil }
        defer { g_free(value) }
        return String(cString: value)
    }

    /// Sets one config value (`nil` removes it).
    public func setConfigValue(_ value: String?, forKey key: String, group: String = "core") throws(OSTreeError) {
        try updateConfig { config in
            if let value {
                g_key_file_set_value(config, group, key, value)
            } else {
                _ = g_key_file_remove_key(config, group, key, nil)
            }
        }
    }
}
