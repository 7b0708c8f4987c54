/// The first `count` elements of `stream`, or a failure after `timeout`,
/// so a signal that never comes fails the test instead of hanging it.
public func first<Element: Sendable>(_ count: Int, of stream: AsyncStream<Element>,
                                     timeout: Duration = .seconds(10)) async throws -> [Element] {
    try await withThrowingTaskGroup(of: [Element]?.self) { group in
        group.addTask {
            var collected: [Element] = []
            for await element in stream {
                collected.append(element)
                if collected.count == count { break }
            }
            return collected
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let result = try await group.next(), let collected = result else {
            throw TestFailure("fewer than \(count) elements arrived within \(timeout)")
        }
        return collected
    }
}
