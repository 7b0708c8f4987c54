import FoundationEssentials
import Installer
import LaunchCommands
import PortalCommon
import Runtime

/// `.flatpakrepo` ([Flatpak Repo]) and `.flatpakref` ([Flatpak Ref]) files,
/// as publishers hand them out: `remote-add --from` and `install --from`.
/// Read from a local path, a file:// URL or an http(s):// URL.
struct RepoFile {
    var url: String
    var title: String?
    /// The publisher's GPG key (binary, decoded from GPGKey's base64).
    var gpgKey: Data?
    /// [Flatpak Ref] only.
    var ref: (name: String, branch: String, isRuntime: Bool, suggestedRemote: String?)?

    init(reading location: String, group: String) throws {
        let path = location.hasPrefix("file://") ? String(location.dropFirst("file://".count)) : location
        let keyFile: KeyFile
        if WebFetch.isWebURL(location) {
            keyFile = try KeyFile(parsing: try WebFetch.get(location), fileName: location)
        } else {
            guard !location.contains("://") || location.hasPrefix("file://") else {
                throw CLIError("\(location): only local files, file://, http:// and https:// URLs can be read")
            }
            keyFile = try KeyFile(contentsOfFile: path)
        }
        guard let url = try keyFile.string(forKey: "Url", in: group) else {
            throw CLIError("\(path) is not a \(group == "Flatpak Ref" ? ".flatpakref" : ".flatpakrepo") file: no [\(group)] Url")
        }
        self.url = url
        title = try keyFile.string(forKey: "Title", in: group)
        if let text = try keyFile.string(forKey: "GPGKey", in: group) {
            guard let key = Data(base64Encoded: text.filter { !$0.isWhitespace }) else {
                throw CLIError("\(path): GPGKey is not base64")
            }
            gpgKey = key
        }
        if group == "Flatpak Ref" {
            guard let name = try keyFile.string(forKey: "Name", in: group) else { throw CLIError("\(path): no [Flatpak Ref] Name") }
            ref = (name, try keyFile.string(forKey: "Branch", in: group) ?? "master",
                   try keyFile.string(forKey: "IsRuntime", in: group) == "true", try keyFile.string(forKey: "SuggestRemoteName", in: group))
        }
    }

    /// Adds the remote this file describes. A file without a GPG key adds a
    /// remote that verifies nothing, so that is only done when asked for
    /// (or when the user names ed25519 keys to verify with instead).
    func addRemote(
        _ name: String, to installation: Installation, allowUnsigned: Bool, ifNotExists: Bool,
        ed25519Keys: [Ed25519PublicKey] = []
    ) async throws {
        guard gpgKey != nil || allowUnsigned || !ed25519Keys.isEmpty else {
            throw CLIError("the file has no GPGKey, so nothing could be verified; add --no-gpg-verify to accept that")
        }
        var keyFile: String?
        if let gpgKey {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("burrow-key-\(UInt32.random(in: 0...UInt32.max)).gpg").path
            try gpgKey.write(to: URL(fileURLWithPath: path))
            keyFile = path
        }
        defer { if let keyFile { try? FileManager.default.removeItem(atPath: keyFile) } }
        var extra: [String: String] = [:]
        if let title { extra["xa.title"] = title }
        let verify = gpgKey != nil
        var options = RemoteOptions(gpgVerify: verify, gpgVerifySummary: verify, extra: extra)
        if !ed25519Keys.isEmpty { options.requireEd25519(ed25519Keys) }
        try await installation.addRemote(name, url: try remoteLocation(url), options: options,
                                         ifNotExists: ifNotExists, gpgKeyFile: keyFile)
    }
}
