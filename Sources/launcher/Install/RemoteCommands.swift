import ArgumentParser
import Installer
import LaunchCommands
import PortalCommon
import Runtime

/// A remote's URL as the user may type it: `file://`, `http(s)://`, or a
/// bare absolute path (a local repository, as flatpak accepts it).
func remoteLocation(_ url: String) throws -> String {
    let location = url.hasPrefix("/") ? "file://" + url : url
    guard ["file://", "http://", "https://"].contains(where: location.hasPrefix) else {
        throw CLIError("unsupported URL \(url.debugDescription): use file://, http:// or https://")
    }
    return location
}

/// `burrow remote-add [--if-not-exists] [--no-gpg-verify|--sign-verify=ed25519=KEY] NAME URL`
struct RemoteAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remote-add", abstract: "Add a remote repository.")

    @OptionGroup var installationOptions: InstallationOptions
    @Flag(name: .customLong("if-not-exists"), help: "Do nothing if the remote exists.") var ifNotExists = false
    @Flag(name: .customLong("no-gpg-verify"), help: "Do not require signed commits and summaries (local or test repositories only).")
    var noGPGVerify = false
    @Option(name: .customLong("gpg-import"), help: "Import the publisher's GPG public key from FILE.") var gpgImport: String?
    @Option(name: .customLong("sign-verify"), help: signVerifyHelp) var signVerify: [String] = []
    @Flag(help: "The location is a .flatpakrepo file describing the remote.") var from = false
    @Argument(help: "Name of the remote.") var name: String
    @Argument(help: "URL: file:///path, http(s)://host/path, or a local path (with --from: a .flatpakrepo file).") var url: String

    func validate() throws {
        if noGPGVerify && !signVerify.isEmpty {
            throw ValidationError("--no-gpg-verify turns verification off; it cannot be combined with --sign-verify")
        }
    }

    func run() async throws {
        try installationOptions.requireWritable()
        let keys = try ed25519Keys(fromSignVerify: signVerify)
        if from {
            let file = try RepoFile(reading: url, group: "Flatpak Repo")
            return try await file.addRemote(name, to: installationOptions.installation, allowUnsigned: noGPGVerify,
                                            ifNotExists: ifNotExists, ed25519Keys: keys)
        }
        let location = try remoteLocation(url)
        var options = RemoteOptions(gpgVerify: !noGPGVerify, gpgVerifySummary: !noGPGVerify)
        if !keys.isEmpty {
            // ed25519 replaces GPG as the required signature unless a GPG
            // key is imported too (then both are checked): GPG verification
            // without a key would refuse everything the remote serves.
            options = RemoteOptions(gpgVerify: gpgImport != nil, gpgVerifySummary: gpgImport != nil)
            options.requireEd25519(keys)
        }
        try await installationOptions.installation.addRemote(
            name, url: location, options: options, ifNotExists: ifNotExists, gpgKeyFile: gpgImport)
    }
}

/// `burrow remote-modify [--url=URL] [--gpg-verify|--no-gpg-verify] [--gpg-import=FILE]
/// [--sign-verify=ed25519=KEY…|--no-sign-verify] NAME`
struct RemoteModifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remote-modify", abstract: "Modify a remote repository.")

    @OptionGroup var installationOptions: InstallationOptions
    @Option(help: "New URL.") var url: String?
    @Flag(name: .customLong("gpg-verify"), help: "Require signed commits and summaries.") var gpgVerify = false
    @Flag(name: .customLong("no-gpg-verify"), help: "Do not require signatures.") var noGPGVerify = false
    @Option(name: .customLong("gpg-import"), help: "Import a GPG public key from FILE.") var gpgImport: String?
    @Option(name: .customLong("sign-verify"), help: signVerifyHelp) var signVerify: [String] = []
    @Flag(name: .customLong("no-sign-verify"), help: "Stop requiring ed25519 signatures.") var noSignVerify = false
    @Argument(help: "Name of the remote.") var name: String

    func validate() throws {
        if gpgVerify && noGPGVerify { throw ValidationError("--gpg-verify and --no-gpg-verify cannot be combined") }
        if noSignVerify && !signVerify.isEmpty { throw ValidationError("--sign-verify and --no-sign-verify cannot be combined") }
        if url == nil && !gpgVerify && !noGPGVerify && gpgImport == nil && signVerify.isEmpty && !noSignVerify {
            throw ValidationError(
                "nothing to change: give --url, --gpg-verify, --no-gpg-verify, --gpg-import, --sign-verify or --no-sign-verify")
        }
    }

    func run() async throws {
        try installationOptions.requireWritable()
        let location = try url.map(remoteLocation)
        // The keys given replace the remote's; none given leaves them alone.
        let keys = noSignVerify ? [] : signVerify.isEmpty ? nil : try ed25519Keys(fromSignVerify: signVerify)
        try await installationOptions.installation.modifyRemote(
            name, url: location, gpgVerify: gpgVerify ? true : noGPGVerify ? false : nil, gpgKeyFile: gpgImport,
            ed25519Keys: keys)
    }
}

/// `burrow remotes`
struct RemotesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remotes", abstract: "List remote repositories.")
    @OptionGroup var installationOptions: InstallationOptions

    func run() async throws {
        var table = TablePrinter(titles: ["Name", "URL", "Options"])
        for remote in try installationOptions.installation.remotes() {
            let options = (remote.gpgVerify ? [] : ["no-gpg-verify"]) + (remote.verifiesEd25519 ? ["sign-verify=ed25519"] : [])
            table.append([remote.name, remote.url, options.joined(separator: ",")])
        }
        table.print()
    }
}

/// `burrow remote-delete NAME`
struct RemoteDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remote-delete", abstract: "Delete a remote repository.")
    @OptionGroup var installationOptions: InstallationOptions
    @Argument(help: "Name of the remote.") var name: String

    func run() async throws {
        try installationOptions.requireWritable()
        try await installationOptions.installation.removeRemote(name)
    }
}

/// `burrow remote-ls [--updates] [NAME]`: what a remote offers.
struct RemoteListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remote-ls", abstract: "List what remote repositories offer.")
    @OptionGroup var installationOptions: InstallationOptions
    @Flag(help: "Only refs with an update for what is installed.") var updates = false
    @Argument(help: "Remote (default: all).") var name: String?

    func run() async throws {
        let installation = installationOptions.installation
        let names = try name.map { [$0] } ?? installation.remotes().map(\.name)
        let installed = Dictionary(try installation.installedRefs().map { ($0.ref.description, $0.commit) }, uniquingKeysWith: { a, _ in a })
        var table = TablePrinter(titles: ["Ref", "Origin", "Commit", "Download size"])
        for remote in names {
            let summary = try await installation.remoteSummary(remote)
            for (ref, entry) in summary.refs.sorted(by: { $0.key < $1.key }) where ref.hasPrefix("app/") || ref.hasPrefix("runtime/") {
                if updates && (installed[ref] == nil || installed[ref] == entry.commit) { continue }
                table.append([ref, remote, String(entry.commit.prefix(12)), entry.downloadSize.map(ProgressLine.bytes) ?? "-"])
            }
        }
        table.print()
    }
}
