import Foundation
import TestSupport

/// `python3 -m http.server` serving a repository on loopback, stopped when
/// the value goes away.
final class RepositoryWebServer: @unchecked Sendable {
    let process: ChildProcess
    let url: String

    init(serving directory: String) async throws {
        let port = Int.random(in: 20000...60000)
        // Request logs go to /dev/null: a pipe nobody reads would fill and
        // stall the server.
        process = try ChildProcess("/bin/sh", [
            "-c", "exec python3 -m http.server --bind 127.0.0.1 \"$0\" --directory \"$1\" >/dev/null 2>&1", "\(port)", directory,
        ])
        url = "http://127.0.0.1:\(port)/"
        try await InstallCommandTests.waitForServer(port: port)
    }

    deinit { process.stop() }
}
