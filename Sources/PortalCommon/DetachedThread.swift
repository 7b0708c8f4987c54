import CLinux
import Glibc

/// A thread of its own for work that blocks or must outlive Swift's worker
/// threads (a FUSE loop, the thread sandboxes are started from, a terminal
/// reader): a detached pthread, named for `ps -L` and debuggers.
public enum DetachedThread {
    public static func start(name: String, _ body: @escaping @Sendable () -> Void) throws(PortalError) {
        let context = Unmanaged.passRetained(Job(name: name, body: body)).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let result = pthread_create(&thread, &attributes, { context in
            let job = Unmanaged<Job>.fromOpaque(context!).takeRetainedValue()
            // Linux allows 15 characters and a NUL.
            _ = burrow_set_thread_name(String(job.name.prefix(15)))
            job.body()
            return nil
        }, context)
        if result != 0 {
            Unmanaged<Job>.fromOpaque(context).release()
            throw .failed("cannot start the \(name) thread: \(String(cString: strerror(result)))")
        }
    }

    private final class Job {
        let name: String
        let body: @Sendable () -> Void
        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }
}
