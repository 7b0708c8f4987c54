import ArgumentParser
import FoundationEssentials
import LaunchCommands
import PortalCommon
import Runtime
import Glibc

/// `burrow list [--user|--system] [--app|--runtime] [--columns=…]`: what is
/// installed, one ref per line. Without --user or --system both
/// installations are listed, the user's first, as flatpak lists them.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List installed applications and runtimes.")

    @OptionGroup var installationOptions: InstallationOptions
    @Flag(help: "List applications only.") var app = false
    @Flag(help: "List runtimes only.") var runtime = false
    @Option(help: "Columns to show, comma-separated (\(ListColumn.allCases.map(\.rawValue).joined(separator: ", ")); 'help' lists them).")
    var columns = ListColumn.defaults.map(\.rawValue).joined(separator: ",")

    func run() async throws {
        let selected = try ListColumn.parse(columns)
        guard !selected.isEmpty else {
            print(ListColumn.allCases.map { "\($0.rawValue)\t\($0.title)" }.joined(separator: "\n"))
            return
        }
        var table = TablePrinter(titles: selected.map(\.title))
        let installations = installationOptions.user || installationOptions.system
            ? [installationOptions.installation] : [Installation.user(), Installation.system()]
        for installation in installations {
            for entry in try installation.installedRefs() {
                if app && entry.ref.kind != .app || runtime && entry.ref.kind != .runtime { continue }
                table.append(try selected.map { try $0.value(of: entry, in: installation) })
            }
        }
        table.print()
    }
}

/// What `list --columns` can show.
enum ListColumn: String, CaseIterable {
    case application, arch, branch, kind, origin, active, installation, ref, runtime, size

    static let defaults: [ListColumn] = [.application, .arch, .branch, .kind, .origin, .active]

    var title: String {
        switch self {
        case .application: "Application ID"
        case .arch: "Arch"
        case .branch: "Branch"
        case .kind: "Kind"
        case .origin: "Origin"
        case .active: "Commit"
        case .installation: "Installation"
        case .ref: "Ref"
        case .runtime: "Runtime"
        case .size: "Installed size"
        }
    }

    /// `help` gives no columns (the caller lists them); anything unknown is
    /// an error naming what is known.
    static func parse(_ text: String) throws -> [ListColumn] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: " \t") }
        if names == ["help"] { return [] }
        if names == ["all"] { return allCases }
        return try names.map { name in
            guard let column = ListColumn(rawValue: name) else {
                throw CLIError("unknown column \(name.debugDescription); known: \(allCases.map(\.rawValue).joined(separator: ", ")), all, help")
            }
            return column
        }
    }

    func value(of entry: InstalledRef, in installation: Installation) throws -> String {
        switch self {
        case .application: return entry.ref.id.rawValue
        case .arch: return entry.ref.arch
        case .branch: return entry.ref.branch
        case .kind: return entry.ref.kind.rawValue
        case .origin: return entry.origin ?? "-"
        case .active: return String(entry.commit.prefix(12))
        case .installation: return installation.scope.rawValue
        case .ref: return entry.ref.description
        case .runtime, .size:
            let deployment = try installation.deployment(for: entry.ref, commit: entry.commit)
            if self == .runtime { return deployment.metadata.runtime?.partial ?? "-" }
            return deployment.installedSize.map(ProgressLine.bytes) ?? "-"
        }
    }
}

/// `burrow info REF`: ref, commit, origin, size, runtime and permissions.
struct InfoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Show information about an installed application or runtime.")

    @OptionGroup var installationOptions: InstallationOptions
    @Flag(name: .customLong("show-permissions"), help: "Show only the permissions, as a metadata fragment.")
    var showPermissions = false
    @Option(name: .customLong("file-access"), help: "Show the app's access to PATH: hidden, read-only or read-write.")
    var fileAccess: String?
    @Argument(help: "ID, ID//BRANCH, ID/ARCH/BRANCH or KIND/ID/ARCH/BRANCH.") var ref: String

    func run() async throws {
        let installation = installationOptions.installation
        let resolved = try RefPattern(ref).resolve(among: try installation.installedRefs().map(\.ref),
                                                   where: "the \(installation.scope.rawValue) installation")
        guard let deployment = try installation.deployment(for: resolved) else {
            throw CLIError("\(resolved) is not installed")
        }
        if let fileAccess {
            print(try Self.access(to: fileAccess, app: resolved, metadata: deployment.metadata))
            return
        }
        if showPermissions {
            // What the app runs with: its metadata with every override applied.
            let keyFile = KeyFile(fileName: deployment.metadataPath)
            let context = resolved.kind == .app
                ? try Installation.effectiveContext(of: resolved.id, metadata: deployment.metadata.context).flattened
                : deployment.metadata.context
            try context.write(into: keyFile)
            print(keyFile.serialized(), terminator: "")
            return
        }
        let metadata = deployment.metadata
        var lines: [(String, String)] = [
            ("Ref", resolved.description), ("ID", resolved.id.rawValue), ("Arch", resolved.arch),
            ("Branch", resolved.branch), ("Origin", deployment.origin ?? "-"), ("Commit", deployment.commit),
            ("Installation", installation.scope.rawValue), ("Location", deployment.path),
        ]
        if let size = deployment.installedSize { lines.append(("Installed", ProgressLine.bytes(size))) }
        if let runtime = metadata.runtime { lines.append(("Runtime", runtime.partial)) }
        if let sdk = metadata.sdk { lines.append(("Sdk", sdk.partial)) }
        if let command = metadata.command { lines.append(("Command", command)) }
        let width = lines.map(\.0.count).max() ?? 0
        for (key, value) in lines {
            print(String(repeating: " ", count: width - key.count) + key + ": " + TablePrinter.escapingControlCharacters(value))
        }
        if resolved.kind == .app {
            print("")
            print(PermissionSummary(metadata.context).render(for: resolved.id.rawValue))
        }
    }

    /// flatpak's words for what `--file-access` finds: how the document
    /// portal (as-needed-by-app) decides whether an app needs a document.
    static func access(to path: String, app: FlatpakRef, metadata: AppMetadata) throws -> String {
        guard app.kind == .app else { throw CLIError("--file-access needs an application, not \(app)") }
        guard path.hasPrefix("/"), let resolved = realpath(path, nil) else {
            throw CLIError("--file-access needs an existing absolute path, not \(path.debugDescription)")
        }
        defer { free(resolved) }
        let environment = ProcessInfo.processInfo.environment
        let home = environment["HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? homeFromPasswd()
        let user = SandboxPlan.User(uid: getuid(), gid: getgid(), name: "", realName: "", groupName: nil, home: home,
                                    runtimeDirectory: SandboxPlan.User.runtimeDirectory(environment: environment))
        let context = try Installation.effectiveContext(of: app.id, metadata: metadata.context).flattened
        let hostPaths = LauncherHostPaths(appDirectory: "\(home)/.var/app/\(app.id.rawValue)")
        switch SandboxPlan.fileAccess(to: String(cString: resolved), context: context, appID: app.id, user: user, hostPaths: hostPaths) {
        case .none: return "hidden"
        case .readOnly: return "read-only"
        case .readWrite, .create: return "read-write"
        }
    }
}
