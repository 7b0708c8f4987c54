import Runtime
import PortalCommon

extension Installation {
    /// Fetches `ref` from a remote that requires ed25519 signatures by one
    /// of `keys`, and returns the commit, verified.
    ///
    /// libostree cannot check these signatures itself (Debian builds it
    /// without the engine), so the pull is pinned and checked here:
    /// 1. the summary is fetched and its signature checked (`fetchSummary`);
    /// 2. exactly the commit that verified summary names is pulled, by
    ///    checksum — not the ref, which libostree would resolve through a
    ///    summary of its own fetching, one the check above never saw;
    /// 3. the commit's detached signature is checked;
    /// 4. only then does `REMOTE:REF` point at it.
    /// A commit that fails is therefore never referenced: its objects are
    /// unreachable, pruned at once, and nothing is deployed from it. The
    /// caller holds the installation lock throughout.
    func pullSigned(
        _ ref: FlatpakRef, from remote: String, keys: [Ed25519PublicKey], into repository: OSTreeRepository,
        progress: ((PullProgress) -> Void)?
    ) throws -> String {
        let summary = try repository.fetchSummary(of: remote)
        guard let commit = summary.refs[ref.description]?.commit else {
            throw InstallerError(.notInstalled, "remote \(remote.debugDescription) does not offer \(ref)")
        }
        try repository.pull(from: remote, options: PullOptions(refs: [commit]), progress: progress)
        do {
            try repository.verifyCommit(commit, ref: ref.description, ed25519Keys: keys)
        } catch {
            // Nothing references the commit (step 4 has not run), so prune
            // drops what the pull brought; what is deployed stays reachable
            // through its own refs.
            try repository.prune()
            throw error
        }
        try repository.setRef(ref.description, remote: remote, to: commit)
        return commit
    }
}
