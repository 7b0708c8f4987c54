internal import CGLib
internal import COSTree
import PortalCommon
import Runtime

/// How far a pull has got, from libostree's progress object.
public struct PullProgress: Sendable, Hashable {
    /// Bytes downloaded so far (0 for local pulls, which copy objects).
    public var bytesTransferred: UInt64
    /// Objects fetched so far, of `requestedObjects` asked for (the total
    /// grows while metadata is scanned).
    public var fetchedObjects: Int
    public var requestedObjects: Int
    /// Objects copied from a local (`file://`) repository instead of
    /// fetched.
    public var importedObjects: Int
    /// Metadata objects (commits, trees) fetched and scanned.
    public var fetchedMetadata: Int
    public var scannedMetadata: Int
    /// Fetches still in flight.
    public var outstandingFetches: Int
    /// libostree's status line, often empty.
    public var status: String
    /// True for the last report, sent once the pull has succeeded.
    public var isFinished: Bool
}

/// What to pull and how to check it.
public struct PullOptions: Sendable, Hashable {
    /// The refs to fetch (`app/ID/ARCH/BRANCH`, …).
    public var refs: [String]
    /// Exact commits to fetch instead of the refs' current ones (one per
    /// ref), for reproducible installs and downgrades.
    public var commits: [String]?
    /// Override the remote's `gpg-verify` / `gpg-verify-summary`; `nil`
    /// uses its configuration.
    public var gpgVerify: Bool?
    public var gpgVerifySummary: Bool?
    /// `false` disables OSTree-sign checks configured on the remote.
    public var signVerify: Bool
    public var signVerifySummary: Bool
    /// Fetch from this URL instead of the remote's `url`.
    public var overrideURL: String?
    /// Verify every object's checksum even when pulling from a local
    /// (`file://`) repository. On by default: a local repository may be
    /// writable by someone else, so its objects are no more trusted than
    /// downloaded ones.
    public var verifyLocalObjects: Bool
    /// How often progress is reported, in milliseconds.
    public var progressInterval: UInt32

    public init(
        refs: [String], commits: [String]? = nil, gpgVerify: Bool? = nil, gpgVerifySummary: Bool? = nil,
        signVerify: Bool = true, signVerifySummary: Bool = true, overrideURL: String? = nil,
        verifyLocalObjects: Bool = true, progressInterval: UInt32 = 100
    ) {
        self.refs = refs
        self.commits = commits
        self.gpgVerify = gpgVerify
        self.gpgVerifySummary = gpgVerifySummary
        self.signVerify = signVerify
        self.signVerifySummary = signVerifySummary
        self.overrideURL = overrideURL
        self.verifyLocalObjects = verifyLocalObjects
        self.progressInterval = progressInterval
    }
}

extension OSTreeRepository {
    /// Fetches refs from `remote` — a configured remote's name (refs then
    /// land as `REMOTE:REF`) or a `file://` URL (refs land as local refs).
    ///
    /// Blocks until done; `progress` is called on the calling thread while
    /// the pull runs, and once more at the end. Runs libostree's event loop
    /// on a private main context pushed for this thread, so it never
    /// touches (or needs) the process's default main context and several
    /// pulls can run on several threads.
    @available(*, noasync, message: "blocks until done; call it from a thread of its own (BlockingWork.run)")
    public func pull(
        from remote: String, options: PullOptions, progress: ((PullProgress) -> Void)? = nil
    ) throws(OSTreeError) {
        if let commits = options.commits, commits.count != options.refs.count {
            throw OSTreeError(
                kind: .failed, operation: "pulling from \(remote)",
                message: "\(commits.count) commits given for \(options.refs.count) refs")
        }
        let context = g_main_context_new()
        g_main_context_push_thread_default(context)
        defer {
            g_main_context_pop_thread_default(context)
            g_main_context_unref(context)
        }

        let optionsVariant = Self.pullOptionsVariant(options)
        // The sink outlives the progress object: it is released only after
        // `ostree_async_progress_finish` has emitted the last update and the
        // progress object (and its signal connection) is gone.
        let sink = progress.map { Unmanaged.passRetained(ProgressSink($0)) }
        let progressObject = sink.map { ostree_async_progress_new_and_connect(progressChanged, $0.toOpaque())! }
        defer {
            if let progressObject {
                // Idempotent: already done on success, below.
                ostree_async_progress_finish(progressObject)
                g_object_unref(UnsafeMutableRawPointer(progressObject))
            }
            sink?.release()
        }
        let what = options.refs.count == 1 ? options.refs[0] : "\(options.refs.count) refs"
        try OSTreeError.check("pulling \(what) from \(remote)") { error in
            optionsVariant.withRaw { ostree_repo_pull_with_options(raw, remote, $0, progressObject, nil, error) }
        }
        if let sink, let progressObject {
            // `finish` delivers libostree's pending update (if any) and
            // silences the object; then comes the one final report the
            // caller is promised.
            ostree_async_progress_finish(progressObject)
            sink.takeUnretainedValue().report(progressObject, finished: true)
        }
    }

    private static func pullOptionsVariant(_ options: PullOptions) -> Variant {
        // Setuid files, world-writable files and devices are refused as the
        // objects arrive, as Flatpak does for every pull: none of them may
        // reach an installation, whatever mode the repository is in.
        var flags = OSTREE_REPO_PULL_FLAGS_BAREUSERONLY_FILES.rawValue
        if options.verifyLocalObjects { flags |= OSTREE_REPO_PULL_FLAGS_UNTRUSTED.rawValue }
        var entries: [String: Variant] = [
            "refs": Variant.strings(options.refs),
            "flags": .int32(Int32(bitPattern: UInt32(flags))),
            "update-frequency": .uint32(options.progressInterval),
            "append-user-agent": .string("burrow/\(BurrowVersion.string)"),
        ]
        if let commits = options.commits { entries["override-commit-ids"] = Variant.strings(commits) }
        if let verify = options.gpgVerify { entries["gpg-verify"] = .bool(verify) }
        if let verify = options.gpgVerifySummary { entries["gpg-verify-summary"] = .bool(verify) }
        if !options.signVerify { entries["disable-sign-verify"] = .bool(true) }
        if !options.signVerifySummary { entries["disable-sign-verify-summary"] = .bool(true) }
        if let url = options.overrideURL { entries["override-url"] = .string(url) }
        return Variant.dictionary(entries)
    }
}

private final class ProgressSink {
    let handler: (PullProgress) -> Void
    init(_ handler: @escaping (PullProgress) -> Void) { self.handler = handler }

    func report(_ progress: OpaquePointer, finished: Bool) {
        func uint(_ key: String) -> Int { Int(ostree_async_progress_get_uint(progress, key)) }
        let statusPointer = ostree_async_progress_get_status(progress)
        defer { g_free(statusPointer) }
        handler(PullProgress(
            bytesTransferred: UInt64(ostree_async_progress_get_uint64(progress, "bytes-transferred")),
            fetchedObjects: uint("fetched"),
            requestedObjects: uint("requested"),
            importedObjects: uint("metadata-fetched-localcache") + uint("content-fetched-localcache"),
            fetchedMetadata: uint("metadata-fetched"),
            scannedMetadata: uint("scanned-metadata"),
            outstandingFetches: uint("outstanding-fetches"),
            status: statusPointer.map { String(cString: $0) } ?? "",
            isFinished: finished))
    }
}

/// libostree's "changed" signal, dispatched from the pull's own loop on the
/// pulling thread.
private let progressChanged: @convention(c) (OpaquePointer?, gpointer?) -> Void = { progress, userData in
    guard let progress, let userData else { return }
    Unmanaged<ProgressSink>.fromOpaque(userData).takeUnretainedValue().report(progress, finished: false)
}
