internal import CGLib
internal import COSTree

/// The settings of one remote, as kept in the repository config's
/// `[remote "NAME"]` group (where `ostree remote add` and Flatpak keep them).
public struct RemoteOptions: Sendable, Hashable {
    /// Require GPG-signed commits (`gpg-verify`).
    public var gpgVerify: Bool
    /// Require a GPG-signed summary (`gpg-verify-summary`).
    public var gpgVerifySummary: Bool
    /// Further keys written verbatim (`xa.title`, `sign-verify`, …).
    public var extra: [String: String]

    /// Verification on by default: a remote that may serve unsigned data
    /// has to say so.
    public init(gpgVerify: Bool = true, gpgVerifySummary: Bool = true, extra: [String: String] = [:]) {
        self.gpgVerify = gpgVerify
        self.gpgVerifySummary = gpgVerifySummary
        self.extra = extra
    }

    /// No signature checks (`--no-gpg-verify`).
    public static let unverified = RemoteOptions(gpgVerify: false, gpgVerifySummary: false)
}

extension OSTreeRepository {
    /// Adds a remote. With `replacing`, an existing remote of that name is
    /// overwritten; otherwise an existing one is an `.exists` error.
    public func addRemote(_ name: String, url: String, options: RemoteOptions, replacing: Bool = false)
        throws(OSTreeError)
    {
        try OSTreeError.check("adding remote \(name.debugDescription)") { ostree_validate_remote_name(name, $0) }
        // libostree reports a duplicate as a generic failure; callers need
        // to tell "exists" apart (`remote-add --if-not-exists`).
        if !replacing && remoteNames.contains(name) {
            throw OSTreeError(
                kind: .exists, operation: "adding remote \(name.debugDescription)", message: "the remote already exists")
        }
        var entries: [String: Variant] = [
            "gpg-verify": .bool(options.gpgVerify),
            "gpg-verify-summary": .bool(options.gpgVerifySummary),
        ]
        for (key, value) in options.extra {
            entries[key] = .string(value)
        }
        let optionsVariant = Variant.dictionary(entries)
        let change = replacing ? OSTREE_REPO_REMOTE_CHANGE_REPLACE : OSTREE_REPO_REMOTE_CHANGE_ADD
        try OSTreeError.check("adding remote \(name.debugDescription) (\(url))") { error in
            optionsVariant.withRaw { ostree_repo_remote_change(raw, nil, change, name, url, $0, nil, error) }
        }
    }

    /// Deletes a remote (its config group; refs it left behind stay until
    /// the caller deletes them).
    public func removeRemote(_ name: String) throws(OSTreeError) {
        try OSTreeError.check("removing remote \(name.debugDescription)") {
            ostree_repo_remote_change(raw, nil, OSTREE_REPO_REMOTE_CHANGE_DELETE, name, nil, nil, nil, $0)
        }
    }

    /// The names of the configured remotes, sorted.
    public var remoteNames: [String] {
        var count: guint = 0
        return takeStringVector(ostree_repo_remote_list(raw, &count)).sorted()
    }

    public func remoteURL(_ name: String) throws(OSTreeError) -> String {
        var url: UnsafeMutablePointer<CChar>?
        try OSTreeError.check("reading the URL of remote \(name.debugDescription)") {
            ostree_repo_remote_get_url(raw, name, &url, $0)
        }
        defer { g_free(url) }
        return String(cString: url!)
    }

    /// One setting of a remote; `nil` when it is not set.
    public func remoteOption(_ name: String, key: String) throws(OSTreeError) -> String? {
        var value: UnsafeMutablePointer<CChar>?
        try OSTreeError.check("reading \(key) of remote \(name.debugDescription)") {
            ostree_repo_get_remote_option(raw, name, key, nil, &value, $0)
        }
        guard let value else { return nil }
        defer { g_free(value) }
        return String(cString: value)
    }

    /// Whether commits from `name` must carry valid GPG signatures.
    public func remoteRequiresGPG(_ name: String) throws(OSTreeError) -> Bool {
        var verify: gboolean = 0
        try OSTreeError.check("reading gpg-verify of remote \(name.debugDescription)") {
            ostree_repo_remote_get_gpg_verify(raw, name, &verify, $0)
        }
        return verify != 0
    }
}
