public import Glibc

/// `posix_spawn` attributes for a child that must start with every signal
/// at its default and none blocked. Both survive exec: daemons ignore
/// SIGPIPE (and SIGTERM/SIGINT/SIGHUP, handled by dispatch sources), and
/// Swift runs code on worker threads whose mask blocks nearly every
/// signal — a child started from there without this is deaf to SIGTERM
/// and Ctrl-C. Every burrow `posix_spawn` goes through here.
public enum SpawnAttributes {
    /// glibc's POSIX_SPAWN_SETSID (spawn.h, visible only with _GNU_SOURCE).
    public static let newSession: Int32 = 0x80

    /// Runs `body` with such attributes, plus `flags` (e.g. `newSession`)
    /// and, when `newProcessGroup`, a process group of the child's own.
    public static func withCleanSignals<R, E: Error>(
        flags: Int32 = 0, newProcessGroup: Bool = false,
        _ body: (UnsafePointer<posix_spawnattr_t>) throws(E) -> R
    ) throws(E) -> R {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t(), none = sigset_t()
        sigfillset(&all)
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        var allFlags = flags | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK
        if newProcessGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            allFlags |= POSIX_SPAWN_SETPGROUP
        }
        posix_spawnattr_setflags(&attributes, Int16(allFlags))
        return try body(&attributes)
    }
}
