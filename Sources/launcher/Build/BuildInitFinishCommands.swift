import ArgumentParser
import FoundationEssentials
import LaunchCommands
import PortalCommon
import Runtime

/// `burrow build-init DIR APPID SDK RUNTIME [BRANCH]` — flatpak's argument
/// order: the SDK comes before the runtime.
struct BuildInitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "build-init", abstract: "Initialize a directory for building an application.")

    @Option(help: "Architecture (default: this machine's).") var arch: String?
    @Flag(name: .customLong("no-check-installed"), help: "Do not require the SDK and runtime to be installed.")
    var noCheckInstalled = false
    @Argument(help: "Build directory to create.") var directory: String
    @Argument(help: "Application ID.") var appID: String
    @Argument(help: "SDK ID.") var sdk: String
    @Argument(help: "Runtime ID.") var runtime: String
    @Argument(help: "Runtime branch (default: master).") var branch: String = "master"

    func run() async throws {
        let arch = self.arch ?? FlatpakArch.current
        let name = try AppID(appID)
        let runtimeRef = try FlatpakRef(kind: .runtime, id: AppID(runtime), arch: arch, branch: branch)
        let sdkRef = try FlatpakRef(kind: .runtime, id: AppID(sdk), arch: arch, branch: branch)
        if !noCheckInstalled {
            // As flatpak: building needs the SDK (and the runtime to run the result).
            let installed = Set(try Installation.user().installedRefs().map(\.ref) + Installation.system().installedRefs().map(\.ref))
            for ref in [sdkRef, runtimeRef] where !installed.contains(ref) {
                throw CLIError("\(ref.partial) is not installed (pass --no-check-installed to initialize anyway)")
            }
        }
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: directory + "/metadata") {
            throw CLIError("build directory \(directory) is already initialized")
        }
        for sub in ["files", "var/tmp", "var/run"] {
            try fileManager.createDirectory(atPath: directory + "/" + sub, withIntermediateDirectories: true)
        }
        let metadata = AppMetadata(kind: .app, name: name, runtime: runtimeRef, sdk: sdkRef)
        try AtomicFile.write(metadata.serialized(fileName: directory + "/metadata"), to: directory + "/metadata")
    }
}

/// `burrow build-finish DIR [--command=] [permission flags]`: records the
/// command and the permissions in the metadata and marks the build finished.
struct BuildFinishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "build-finish", abstract: "Finalize a build directory.")

    @Option(help: "Command to run (default: the only executable in files/bin).") var command: String?
    @OptionGroup var permissions: ContextOptions
    @Argument(help: "Build directory.") var directory: String

    func run() async throws {
        let path = directory + "/metadata"
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw CLIError("build directory \(directory) is not initialized (no metadata); run build-init first")
        }
        var metadata = try AppMetadata(parsing: Array(bytes), fileName: path)
        guard metadata.kind == .app else { throw CLIError("\(path) describes a runtime; build-finish is for applications") }
        metadata.context = metadata.context.merging(try permissions.context())
        if let command {
            metadata.command = command
        } else if metadata.command == nil {
            let bin = directory + "/files/bin"
            let executables = (try? FileManager.default.contentsOfDirectory(atPath: bin))?
                .filter { FileManager.default.isExecutableFile(atPath: bin + "/" + $0) }.sorted() ?? []
            guard executables.count == 1 else {
                throw CLIError(executables.isEmpty
                    ? "no executable in \(bin); pass --command"
                    : "several executables in \(bin) (\(executables.joined(separator: ", "))); pass --command")
            }
            metadata.command = executables[0]
        }
        try FileManager.default.createDirectory(atPath: directory + "/export", withIntermediateDirectories: true)
        try AtomicFile.write(metadata.serialized(fileName: path), to: path)
    }
}
