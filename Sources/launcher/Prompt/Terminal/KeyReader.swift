import Glibc
import PortalCommon
import Synchronization

/// Reads keys from the terminal on a thread of its own and hands them out as
/// an `AsyncStream`, in order.
///
/// `read(2)` on a terminal blocks until a key arrives — possibly for hours —
/// so it must not run on Swift's cooperative pool (two threads here).
final class KeyReader: Sendable {
    let keys: AsyncStream<Key>
    private let continuation: AsyncStream<Key>.Continuation
    private let terminalFD: Int32
    /// Written to stop the thread. Closed in deinit, which runs only once
    /// both the thread and the owner are done with the reader.
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let stopped = Mutex(false)

    /// How long a lone ESC waits for the rest of a sequence before it
    /// counts as the Escape key. Terminals send a sequence in one write, so
    /// a few milliseconds is plenty.
    static let escapeDelayMilliseconds: Int32 = 30

    init(terminal: TerminalDevice) throws(PortalError) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw .failed("pipe: \(String(cString: strerror(errno)))") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        terminalFD = terminal.descriptor
        (keys, continuation) = AsyncStream<Key>.makeStream()
    }

    func start() throws(PortalError) {
        try DetachedThread.start(name: "key reader") { [self] in run() }
    }

    /// Stops reading; the stream finishes.
    func stop() {
        guard stopped.withLock({ done in defer { done = true }; return !done }) else { return }
        var byte: UInt8 = 1
        _ = Glibc.write(wakeWrite, &byte, 1)
    }

    deinit {
        close(wakeRead)
        close(wakeWrite)
    }

    fileprivate func run() {
        defer { continuation.finish() }
        var decoder = KeyDecoder()
        var buffer = [UInt8](repeating: 0, count: 256)
        while true {
            var fds = [pollfd(fd: terminalFD, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            let timeout = decoder.isWaiting ? Self.escapeDelayMilliseconds : -1
            let ready = poll(&fds, 2, timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                return
            }
            if fds[1].revents != 0 { return }
            if ready == 0 {
                for key in decoder.flush() { continuation.yield(key) }
                continue
            }
            if fds[0].revents & Int16(POLLIN) == 0 {
                // POLLHUP/POLLERR without data: the terminal went away.
                return
            }
            let count = read(terminalFD, &buffer, buffer.count)
            if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            guard count > 0 else { return }
            for key in decoder.feed(buffer[0..<count]) { continuation.yield(key) }
        }
    }
}

/// pthread entry point; outside main-actor code on purpose.
