package import ArgumentParser

/// `burrow run [options] ID [ARGS...]`: runs an installed app in its sandbox.
///
/// Everything after ID is the app's, never burrow's or bwrap's: ArgumentParser
/// stops option parsing at the first positional (`.captureForPassthrough`),
/// and the plan hands the arguments to bwrap after `--` (the CVE-2024-32462
/// class, where app arguments were read as bwrap options).
///
/// These declarations are the reference for `run`'s syntax, help and
/// errors; `RunInvocation.quickParse` reads the plain command lines of
/// every launch without them (see there).
package struct RunCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(commandName: "run", abstract: "Run an application in its sandbox.")

    @Option(help: "Command to run instead of the app's own.") var command: String?
    @Option(help: "Branch to run.") var branch: String?
    @Option(help: "Architecture to run.") var arch: String?
    @Option(help: "Runtime to use instead of the app's: ID, ID//BRANCH or ID/ARCH/BRANCH.") var runtime: String?
    @Flag(help: "Use the app's SDK as its runtime and allow development tools (ptrace, perf).") var devel = false
    @Option(help: "Working directory inside the sandbox.") var cwd: String?
    @Flag(name: .customLong("no-a11y-bus"), help: "Do not give the app the accessibility bus.") var noA11yBus = false
    @OptionGroup var permissions: ContextOptions
    @OptionGroup var spawn: SpawnOptions
    @Argument(help: "Application ID (ID, ID//BRANCH or app/ID/ARCH/BRANCH).") var app: String
    @Argument(parsing: .captureForPassthrough, help: "Arguments for the application.") var arguments: [String] = []

    package init() {}

    package var invocation: RunInvocation {
        RunInvocation(command: command, branch: branch, arch: arch, runtime: runtime, devel: devel, cwd: cwd, noA11yBus: noA11yBus,
                      permissions: permissions.flags, spawn: spawn.flags, app: app, arguments: arguments)
    }

    package func run() async throws { try await invocation.run() }
}
