import Dispatch
import Glibc
import Synchronization

/// Changes of directories' entries, through inotify: an entry created,
/// deleted, renamed in or out, or a file in them rewritten. A deploy shows
/// up at once as IN_MOVED_TO of its new `active` link; a desktop file being
/// installed as IN_CLOSE_WRITE or IN_MOVED_TO.
public enum DirectoryChanges {
    /// One element per batch of changes in any of `paths` (those that do not
    /// exist are not watched); ends when the consumer stops iterating.
    public static func watch(_ paths: [String]) -> AsyncStream<Void> {
        AsyncStream { continuation in
            let fd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
            let mask = UInt32(IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE)
            let watched = fd >= 0 ? paths.filter { inotify_add_watch(fd, $0, mask) >= 0 }.count : 0
            guard watched > 0 else {
                if fd >= 0 { close(fd) }
                continuation.finish()
                return
            }
            let stopped = Stop()
            continuation.onTermination = { _ in stopped.flag.store(true, ordering: .relaxed) }
            // A thread of its own waits in poll() (never one of the
            // cooperative pool's); it looks at the stop flag twice a second,
            // since closing an fd wakes no waiter.
            DispatchQueue(label: "burrow.directory-changes").async {
                defer { close(fd) }
                var buffer = [UInt8](repeating: 0, count: 4096)
                var waiter = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                while !stopped.flag.load(ordering: .relaxed) {
                    guard poll(&waiter, 1, 500) > 0 else { continue }
                    while read(fd, &buffer, buffer.count) > 0 {}
                    continuation.yield()
                }
                continuation.finish()
            }
        }
    }

    private final class Stop: Sendable {
        let flag = Atomic(false)
    }
}
