internal import CGLib
internal import COSTree
import Glibc
import Runtime

extension OSTreeRepository {
    /// Checks `commit` out into `destination`, which must not exist yet
    /// (its parent must). Files are hard links to the repository's objects
    /// wherever the repository allows it (bare modes on the same
    /// filesystem), copies otherwise.
    ///
    /// User mode: no ownership changes, so no privileges are needed, and
    /// directory modes are masked the way a bare-user-only repository
    /// stores them (as Flatpak's deploy does). Nothing is overwritten: the
    /// destination is a fresh directory that the caller later renames into
    /// place, which is what makes a deploy atomic.
    ///
    /// The hard links share inodes with the repository: a deployed file must
    /// never be modified in place (bwrap mounts deployments read-only).
    public func checkout(_ commit: String, to destination: String, subpath: String? = nil) throws(OSTreeError) {
        var options = OstreeRepoCheckoutAtOptions()
        options.mode = OSTREE_REPO_CHECKOUT_MODE_USER
        options.overwrite_mode = OSTREE_REPO_CHECKOUT_OVERWRITE_NONE
        options.bareuseronly_dirs = 1
        options.no_copy_fallback = 0
        // Durability comes from the caller's syncfs before the rename, once
        // for the whole tree rather than per file.
        options.enable_fsync = 0
        try OSTreeError.check("checking out \(commit) into \(destination)") { error in
            guard let subpath else {
                return ostree_repo_checkout_at(raw, &options, AT_FDCWD, destination, commit, nil, error)
            }
            return subpath.withCString { pointer in
                options.subpath = pointer
                return ostree_repo_checkout_at(raw, &options, AT_FDCWD, destination, commit, nil, error)
            }
        }
    }
}
