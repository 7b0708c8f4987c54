import Dispatch
import PortalCommon
import Synchronization

/// The one thread that starts sandboxes. bwrap's --die-with-parent (and
/// the D-Bus proxy's) fire when the *thread* that forked them ends, and
/// Swift's worker threads come and go; this thread lives as long as the
/// portal, so a sandbox lives until it exits or the portal does.
final class SpawnerThread: Sendable {
    private let jobs = Mutex<[@Sendable () -> Void]>([])
    private let wakeUp = DispatchSemaphore(value: 0)

    init() throws(PortalError) {
        try DetachedThread.start(name: "spawner") { [self] in
            while true {
                wakeUp.wait()
                guard let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { continue }
                job()
            }
        }
    }

    /// Runs `work` on the spawner thread and returns its result.
    func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            jobs.withLock { $0.append { continuation.resume(with: Result { try work() }) } }
            wakeUp.signal()
        }
    }
}
