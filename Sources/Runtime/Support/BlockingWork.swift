import Glibc

/// Runs blocking work — libostree pulls and checkouts, waiting for an
/// installation lock — on a thread of its own and resumes the caller when it
/// is done.
///
/// Swift's cooperative pool has one thread per core (two here); a pull that
/// blocked one of them for seconds would stall every other task in the
/// process, and two would deadlock it.
public enum BlockingWork {
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let job = Job { continuation.resume(with: Result { try body() }) }
            let context = Unmanaged.passRetained(job).toOpaque()
            var attributes = pthread_attr_t()
            pthread_attr_init(&attributes)
            defer { pthread_attr_destroy(&attributes) }
            pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
            var thread = pthread_t()
            let result = pthread_create(&thread, &attributes, { context in
                let job = Unmanaged<Job>.fromOpaque(context!).takeRetainedValue()
                job.body()
                return nil
            }, context)
            if result != 0 {
                Unmanaged<Job>.fromOpaque(context).release()
                continuation.resume(throwing: InstallerError(
                    .system(errno: result), "cannot start a worker thread: \(String(cString: strerror(result)))"))
            }
        }
    }

    private final class Job {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }
}
