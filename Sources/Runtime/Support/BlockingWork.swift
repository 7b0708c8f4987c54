import Glibc
import PortalCommon

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
            do throws(PortalError) {
                try DetachedThread.start(name: "blocking work") { continuation.resume(with: Result { try body() }) }
            } catch {
                continuation.resume(throwing: InstallerError(.system(errno: EAGAIN), error.message))
            }
        }
    }
}
