import Foundation
import PortalCommon
import Testing
import TestSupport

/// What one run of the built `burrow` binary did.
struct BurrowRun: CustomStringConvertible {
    let status: Int32
    let stdout: String
    let stderr: String

    var lines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }
    var description: String { "exit \(status), stdout \(String(reflecting: stdout)), stderr \(String(reflecting: stderr))" }
}

/// Runs `burrow ARGUMENTS` as a user of `store` would: its session bus and
/// the data directory the store keeps its tables in.
func burrow(_ arguments: [String], store: StoreDaemon) async throws -> BurrowRun {
    try await burrow(arguments, environment: store.clientEnvironment)
}

func burrow(_ arguments: [String], environment: [String: String]) async throws -> BurrowRun {
    let result = try await runProgram(try BuiltProducts.path("burrow"), arguments, environment: environment,
                                      timeout: .seconds(60))
    return BurrowRun(status: result.status, stdout: result.stdout, stderr: result.stderr)
}

/// One tab-separated listing row, as `burrow permissions` prints to a pipe.
func row(_ fields: String...) -> String { fields.joined(separator: "\t") }

extension StoreDaemon {
    /// The store's client on the test's own connection.
    var permissions: PermissionStoreClient { PermissionStoreClient(connection: client) }
}
