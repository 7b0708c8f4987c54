import Glibc

/// An exclusive `flock` on `<installation>/.lock`, held while an operation
/// changes the installation (pull + deploy, uninstall, remote changes), so
/// concurrent burrow processes take turns instead of interleaving deploys.
///
/// `flock` locks belong to the open file description: closing the fd —
/// explicitly, in deinit, or by the process dying — releases it, so a
/// crashed burrow never leaves the installation locked. Readers (listing,
/// looking up a deployment) take no lock: every change they could observe
/// is a single rename.
package struct InstallationLock: ~Copyable {
    private let fd: Int32

    /// Blocks until the lock is ours; call from a dedicated thread.
    package init(installationPath: String) throws(InstallerError) {
        let path = installationPath + "/.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw FileSystem.fail("cannot open lock file", path) }
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            let code = errno
            close(fd)
            throw FileSystem.fail("cannot lock", path, errno: code)
        }
        self.fd = fd
    }

    /// Marks a point the lock must still be held at (see
    /// `Installation.withChangeLock`); does nothing else.
    package func holdUntilHere() {}

    deinit { close(fd) }
}
