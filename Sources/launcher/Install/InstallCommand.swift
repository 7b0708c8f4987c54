import ArgumentParser
import FoundationEssentials
import Installer
import LaunchCommands
import PortalCommon
import Runtime
import Glibc

/// `burrow install [--user|--system] [-y] [--noninteractive] REMOTE REF...`
/// `burrow install --bundle FILE`
///
/// Resolves each (partial) ref against the remote's summary, adds the
/// runtime an app needs when it is not installed, shows the permissions the
/// app asks for and — on a terminal — asks before changing anything.
struct InstallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Install applications or runtimes from a remote."
    )

    @OptionGroup var installationOptions: InstallationOptions

    @Flag(name: [.customShort("y"), .customLong("assumeyes")], help: "Answer yes to every question.")
    var assumeYes = false

    @Flag(help: "Never ask, and print nothing but errors (for scripts).")
    var noninteractive = false

    @Flag(help: "Install the single-file bundle named instead of a remote.")
    var bundle = false

    @Flag(help: "Install what the .flatpakref file named instead of a remote describes.")
    var from = false

    @Flag(name: .customLong("no-gpg-verify"), help: "With --from: accept a .flatpakref without a GPG key.")
    var noGPGVerify = false

    @Argument(help: "The remote to install from (with --bundle: the bundle file).")
    var remote: String

    @Argument(help: "Refs: ID, ID//BRANCH, ID/ARCH/BRANCH or app|runtime/ID/ARCH/BRANCH.")
    var refs: [String] = []

    func validate() throws {
        if (bundle || from) && !refs.isEmpty { throw ValidationError("--bundle and --from take one file and no refs") }
        if !bundle && !from && refs.isEmpty { throw ValidationError("name at least one ref to install") }
    }

    func run() async throws {
        try installationOptions.requireWritable()
        if bundle { return try await installBundle(remote) }
        if from {
            // The remote the .flatpakref describes (its suggested name, or
            // ID-origin), then the ref it names, as any install.
            let file = try RepoFile(reading: remote, group: "Flatpak Ref")
            guard let ref = file.ref else { throw CLIError("\(remote) names no ref") }
            let name = ref.suggestedRemote ?? "\(ref.name)-origin"
            try await file.addRemote(name, to: installationOptions.installation, allowUnsigned: noGPGVerify, ifNotExists: true)
            let text = "\(ref.isRuntime ? "runtime" : "app")/\(ref.name)/\(FlatpakArch.current)/\(ref.branch)"
            return try await install(from: name, refs: [text])
        }
        try await install(from: remote, refs: refs)
    }

    func install(from remote: String, refs: [String]) async throws {
        let installation = installationOptions.installation
        let summary = try await installation.remoteSummary(remote)
        let offered = summary.flatpakRefs
        let installed = Set(try installation.installedRefs().map(\.ref))

        // Everything to install, runtimes first so an app never lands
        // without the runtime it needs.
        var plan: [FlatpakRef] = []
        var apps: [(FlatpakRef, AppMetadata?)] = []
        for text in refs {
            let ref = try RefPattern(text).resolve(among: offered, where: "remote \(remote)")
            if installed.contains(ref) { throw CLIError("\(ref) is already installed; use `burrow update` to update it") }
            let metadata = try summary.refs[ref.description]?.metadata.map {
                try AppMetadata(parsing: Array($0.utf8), fileName: "\(remote):\(ref)")
            }
            if ref.kind == .app, let runtime = metadata?.runtime {
                let runtimeRef = try FlatpakRef(kind: .runtime, id: runtime.id, arch: runtime.arch, branch: runtime.branch)
                if !installed.contains(runtimeRef) && !plan.contains(runtimeRef) {
                    guard offered.contains(runtimeRef) else {
                        throw CLIError("\(ref.id) needs \(runtimeRef), which is neither installed nor offered by \(remote)")
                    }
                    plan.append(runtimeRef)
                }
            }
            if !plan.contains(ref) { plan.append(ref) }
            if ref.kind == .app { apps.append((ref, metadata)) }
        }
        plan.sort { ($0.kind == .runtime ? 0 : 1) < ($1.kind == .runtime ? 0 : 1) }

        if !noninteractive {
            print("Installing in the \(installation.scope.rawValue) installation from \(remote):")
            for ref in plan {
                let size = summary.refs[ref.description]?.downloadSize.map { "  (\(ProgressLine.bytes($0)) to download)" } ?? ""
                print("  \(ref)\(size)")
            }
            for (ref, metadata) in apps {
                print(PermissionSummary(metadata?.context ?? PermissionContext()).render(for: ref.id.rawValue))
            }
        }
        if !assumeYes && !noninteractive && isatty(0) == 1 {
            print("Proceed with these changes? [Y/n]: ", terminator: "")
            let answer = readLine()?.trimmingCharacters(in: " \t").lowercased() ?? "n"
            guard answer.isEmpty || answer == "y" || answer == "yes" else { throw CLIError("nothing was installed") }
        }

        // One pull for the whole plan (a runtime and its app share a fetch
        // and a repository transaction), then one deploy each, in order.
        let progress = ProgressLine("Installing \(plan.map(\.id.rawValue).joined(separator: ", "))", quiet: noninteractive)
        let deployments = try await installation.install(plan, from: remote, progress: progress.reporter)
        if !noninteractive {
            for (ref, deployment) in zip(plan, deployments) { print("Installed \(ref) (commit \(deployment.commit.prefix(12)))") }
        }
    }
}

/// The permissions an app asks for, in one short block (flatpak prints the
/// same before installing).
struct PermissionSummary {
    let context: PermissionContext
    init(_ context: PermissionContext) { self.context = context }

    var items: [String] {
        var items: [String] = []
        items += context.shared.granted.map(\.rawValue).sorted()
        items += context.sockets.granted.map(\.rawValue).sorted()
        items += context.devices.granted.map { "device=\($0.rawValue)" }.sorted()
        items += context.features.granted.map { "allow=\($0.rawValue)" }.sorted()
        items += context.filesystems.filter { $0.value != .none }.keys.sorted().map { filesystem in
            let mode = context.filesystems[filesystem]!
            return "file access: \(filesystem)" + (mode == .readOnly ? ":ro" : mode == .create ? ":create" : "")
        }
        items += context.sessionBusPolicy.rules.filter { $0.value >= .talk }.keys.sorted().map {
            "dbus \(context.sessionBusPolicy.rules[$0]!): \($0)"
        }
        items += context.systemBusPolicy.rules.filter { $0.value >= .talk }.keys.sorted().map {
            "system dbus \(context.systemBusPolicy.rules[$0]!): \($0)"
        }
        return items
    }

    func render(for app: String) -> String {
        let list = items
        if list.isEmpty { return "\(app) asks for no permissions beyond the sandbox." }
        return "\(app) permissions:\n" + list.map { "    \($0)" }.joined(separator: "\n")
    }
}

extension InstallCommand {
    /// `--bundle FILE`: the app's runtime must be installed already (the
    /// bundle's runtime repository is named if it is not).
    func installBundle(_ file: String) async throws {
        let installation = installationOptions.installation
        let header = try OSTreeRepository.readBundleHeader(file)
        let ref = try FlatpakRef(parsing: header.ref)
        if ref.kind == .app, let text = header.metadata,
           let runtime = try AppMetadata(parsing: Array(text.utf8), fileName: file).runtime {
            let runtimeRef = try FlatpakRef(kind: .runtime, id: runtime.id, arch: runtime.arch, branch: runtime.branch)
            let present = try [Installation.user(), Installation.system()].contains { try $0.deployment(for: runtimeRef) != nil }
            guard present else {
                let hint = header.runtimeRepository.map { " (the bundle names \($0) for it)" } ?? ""
                throw CLIError("\(ref.id) needs \(runtimeRef), which is not installed; install it first\(hint)")
            }
        }
        let deployment = try await BlockingWork.run { try installation.installBundle(file) }
        if !noninteractive { print("Installed \(ref) (\(deployment.commit.prefix(12))) from \(file)") }
    }
}
