import Foundation
import Glibc
import Synchronization

/// Changes of one directory's entries, through inotify: a deploy makes its
/// `active` link point elsewhere by renaming a new link over it, which
/// shows up here as IN_MOVED_TO at once.
enum DirectoryChanges {
    static func watch(_ path: String) -> AsyncStream<Void> {
        AsyncStream { continuation in
            let fd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
            guard fd >= 0, inotify_add_watch(fd, path, UInt32(IN_CREATE | IN_MOVED_TO | IN_DELETE)) >= 0 else {
                if fd >= 0 { close(fd) }
                continuation.finish()
                return
            }
            let stopped = Stop()
            continuation.onTermination = { _ in stopped.flag.store(true, ordering: .relaxed) }
            // A thread of its own waits in poll(); it looks at the stop flag
            // twice a second, since closing an fd wakes no waiter.
            Thread {
                defer { close(fd) }
                var buffer = [UInt8](repeating: 0, count: 4096)
                var waiter = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                while !stopped.flag.load(ordering: .relaxed) {
                    guard poll(&waiter, 1, 500) > 0 else { continue }
                    while read(fd, &buffer, buffer.count) > 0 {}
                    continuation.yield()
                }
                continuation.finish()
            }.start()
        }
    }

    private final class Stop: Sendable {
        let flag = Atomic(false)
    }
}
