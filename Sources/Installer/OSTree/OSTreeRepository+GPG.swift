internal import CGLib
internal import COSTree

/// GPG signatures, as Flatpak publishes and checks them: publishers sign
/// each commit and the summary; installers import the publisher's public
/// key into the remote's own keyring and verify both.
extension OSTreeRepository {
    /// Signs `commit` with each key in `keyIDs` from `homedir` (GnuPG's
    /// default home when `nil`).
    public func signCommit(_ commit: String, keyIDs: [String], homedir: String?) throws(OSTreeError) {
        for key in keyIDs {
            try OSTreeError.check("signing commit \(commit.prefix(12)) with GPG key \(key)") {
                ostree_repo_sign_commit(raw, commit, key, homedir, nil, $0)
            }
        }
    }

    /// Signs the summary (call after regenerating it).
    public func signSummary(keyIDs: [String], homedir: String?) throws(OSTreeError) {
        guard !keyIDs.isEmpty else { return }
        let copies = keyIDs.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        var keys: [UnsafePointer<CChar>?] = copies.map { UnsafePointer($0) } + [nil]
        try OSTreeError.check("signing the summary of \(path)") { error in
            ostree_repo_add_gpg_signature_summary(raw, &keys, homedir, nil, error)
        }
    }

    /// Imports every public key in the (armored or binary) file at `path`
    /// into `remote`'s keyring; returns how many were imported.
    @discardableResult
    public func importGPGKeys(remote: String, from path: String) throws(OSTreeError) -> UInt32 {
        let file = g_file_new_for_path(path)
        defer { g_object_unref(UnsafeMutableRawPointer(file)) }
        var openError: UnsafeMutablePointer<GError>?
        guard let stream = g_file_read(file, nil, &openError) else {
            let message = openError.map { String(cString: $0.pointee.message) } ?? "cannot open"
            if let openError { g_error_free(openError) }
            throw OSTreeError(kind: .failed, operation: "reading GPG keys from \(path)", message: message)
        }
        defer { g_object_unref(stream) }
        var imported: guint = 0
        try OSTreeError.check("importing GPG keys from \(path) for remote \(remote.debugDescription)") { error in
            // A GFileInputStream is a GInputStream (GObject inheritance).
            let input = UnsafeMutableRawPointer(stream).assumingMemoryBound(to: GInputStream.self)
            return ostree_repo_remote_gpg_import(raw, remote, input, nil, &imported, nil, error)
        }
        if imported == 0 {
            throw OSTreeError(kind: .failed, operation: "importing GPG keys from \(path)", message: "the file holds no public key")
        }
        return imported
    }
}
