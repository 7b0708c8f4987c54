import PortalCommon
import Runtime

/// One `burrow run` command line, parsed: what `RunCommand` declares, as
/// plain values.
package struct RunInvocation: Equatable, Sendable {
    var command: String?
    var branch: String?
    var arch: String?
    var runtime: String?
    var devel: Bool
    var cwd: String?
    var noA11yBus: Bool
    var permissions: ContextFlags
    var spawn: SpawnFlags
    package var app: String
    package var arguments: [String]

    /// On the caller's executor (the launcher's main thread), so that the
    /// launch it plans and execs needs no other thread.
    nonisolated(nonsending) package func run() async throws {
        var pattern = try RefPattern(app, kind: .app)
        if let branch { pattern.branch = branch }
        if let arch { pattern.arch = arch }
        let (installation, appRef) = try Self.locate(pattern)
        var request = AppLaunch.Request(installation: installation, app: appRef, environment: ProcessEnvironment.current)
        request.commit = spawn.commit
        request.runtimeCommit = spawn.runtimeCommit
        request.command = command
        request.arguments = arguments
        request.workingDirectory = cwd
        request.extraContext = try permissions.context()
        if let runtime {
            let choice = try RefPattern(runtime, kind: .runtime)
            request.runtimeID = try AppID(choice.id)
            request.runtimeArch = choice.arch
            request.runtimeBranch = choice.branch
        }
        if devel {
            request.useSDK = true
            request.extraContext.features.grant(.devel)
        }
        request.sandboxed = spawn.sandbox
        request.emptyApp = spawn.emptyApp
        request.forwarded = Set(spawn.forwardFD)
        if noA11yBus { request.accessibility = nil }
        let launch = try await AppLaunch.prepare(request)
        do {
            try spawn.reportInstance(launch.instance.id)
        } catch {
            launch.instance.discard()
            throw error
        }
        try launch.exec()
    }

    /// The installation holding `pattern`: the user's first, then the system's.
    static func locate(_ pattern: RefPattern) throws -> (Installation, FlatpakRef) {
        let id = try AppID(pattern.id)
        for installation in [Installation.user(), Installation.system()] {
            let refs = try installation.installedRefs(named: id)
            if let ref = try? pattern.resolve(among: refs, where: "the \(installation.scope.rawValue) installation") {
                return (installation, ref)
            }
        }
        throw CLIError("\(pattern) is not installed")
    }
}
