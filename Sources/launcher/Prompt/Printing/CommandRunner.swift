import PortalCommon
import Runtime

/// Runs the CUPS command-line tools (ChildCommand) on a thread of its own
/// (`BlockingWork`), because waiting for a child blocks.
enum CommandRunner {
    static func run(_ path: String, _ arguments: [String], standardInput: UnixFD? = nil) async throws(PortalError) -> CommandResult {
        do {
            return try await BlockingWork.run { try ChildCommand.run(path, arguments, standardInput: standardInput) }
        } catch {
            throw PortalError(error)
        }
    }
}
