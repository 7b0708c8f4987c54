package import ArgumentParser
import FoundationEssentials
import Glibc
import PortalCommon
import Runtime

/// `burrow ps`: running sandboxes, one per line.
package struct PsCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(commandName: "ps", abstract: "List running sandboxes.")

    package init() {}

    package func run() async throws {
        var table = TablePrinter(titles: ["Instance", "PID", "Child-PID", "Application", "Runtime"])
        for instance in InstanceRecord.running(runtimeDirectory: SandboxPlan.User.runtimeDirectory(environment: ProcessInfo.processInfo.environment)) {
            table.append([instance.id, String(instance.bwrapPID), instance.childPID.map(String.init) ?? "-",
                          instance.info.appID.rawValue, instance.info.runtime?.partial ?? "-"])
        }
        table.print()
    }
}

/// `burrow kill INSTANCE|ID`: ends sandboxes (SIGKILL to their bwrap, as
/// flatpak kill does; bwrap's --die-with-parent takes the rest down).
package struct KillCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(commandName: "kill", abstract: "Stop a running sandbox.")
    @Argument(help: "Instance ID or application ID.") var target: String

    package init() {}

    package func run() async throws {
        let matching = InstanceRecord.running(runtimeDirectory: SandboxPlan.User.runtimeDirectory(environment: ProcessInfo.processInfo.environment))
            .filter { $0.id == target || $0.info.appID.rawValue == target }
        guard !matching.isEmpty else { throw CLIError("\(target) is not running") }
        for instance in matching where kill(instance.bwrapPID, SIGKILL) != 0 && errno != ESRCH {
            throw CLIError("cannot stop instance \(instance.id): \(String(cString: strerror(errno)))")
        }
    }
}

/// `burrow enter INSTANCE|ID COMMAND [ARGS...]`: a command inside a running
/// sandbox (its namespaces, root and environment).
package struct EnterCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(commandName: "enter", abstract: "Run a command inside a running sandbox.")
    @Argument(help: "Instance ID or application ID.") var target: String
    @Argument(help: "Command to run.") var program: String
    @Argument(parsing: .captureForPassthrough, help: "Its arguments, passed on verbatim.") var arguments: [String] = []

    package init() {}

    package func run() async throws {
        let matching = InstanceRecord.running(runtimeDirectory: SandboxPlan.User.runtimeDirectory(environment: ProcessInfo.processInfo.environment))
            .filter { $0.id == target || $0.info.appID.rawValue == target }
        guard let instance = matching.first else { throw CLIError("\(target) is not running") }
        guard matching.count == 1 else {
            throw CLIError("\(target) runs as several instances (\(matching.map(\.id).joined(separator: ", "))); name one")
        }
        guard let child = instance.childPID else { throw CLIError("instance \(instance.id) has not started yet") }
        try SandboxEnter.run(childPID: child, command: [program] + arguments)
    }
}
