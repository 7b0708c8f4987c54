internal import CLinux
internal import CSystemd
import Glibc
import Synchronization

/// The one thread that owns an `sd_bus*`.
///
/// sd-bus is not thread-safe, so every use of the connection — dispatch,
/// sends, replies, registrations — runs here. Other threads hand work over
/// through a queue and an eventfd wake-up. The loop is also a Swift
/// `SerialExecutor`, so an actor can live on this thread and touch bus state
/// without hops (`nonisolated var unownedExecutor`).
final class BusLoop: SerialExecutor, @unchecked Sendable {
    // @unchecked: `bus` and `pending` are touched only on the loop thread
    // (checked by `assertOnLoop`); `queue` is protected by its Mutex.
    // @unchecked: a closure is handed over whole to the loop thread and runs
    // only there; the submitter keeps no reference to it.
    private enum Work: @unchecked Sendable {
        case job(UnownedJob)
        case closure(() -> Void)
    }

    private let queue = Mutex<(work: [Work], stopping: Bool)>(([], false))
    private let wakeFD: Int32
    private var thread = pthread_t()
    private var threadStarted = false
    private(set) var bus: OpaquePointer?
    /// Runs on the loop thread when the connection breaks (not on `stop`).
    var onDisconnect: (@Sendable (Int32) -> Void)?

    init() throws(PortalError) {
        wakeFD = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        guard wakeFD >= 0 else { throw .failed("eventfd: \(String(cString: strerror(burrow_errno())))") }
    }

    deinit { close(wakeFD) }

    /// Starts the thread; `open` runs first on it and creates the connection.
    func start(open: @escaping () throws(PortalError) -> OpaquePointer) async throws(PortalError) {
        let result: Result<Void, PortalError> = await withCheckedContinuation { continuation in
            submit {
                do throws(PortalError) {
                    self.bus = try open()
                    continuation.resume(returning: .success(()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
            let box = Unmanaged.passRetained(self).toOpaque()
            let rc = pthread_create(&thread, nil, busLoopThreadEntry, box)
            if rc != 0 {
                Unmanaged<BusLoop>.fromOpaque(box).release()
                // The closure above never runs; drop it and answer here.
                queue.withLock { $0.work.removeAll() }
                continuation.resume(returning: .failure(.failed("could not start the bus thread: \(String(cString: strerror(rc)))")))
            } else {
                threadStarted = true
            }
        }
        try result.get()
    }

    /// Queues `body` to run on the loop thread.
    func submit(_ body: @escaping () -> Void) {
        queue.withLock { $0.work.append(.closure(body)) }
        wake()
    }

    /// Runs `body` on the loop thread with the connection and returns its result.
    func perform<T: Sendable>(_ body: @escaping (OpaquePointer) throws(PortalError) -> T) async throws(PortalError) -> T {
        let result: Result<T, PortalError> = await withCheckedContinuation { continuation in
            submit {
                guard let bus = self.bus else {
                    continuation.resume(returning: .failure(.failed("the bus connection is closed")))
                    return
                }
                do throws(PortalError) {
                    continuation.resume(returning: .success(try body(bus)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        queue.withLock { $0.work.append(.job(unowned)) }
        wake()
    }

    var isOnLoopThread: Bool { threadStarted && pthread_equal(pthread_self(), thread) != 0 }

    func checkIsolated() {
        precondition(isOnLoopThread, "expected to run on the bus thread")
    }

    /// Asks the loop to finish: pending work runs, the connection is flushed
    /// and closed, and the thread exits. The first call from another thread
    /// waits for the thread; later calls only return.
    ///
    /// Only the first call may join: joining a thread twice is undefined,
    /// and in practice glibc has by then reused the first thread's control
    /// block for a new thread, so the second join reaps (or waits forever
    /// for) some other connection's loop. `close()` twice — e.g. from a
    /// `defer` and a `deinit` — is normal, so this must be idempotent.
    func stop() {
        guard threadStarted else { return }
        let first = queue.withLock { state -> Bool in
            defer { state.stopping = true }
            return !state.stopping
        }
        wake()
        guard first else { return }
        if isOnLoopThread {
            // Stopped from a handler on the loop itself: nobody can wait
            // for this thread, so let it clean up after itself.
            pthread_detach(thread)
        } else {
            pthread_join(thread, nil)
        }
    }

    private func wake() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    // MARK: The loop (runs on the thread)

    fileprivate func run() {
        while true {
            let (work, stopping) = queue.withLock { state -> ([Work], Bool) in
                let work = state.work
                state.work.removeAll(keepingCapacity: true)
                return (work, state.stopping)
            }
            for item in work {
                switch item {
                case .job(let job): job.runSynchronously(on: asUnownedSerialExecutor())
                case .closure(let body): body()
                }
            }
            guard let bus else {
                if stopping { return }
                waitForWork(busFD: -1, events: 0, timeoutMs: -1)
                continue
            }
            if stopping {
                // Replies and signals queued so far still go out.
                _ = burrow_sd_bus_flush(bus)
                burrow_sd_bus_close(bus)
                self.bus = burrow_sd_bus_unref(bus)
                return
            }
            let r = burrow_sd_bus_process(bus, nil)
            if r < 0 {
                onDisconnect?(-r)
                burrow_sd_bus_close(bus)
                self.bus = burrow_sd_bus_unref(bus)
                continue
            }
            if r > 0 { continue }
            var timeoutUsec: UInt64 = .max
            _ = burrow_sd_bus_get_timeout(bus, &timeoutUsec)
            waitForWork(busFD: burrow_sd_bus_get_fd(bus), events: Int16(truncatingIfNeeded: burrow_sd_bus_get_events(bus)), timeoutMs: Self.milliseconds(until: timeoutUsec))
        }
    }

    private func waitForWork(busFD: Int32, events: Int16, timeoutMs: Int32) {
        var fds = [pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0), pollfd(fd: busFD, events: events, revents: 0)]
        let n = poll(&fds, busFD >= 0 ? 2 : 1, timeoutMs)
        if n > 0, fds[0].revents & Int16(POLLIN) != 0 {
            var value: UInt64 = 0
            _ = read(wakeFD, &value, 8)
        }
    }

    /// sd-bus gives an absolute CLOCK_MONOTONIC deadline in µs (or UINT64_MAX).
    private static func milliseconds(until deadline: UInt64) -> Int32 {
        if deadline == .max { return -1 }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let nowUsec = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
        if deadline <= nowUsec { return 0 }
        return Int32(min((deadline - nowUsec + 999) / 1000, UInt64(Int32.max)))
    }
}

/// pthread entry point; lives outside main.swift so it is not main-actor code.
private func busLoopThreadEntry(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let context else { return nil }
    let loop = Unmanaged<BusLoop>.fromOpaque(context).takeRetainedValue()
    loop.run()
    return nil
}
