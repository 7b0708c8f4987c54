import ArgumentParser
import Foundation
import Glibc
import PortalCommon
import Runtime

/// `burrow run [options] ID [ARGS...]`: runs an installed app in its sandbox.
///
/// Everything after ID is the app's, never burrow's or bwrap's: ArgumentParser
/// stops option parsing at the first positional (`.captureForPassthrough`),
/// and the plan hands the arguments to bwrap after `--` (the CVE-2024-32462
/// class, where app arguments were read as bwrap options).
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run an application in its sandbox.")

    @Option(help: "Command to run instead of the app's own.") var command: String?
    @Option(help: "Branch to run.") var branch: String?
    @Option(help: "Architecture to run.") var arch: String?
    @Option(help: "Working directory inside the sandbox.") var cwd: String?
    @OptionGroup var permissions: ContextOptions
    @OptionGroup var spawn: SpawnOptions
    @Argument(help: "Application ID (ID, ID//BRANCH or app/ID/ARCH/BRANCH).") var app: String
    @Argument(parsing: .captureForPassthrough, help: "Arguments for the application.") var arguments: [String] = []

    func run() async throws {
        var pattern = try RefPattern(app, kind: .app)
        if let branch { pattern.branch = branch }
        if let arch { pattern.arch = arch }
        let (installation, appRef) = try Self.locate(pattern)
        guard let active = try installation.deployment(for: appRef) else { throw CLIError("\(appRef) is not installed") }
        let deployment = try spawn.commit.map { try installation.deployment(for: appRef, commit: $0) } ?? active
        guard let runtimeRef = deployment.metadata.runtime else { throw CLIError("\(appRef) names no runtime in its metadata") }
        // The metadata names the runtime exactly: look it up, no pattern search.
        var found: Deployment?
        for candidate in [Installation.user(), Installation.system()] where found == nil {
            found = try candidate.deployment(for: runtimeRef)
            if let commit = spawn.runtimeCommit, found != nil { found = try candidate.deployment(for: runtimeRef, commit: commit) }
        }
        guard let runtime = found else {
            throw CLIError("\(appRef.id) needs \(runtimeRef.partial), which is not installed")
        }
        guard let commandName = command ?? deployment.metadata.command else {
            throw CLIError("\(appRef.id) has no command in its metadata; pass --command")
        }

        let user = try Self.currentUser()
        // Metadata, then system and user overrides, then this command line.
        // A sub-sandbox (--sandbox) starts from nothing: only what the
        // command line grants, never the app's metadata or overrides.
        let base = spawn.sandbox ? PermissionContext()
            : try Installation.effectiveContext(of: appRef.id, metadata: deployment.metadata.context)
        let context = try base.merging(try permissions.context())
        let instanceID = try Self.newInstanceID(runtimeDirectory: user.runtimeDirectory)
        let bus = try SessionBus.choose(appID: appRef.id, context: context, instanceID: instanceID,
                                        runtimeDirectory: user.runtimeDirectory)
        let info = try FlatpakInfo(appID: appRef.id, runtime: runtimeRef, instance: .init(
            instanceID: instanceID, instancePath: "\(user.home)/.var/app/\(appRef.id.rawValue)",
            appPath: deployment.filesPath, appCommit: deployment.commit,
            runtimePath: runtime.filesPath, runtimeCommit: runtime.commit,
            branch: appRef.branch, arch: appRef.arch, flatpakVersion: "1.14.10",
            sessionBusProxy: bus.proxies.contains(where: \.isSessionBus),
            systemBusProxy: bus.proxies.contains { !$0.isSessionBus }), context: context)
        // The proxy starts now and comes up while the sandbox is planned;
        // it is waited for only right before exec.
        let proxy = bus.proxies.isEmpty ? nil : try DBusProxy.start(proxies: bus.proxies, info: Array(try info.serialized().utf8))
        var environment: [String: String] = [:]
        // Display variables are set by the plan, and only for granted sockets.
        for key in ["LANG", "LANGUAGE", "LC_ALL", "TERM", "COLORTERM"] {
            if let value = ProcessInfo.processInfo.environment[key] { environment[key] = value }
        }
        var input = SandboxPlan.Input(
            appID: appRef.id, appFiles: spawn.emptyApp ? nil : deployment.filesPath, runtimeFiles: runtime.filesPath,
            runtimeLayout: try RuntimeLayout.inspect(filesDirectory: runtime.filesPath), info: info, context: context,
            user: user, command: commandName, arguments: arguments, environment: environment, workingDirectory: cwd,
            documentPortalMount: await DocumentStoreMount.find(runtimeDirectory: user.runtimeDirectory),
            userInstallation: installation.scope == .user ? installation.path : nil,
            sessionBusSocket: bus.socket, systemBusSocket: bus.systemSocket,
            hostSockets: .discover(environment: ProcessInfo.processInfo.environment, runtimeDirectory: user.runtimeDirectory))
        input.firstSlot = spawn.firstSlot
        let hostPaths = LauncherHostPaths(appDirectory: input.appDataDirectory)
        for directory in SandboxPlan.hostDirectories(for: input, hostPaths: hostPaths) {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
        let plan = try SandboxPlan(input, hostPaths: hostPaths)
        let instance = try InstanceRecord.create(id: instanceID, info: info, runtimeDirectory: user.runtimeDirectory)
        // bwrap writes {"child-pid": N} to --info-fd once the sandbox's
        // first process exists: what flatpak's bwrapinfo.json holds, and what
        // upstream portals read to find the sandbox.
        var descriptors = try plan.openDescriptors()
        descriptors[spawn.infoSlot] = try instance.openBwrapInfo()
        var commandLine = plan.commandLine()
        commandLine.insert(contentsOf: ["--info-fd", String(spawn.infoSlot)], at: 1)
        if let proxy {
            try proxy.waitUntilReady()
            // bwrap holds the proxy's pipe for the sandbox's lifetime; when
            // the sandbox ends, the pipe closes and the proxy exits.
            descriptors[spawn.syncSlot] = proxy.readyAndKeepAlive
            commandLine.insert(contentsOf: ["--sync-fd", String(spawn.syncSlot)], at: 1)
        }
        try spawn.reportInstance(instanceID)
        try SandboxExec.replaceProcess(with: commandLine, descriptors: descriptors, forwarded: Set(spawn.forwardFD))
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

    static func currentUser() throws -> SandboxPlan.User {
        let uid = getuid(), gid = getgid()
        guard let entry = getpwuid(uid) else { throw CLIError("cannot find the user entry of uid \(uid)") }
        let name = String(cString: entry.pointee.pw_name)
        let home = ProcessInfo.processInfo.environment["HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
            ?? String(cString: entry.pointee.pw_dir)
        let runtimeDirectory = Self.runtimeDirectory()
        var info = stat()
        guard stat(runtimeDirectory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, info.st_uid == uid else {
            throw CLIError("the runtime directory \(runtimeDirectory) is missing or not yours; set XDG_RUNTIME_DIR (mode 0700)")
        }
        let group = getgrgid(gid).map { String(cString: $0.pointee.gr_name) }
        return .init(uid: uid, gid: gid, name: name, realName: String(cString: entry.pointee.pw_gecos),
                     groupName: group, home: home, runtimeDirectory: runtimeDirectory)
    }

    /// `$XDG_RUNTIME_DIR`, or the session's usual `/run/user/UID`.
    static func runtimeDirectory() -> String {
        ProcessInfo.processInfo.environment["XDG_RUNTIME_DIR"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "/run/user/\(getuid())"
    }

    /// A fresh instance id, reserved by creating its directory (as Flatpak
    /// does under `$XDG_RUNTIME_DIR/.flatpak`), so two launches never share one.
    static func newInstanceID(runtimeDirectory: String) throws -> String {
        let base = runtimeDirectory + "/.flatpak"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for _ in 0..<100 {
            let id = String(UInt32.random(in: 1_000_000_000...UInt32.max))
            if mkdir(base + "/" + id, 0o700) == 0 { return id }
            if errno != EEXIST { break }
        }
        throw CLIError("cannot reserve an instance directory in \(base): \(String(cString: strerror(errno)))")
    }
}
