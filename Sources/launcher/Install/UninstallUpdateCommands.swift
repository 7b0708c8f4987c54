import ArgumentParser
import Installer
import LaunchCommands
import PortalCommon
import Runtime

/// `burrow uninstall [--unused] REF...`
struct UninstallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "uninstall", abstract: "Uninstall applications or runtimes.")

    @OptionGroup var installationOptions: InstallationOptions
    @Flag(help: "Uninstall every runtime no installed application uses.") var unused = false
    @Flag(help: "Print nothing but errors.") var noninteractive = false
    @Flag(name: [.customShort("y"), .customLong("assumeyes")], help: "Accepted for flatpak compatibility; uninstall never asks.")
    var assumeYes = false
    @Argument(help: "Refs to uninstall.") var refs: [String] = []

    func validate() throws {
        if refs.isEmpty && !unused { throw ValidationError("name the refs to uninstall, or pass --unused") }
    }

    func run() async throws {
        try installationOptions.requireWritable()
        let installation = installationOptions.installation
        let installed = try installation.installedRefs()
        var targets = try refs.map { try RefPattern($0).resolve(among: installed.map(\.ref), where: "the \(installation.scope.rawValue) installation") }
        if unused {
            var used = Set<String>()
            for entry in installed where entry.ref.kind == .app && !targets.contains(entry.ref) {
                if let runtime = try installation.deployment(for: entry.ref)?.metadata.runtime { used.insert(runtime.partial) }
            }
            targets += installed.map(\.ref).filter { $0.kind == .runtime && !used.contains($0.partial) && !targets.contains($0) }
        }
        // A runtime an app still uses stays, unless that app goes too.
        for target in targets where target.kind == .runtime {
            for entry in installed where entry.ref.kind == .app && !targets.contains(entry.ref) {
                if try installation.deployment(for: entry.ref)?.metadata.runtime?.partial == target.partial {
                    throw CLIError("\(target) is used by \(entry.ref.id); uninstall that first")
                }
            }
        }
        // Apps before runtimes.
        for target in targets.sorted(by: { ($0.kind == .app ? 0 : 1) < ($1.kind == .app ? 0 : 1) }) {
            try await installation.uninstall(target)
            if !noninteractive { print("Uninstalled \(target)") }
        }
    }
}

/// `burrow update [REF...]`: every installed ref, or the ones named.
struct UpdateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "update", abstract: "Update installed applications and runtimes.")

    @OptionGroup var installationOptions: InstallationOptions
    @Flag(help: "Print nothing but errors.") var noninteractive = false
    @Flag(name: [.customShort("y"), .customLong("assumeyes")], help: "Accepted for flatpak compatibility; update never asks.")
    var assumeYes = false
    @Argument(help: "Refs to update (default: all).") var refs: [String] = []

    func run() async throws {
        try installationOptions.requireWritable()
        let installation = installationOptions.installation
        let installed = try installation.installedRefs().map(\.ref)
        let targets = refs.isEmpty ? installed : try refs.map {
            try RefPattern($0).resolve(among: installed, where: "the \(installation.scope.rawValue) installation")
        }
        for target in targets {
            let progress = ProgressLine("Updating \(target.id)", quiet: noninteractive)
            switch try await installation.update(target, progress: progress.reporter) {
            case .upToDate:
                if !noninteractive { print("\(target) is up to date") }
            case .updated(let old, let deployment):
                if !noninteractive { print("Updated \(target): \(old.prefix(12)) → \(deployment.commit.prefix(12))") }
            }
        }
    }
}

/// `burrow repair [--dry-run]`: checks every deployment against its commit
/// and redeploys broken ones from the repository.
struct RepairCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "repair", abstract: "Check the installation and repair it.")

    @OptionGroup var installationOptions: InstallationOptions
    @Flag(name: .customLong("dry-run"), help: "Only report what is wrong.") var dryRun = false

    func run() async throws {
        if !dryRun { try installationOptions.requireWritable() }
        let report = try await installationOptions.installation.repair(dryRun: dryRun)
        for line in report.repaired { print(line) }
        for line in report.unrecoverable { print("unrecoverable: " + line) }
        print("\(report.checked) refs checked, \(report.repaired.count) repaired, \(report.unrecoverable.count) unrecoverable")
        if !report.unrecoverable.isEmpty { throw CLIError("some refs could not be repaired; reinstall them") }
    }
}
