import Glibc
public import PortalCommon

/// One deployed commit of an installed ref: the checked-out tree the
/// launcher mounts (`files` at `/app` or `/usr`) and its parsed metadata.
public struct Deployment: Sendable, Hashable {
    public var ref: FlatpakRef
    public var commit: String
    /// The remote it was installed from (`nil` if the record is missing).
    public var origin: String?
    /// `<installation>/KIND/ID/ARCH/BRANCH/COMMIT`.
    public var path: String
    public var metadata: AppMetadata
    /// `xa.installed-size` of the commit, when it had one.
    public var installedSize: UInt64?

    public var filesPath: String { path + "/files" }
    public var metadataPath: String { path + "/metadata" }
    /// Only apps export (desktop files, icons, D-Bus services).
    public var exportPath: String { path + "/export" }
}

/// An installed ref as listings show it.
public struct InstalledRef: Sendable, Hashable {
    public var ref: FlatpakRef
    /// The active commit.
    public var commit: String
    public var origin: String?
}

/// What `update` did.
public enum UpdateResult: Sendable, Hashable {
    /// The remote had nothing newer; the deployment is unchanged.
    case upToDate(Deployment)
    /// A new commit was deployed and made active.
    case updated(from: String, to: Deployment)

    public var deployment: Deployment {
        switch self {
        case .upToDate(let deployment), .updated(_, let deployment): deployment
        }
    }
}

/// The small record burrow keeps beside each deployment
/// (`COMMIT/deploy-info`, a keyfile): where it came from. Written before the
/// deployment is renamed into place, so it exists for every deployment.
package struct DeployInfo {
    package static let fileName = "deploy-info"
    package static let group = "Deployment"

    package var origin: String
    package var commit: String
    package var installedSize: UInt64?

    package func serialized() throws(KeyFileError) -> String {
        let keyFile = KeyFile(fileName: Self.fileName)
        try keyFile.set(origin, forKey: "origin", in: Self.group)
        try keyFile.set(commit, forKey: "commit", in: Self.group)
        if let installedSize { try keyFile.set(String(installedSize), forKey: "installed-size", in: Self.group) }
        return keyFile.serialized()
    }

    package init(origin: String, commit: String, installedSize: UInt64?) {
        self.origin = origin
        self.commit = commit
        self.installedSize = installedSize
    }

    package init(deploymentPath: String) throws(KeyFileError) {
        let keyFile = try KeyFile(contentsOfFile: deploymentPath + "/" + Self.fileName)
        origin = try keyFile.requiredString(forKey: "origin", in: Self.group)
        commit = try keyFile.requiredString(forKey: "commit", in: Self.group)
        installedSize = try keyFile.string(forKey: "installed-size", in: Self.group).flatMap { UInt64($0) }
    }
}

/// Commit checksums name deployment directories; only a well-formed one
/// (64 lowercase hex digits) may become a path component.
package func isValidChecksum(_ text: String) -> Bool {
    text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
}
