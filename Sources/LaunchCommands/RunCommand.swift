package import ArgumentParser
import FoundationEssentials
import Glibc
import PortalCommon
import Runtime

/// `burrow run [options] ID [ARGS...]`: runs an installed app in its sandbox.
///
/// Everything after ID is the app's, never burrow's or bwrap's: ArgumentParser
/// stops option parsing at the first positional (`.captureForPassthrough`),
/// and the plan hands the arguments to bwrap after `--` (the CVE-2024-32462
/// class, where app arguments were read as bwrap options).
package struct RunCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(commandName: "run", abstract: "Run an application in its sandbox.")

    @Option(help: "Command to run instead of the app's own.") var command: String?
    @Option(help: "Branch to run.") var branch: String?
    @Option(help: "Architecture to run.") var arch: String?
    @Option(help: "Working directory inside the sandbox.") var cwd: String?
    @Flag(name: .customLong("no-a11y-bus"), help: "Do not give the app the accessibility bus.") var noA11yBus = false
    @OptionGroup var permissions: ContextOptions
    @OptionGroup var spawn: SpawnOptions
    @Argument(help: "Application ID (ID, ID//BRANCH or app/ID/ARCH/BRANCH).") var app: String
    @Argument(parsing: .captureForPassthrough, help: "Arguments for the application.") var arguments: [String] = []

    package init() {}

    package func run() async throws {
        var pattern = try RefPattern(app, kind: .app)
        if let branch { pattern.branch = branch }
        if let arch { pattern.arch = arch }
        let (installation, appRef) = try Self.locate(pattern)
        var request = AppLaunch.Request(installation: installation, app: appRef, environment: ProcessInfo.processInfo.environment)
        request.commit = spawn.commit
        request.runtimeCommit = spawn.runtimeCommit
        request.command = command
        request.arguments = arguments
        request.workingDirectory = cwd
        request.extraContext = try permissions.context()
        request.sandboxed = spawn.sandbox
        request.emptyApp = spawn.emptyApp
        request.forwarded = Set(spawn.forwardFD)
        if noA11yBus { request.accessibility = nil }
        let launch = try await AppLaunch.prepare(request)
        try spawn.reportInstance(launch.instance.id)
        try launch.exec()
    }

    /// The installation holding `pattern`: the user's first, then the system's.
    static func locate(_ pattern: RefPattern) throws -> (Installation, FlatpakRef) {
        for installation in [Installation.user(), Installation.system()] {
            let refs = try installation.installedRefs().map(\.ref)
            if let ref = try? pattern.resolve(among: refs, where: "the \(installation.scope.rawValue) installation") {
                return (installation, ref)
            }
        }
        throw CLIError("\(pattern) is not installed")
    }
}
