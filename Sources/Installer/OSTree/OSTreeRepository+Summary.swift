internal import CGLib
internal import COSTree

/// What a remote publishes in its summary: its refs, their commits, and —
/// for Flatpak refs — the sizes and metadata installers need before pulling
/// anything (permissions to show, the runtime an app needs).
public struct RemoteSummary: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public var ref: String
        public var commit: String
        /// From Flatpak's cache in the summary, when the repository has one.
        public var installedSize: UInt64?
        public var downloadSize: UInt64?
        /// The `metadata` file text (`xa.metadata` of the commit).
        public var metadata: String?
    }

    /// Entries by ref.
    public var refs: [String: Entry]
}

extension OSTreeRepository {
    /// Downloads and parses the summary of remote `name`. Signatures are
    /// checked as the remote's configuration asks (`gpg-verify-summary`;
    /// burrow's ed25519 keys, a `SignatureError` when they fail), so an
    /// unsigned summary from a verified remote is refused here, before
    /// anything is shown to the user.
    @available(*, noasync, message: "blocks until done; call it from a thread of its own (BlockingWork.run)")
    public func fetchSummary(of name: String) throws -> RemoteSummary {
        var summaryBytes: OpaquePointer?
        var signatures: OpaquePointer?
        try OSTreeError.check("fetching the summary of remote \(name.debugDescription)") {
            ostree_repo_remote_fetch_summary_with_options(raw, name, nil, &summaryBytes, &signatures, nil, $0)
        }
        defer {
            if let summaryBytes { g_bytes_unref(summaryBytes) }
            if let signatures { g_bytes_unref(signatures) }
        }
        guard let summaryBytes else {
            throw OSTreeError(kind: .notFound, operation: "fetching the summary of remote \(name.debugDescription)",
                              message: "the remote has no summary")
        }
        if let keys = try remoteEd25519Keys(name) {
            try verifySummary(summaryBytes, signatures: signatures, of: name, keys: keys)
        }
        let type = g_variant_type_new("(a(s(taya{sv}))a{sv})")
        defer { g_variant_type_free(type) }
        // trusted = FALSE: the bytes come from the network; GLib checks
        // every access against the buffer and yields defaults on garbage.
        let summary = Variant(taking: g_variant_new_from_bytes(type, summaryBytes, 0))
        // Normal form is what GLib's safe accessors guarantee to handle;
        // reject anything else outright rather than read defaults.
        guard summary.withRaw({ g_variant_is_normal_form($0) }) != 0 else {
            throw OSTreeError(kind: .failed, operation: "reading the summary of remote \(name.debugDescription)",
                              message: "the summary is malformed")
        }
        return Self.parseSummary(summary)
    }

    static func parseSummary(_ summary: Variant) -> RemoteSummary {
        var refs: [String: RemoteSummary.Entry] = [:]
        let list = summary.child(0)
        for index in 0..<list.childCount {
            let item = list.child(index)
            guard let ref = item.child(0).string else { continue }
            let info = item.child(1)
            guard let checksum = info.child(1).bytes, checksum.count == 32 else { continue }
            var entry = RemoteSummary.Entry(
                ref: ref, commit: String(hexadecimal: checksum),
                installedSize: nil, downloadSize: nil, metadata: nil)
            // Flatpak's newer per-ref form: xa.data = (tts).
            if let data = info.child(2).lookup("xa.data"), data.typeString == "(tts)" {
                entry.apply(cacheTuple: data)
            }
            refs[ref] = entry
        }
        // Flatpak's classic form: xa.cache = v(a{s(tts)}) in the summary's
        // metadata, one more variant deep than the other keys.
        if let cache = summary.child(1).lookup("xa.cache")?.unboxed {
            if cache.typeString == "a{s(tts)}" {
                for index in 0..<cache.childCount {
                    let pair = cache.child(index)
                    guard let ref = pair.child(0).string, refs[ref] != nil else { continue }
                    refs[ref]?.apply(cacheTuple: pair.child(1))
                }
            }
        }
        return RemoteSummary(refs: refs)
    }
}

extension RemoteSummary.Entry {
    /// `(installed-size, download-size, metadata)`, sizes big-endian.
    fileprivate mutating func apply(cacheTuple tuple: Variant) {
        installedSize = tuple.child(0).uint64Value.map { UInt64(bigEndian: $0) }
        downloadSize = tuple.child(1).uint64Value.map { UInt64(bigEndian: $0) }
        metadata = tuple.child(2).string
    }
}

