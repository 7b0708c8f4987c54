import Foundation
import PortalCommon
import Testing
import TestSupport

@Suite("Closing a bus connection")
struct BusConnectionCloseTests {
    /// `close()` twice (a `defer` and a `deinit`, say) must not touch the
    /// loop thread a second time: a second pthread_join of the exited
    /// thread landed on the control block glibc had handed to the next
    /// connection's thread, and that connection's own close() then waited
    /// forever.
    @Test func closingTwiceLeavesOtherConnectionsAlone() async throws {
        let bus = try PrivateBus()
        defer { bus.stop() }
        // glibc reuses the most recently freed thread stack, so `second`'s
        // loop thread almost always gets `first`'s old control block.
        for _ in 0..<20 {
            let first = try await BusConnection.connect(.address(bus.address))
            first.close()
            let second = try await BusConnection.connect(.address(bus.address))
            try await closeWithin(.seconds(10), first)
            #expect(try await second.nameHasOwner("org.freedesktop.DBus"))
            try await closeWithin(.seconds(10), second)
        }
    }

    /// Closes on a thread of its own, so a hang fails the test instead of
    /// blocking a cooperative-pool thread for good.
    private func closeWithin(_ limit: Duration, _ connection: BusConnection) async throws {
        let closed = AsyncStream<Void>.makeStream()
        Thread {
            connection.close()
            closed.continuation.yield()
        }.start()
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await _ in closed.stream { return true }
                return false
            }
            group.addTask {
                try await Task.sleep(for: limit)
                return false
            }
            defer { group.cancelAll() }
            guard try await group.next() == true else {
                throw TestFailure("close() did not return within \(limit)")
            }
        }
    }
}
