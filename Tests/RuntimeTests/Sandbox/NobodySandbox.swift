import Foundation
import PortalCommon
import Runtime
import TestSupport

/// Runs real bwrap as `nobody` (the tests run as root; an app never does),
/// with descriptors placed in bwrap's table, as the launcher will.
enum NobodySandbox {
    static let uid = Nobody.uid

    static func run(
        _ bwrapArguments: [String], descriptors: [Int32: UnixFD] = [:], timeout: Duration = .seconds(60)
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        let raw = descriptors.mapValues { $0.withRawDescriptor { $0 } }
        let command = Nobody.command("/usr/bin/bwrap", bwrapArguments)
        let result = try await runProgram(command[0], Array(command.dropFirst()), timeout: timeout, inheritedDescriptors: raw)
        // The owners must outlive the spawn above.
        withExtendedLifetime(descriptors) {}
        return result
    }

    /// The host's root read-only, private everything else, and — the worst
    /// case for the filter — every capability bwrap can hand out inside the
    /// sandbox's user namespace. Whatever the probe is refused under these
    /// conditions, the filter refused.
    static let probeArguments = [
        "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
        "--cap-add", "ALL",
    ]

    /// Runs `program` under `filter` (none: the kernel alone) and returns its
    /// `name=RESULT` lines.
    static func probe(
        _ program: String, _ checks: [String], filter: SeccompFilter?
    ) async throws -> (results: [String: String], status: Int32, stderr: String) {
        var arguments = probeArguments
        var descriptors: [Int32: UnixFD] = [:]
        if let filter {
            descriptors[9] = try filter.compile()
            arguments += ["--seccomp", "9"]
        }
        let result = try await run(arguments + [program] + checks, descriptors: descriptors)
        return (SyscallProbe.parse(result.stdout), result.status, result.stderr)
    }
}
