import ArgumentParser
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
    @Argument(help: "Repository (created if missing).") var repository: String
    @Argument(help: "Build directory (metadata, files/, and export/ for apps).") var directory: String
    @Argument(help: "Branch (default: master).") var branch: String = "master"

    func run() async throws {
        let (runtime, arch, subject, body, repository, directory, branch, update) =
            (self.runtime, self.arch, self.subject, self.body, self.repository, self.directory, self.branch, !noUpdateSummary)
        let (keys, homedir) = (gpgSign, gpgHomedir)
        let export = try await BlockingWork.run {
            try Publisher.buildExport(repository: repository, buildDirectory: directory, branch: branch, runtime: runtime,
                                      arch: arch, subject: subject, body: body, updateSummary: update,
                                      gpgSign: keys, gpgHomedir: homedir)
        }
        print("Commit: \(export.commit)")
        print("Ref: \(export.ref)")
    }
}

/// `burrow build-update-repo REPO`: rewrites the summary and its cache.
struct BuildUpdateRepoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "build-update-repo", abstract: "Update a repository's summary.")
    @Option(name: .customLong("gpg-sign"), help: "Sign the summary with this GPG key.") var gpgSign: [String] = []
    @Option(name: .customLong("gpg-homedir"), help: "GnuPG home directory holding the key.") var gpgHomedir: String?
    @Argument(help: "Repository.") var repository: String

    func run() async throws {
        let (repository, keys, homedir) = (self.repository, gpgSign, gpgHomedir)
        try await BlockingWork.run { try Publisher.updateRepository(at: repository, gpgSign: keys, gpgHomedir: homedir) }
    }
}
