import ArgumentParser
import Installer
import PortalCommon
import Runtime

/// `burrow build-export [--runtime] [--arch=] [--subject=] REPO DIR [BRANCH]`:
/// commits a finished build directory into a repository any static web
/// server can serve, in Flatpak's format.
struct BuildExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "build-export", abstract: "Export a build directory into a repository.")

    @Flag(help: "Export a runtime instead of an application.") var runtime = false
    @Option(help: "Architecture to export for (default: the runtime's).") var arch: String?
    @Option(name: [.customShort("s"), .long], help: "One-line commit subject.") var subject: String?
    @Option(name: [.customShort("b"), .long], help: "Full commit description.") var body: String?
    @Flag(name: .customLong("no-update-summary"), help: "Do not update the summary (when exporting several refs).")
    var noUpdateSummary = false
    @Option(name: .customLong("gpg-sign"), help: "Sign the commit and summary with this GPG key.") var gpgSign: [String] = []
    @Option(name: .customLong("gpg-homedir"), help: "GnuPG home directory holding the key.") var gpgHomedir: String?
    @OptionGroup var signing: SigningOptions
    @Argument(help: "Repository (created if missing).") var repository: String
    @Argument(help: "Build directory (metadata, files/, and export/ for apps).") var directory: String
    @Argument(help: "Branch (default: master).") var branch: String = "master"

    func run() async throws {
        let (runtime, arch, subject, body, repository, directory, branch, update) =
            (self.runtime, self.arch, self.subject, self.body, self.repository, self.directory, self.branch, !noUpdateSummary)
        let (keys, homedir, ed25519Keys) = (gpgSign, gpgHomedir, try signing.secretKeys())
        let export = try await BlockingWork.run {
            try Publisher.buildExport(repository: repository, buildDirectory: directory, branch: branch, runtime: runtime,
                                      arch: arch, subject: subject, body: body, updateSummary: update,
                                      gpgSign: keys, gpgHomedir: homedir, ed25519Sign: ed25519Keys)
        }
        print("Commit: \(export.commit)")
        print("Ref: \(export.ref)")
    }
}

/// `burrow build-update-repo REPO`: rewrites the summary and its cache.
/// `burrow build-bundle [--runtime] [--arch=ARCH] [--repo-url=URL] [--runtime-repo=URL]
/// [--gpg-keys=FILE] LOCATION FILENAME NAME [BRANCH]`: one file holding a
/// commit, in flatpak's bundle format.
struct BuildBundleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "build-bundle", abstract: "Create a single-file bundle from a local repository.")
    @Flag(help: "Bundle a runtime, not an app.") var runtime = false
    @Option(help: "Architecture to bundle.") var arch: String = FlatpakArch.current
    @Option(name: .customLong("repo-url"), help: "URL of the repository updates come from.") var repoURL: String?
    @Option(name: .customLong("runtime-repo"), help: "URL of a .flatpakrepo for the runtime.") var runtimeRepo: String?
    @Option(name: .customLong("gpg-keys"), help: "GPG public keys (binary) the commit is signed with.") var gpgKeys: String?
    @Argument(help: "Repository.") var location: String
    @Argument(help: "Bundle file to write.") var filename: String
    @Argument(help: "Application or runtime ID.") var name: String
    @Argument(help: "Branch.") var branch: String = "master"

    func run() async throws {
        let ref = try FlatpakRef(kind: runtime ? .runtime : .app, id: AppID(name), arch: arch, branch: branch)
        let (location, filename, repoURL, runtimeRepo, gpgKeys) = (location, filename, repoURL, runtimeRepo, gpgKeys)
        try await BlockingWork.run {
            try Installation.writeBundle(repository: location, ref: ref, to: filename, origin: repoURL,
                                         runtimeRepository: runtimeRepo, gpgKeysFile: gpgKeys)
        }
    }
}

struct BuildUpdateRepoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "build-update-repo", abstract: "Update a repository's summary.")
    @Option(name: .customLong("gpg-sign"), help: "Sign the summary with this GPG key.") var gpgSign: [String] = []
    @Option(name: .customLong("gpg-homedir"), help: "GnuPG home directory holding the key.") var gpgHomedir: String?
    @OptionGroup var signing: SigningOptions
    @Argument(help: "Repository.") var repository: String

    func run() async throws {
        let (repository, keys, homedir, ed25519Keys) = (self.repository, gpgSign, gpgHomedir, try signing.secretKeys())
        try await BlockingWork.run {
            try Publisher.updateRepository(at: repository, gpgSign: keys, gpgHomedir: homedir, ed25519Sign: ed25519Keys)
        }
    }
}
