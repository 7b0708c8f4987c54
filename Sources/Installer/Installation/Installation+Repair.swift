import PortalCommon
public import Runtime

/// `burrow repair`: every deployed ref (the repository's `deploy/REF` refs
/// are the record of what is installed) is checked against its commit, and
/// what can be rebuilt from the repository is redeployed.
extension Installation {
    public struct RepairReport: Sendable, Hashable {
        /// Refs looked at.
        public var checked = 0
        /// What was wrong and has been fixed, one line per ref.
        public var repaired: [String] = []
        /// What could not be fixed from this installation's repository.
        public var unrecoverable: [String] = []
    }

    /// Checks each deployment: every object of its commit matches its
    /// checksum (`ostree fsck`), `active` names the deployed commit, the tree
    /// is there, its metadata is the commit's own. Damaged objects are
    /// fetched again from the ref's remote; a broken deployment is checked
    /// out again from the repository (the same crash-safe deploy as an
    /// install); with `dryRun`, only reported.
    @available(*, noasync, message: "blocks until done; use the async overload or call it from a thread of its own")
    public func repair(dryRun: Bool = false) throws -> RepairReport {
        try withChangeLock {
            var report = RepairReport()
            guard let repository = try existingRepository() else { return report }
            let deployed = try repository.refs(withPrefix: "deploy/", includingRemotes: false)
            for (name, commit) in deployed.sorted(by: { $0.key < $1.key }) {
                guard let ref = try? FlatpakRef(parsing: String(name.dropFirst("deploy/".count))) else { continue }
                report.checked += 1
                // Objects first: a deployment's files are hard links to them,
                // so a damaged object is a damaged app as well.
                let corrupt = try repository.corruptObjects(reachableFrom: commit)
                var problems = corrupt.isEmpty ? [] : ["\(corrupt.count) damaged object\(corrupt.count == 1 ? "" : "s") (\(corrupt[0])…)"]
                problems += try Self.problems(of: ref, commit: commit, at: directory(for: ref), in: repository, installation: self)
                guard !problems.isEmpty else { continue }
                let summary = "\(ref): \(problems.joined(separator: "; "))"
                if dryRun {
                    report.repaired.append(summary + " (not changed: dry run)")
                    continue
                }
                let deploymentPath = directory(for: ref) + "/" + commit
                let origin = (try? DeployInfo(deploymentPath: deploymentPath).origin)
                    ?? Self.origin(of: ref, commit: commit, in: repository) ?? ""
                if !corrupt.isEmpty {
                    // Damaged objects go, and the same commit is fetched
                    // again from where it came from.
                    do {
                        for object in corrupt { try repository.discardObject(object, of: commit) }
                        try repository.pull(from: origin, options: PullOptions(refs: [ref.description], commits: [commit]))
                    } catch {
                        report.unrecoverable.append(summary + "; cannot fetch \(commit.prefix(12)) again from \(origin.isEmpty ? "its remote" : origin) (\(PortalError(error).message)): reinstall it")
                        continue
                    }
                }
                // The broken tree is set aside, not deleted: if the repository
                // cannot rebuild it either, it comes back as it was — repair
                // never leaves an installation worse than it found it.
                // (Outside the ref's directory: deploy clears dot-leftovers there.)
                let aside = path + "/.repair-" + FileSystem.randomSuffix()
                let hadTree = FileSystem.exists(deploymentPath)
                if hadTree { try FileSystem.rename(deploymentPath, to: aside) }
                do {
                    _ = try deploy(ref, commit: commit, origin: origin, repository: repository)
                    if hadTree { try? FileSystem.removeTree(aside) }
                    report.repaired.append(summary + "; redeployed \(commit.prefix(12))")
                } catch {
                    if hadTree && !FileSystem.exists(deploymentPath) { try? FileSystem.rename(aside, to: deploymentPath) }
                    report.unrecoverable.append(summary + "; cannot redeploy from the repository (\(PortalError(error).message)): reinstall it")
                }
            }
            return report
        }
    }

    public func repair(dryRun: Bool = false) async throws -> RepairReport {
        try await BlockingWork.run { try repair(dryRun: dryRun) }
    }

    private static func problems(
        of ref: FlatpakRef, commit: String, at base: String, in repository: OSTreeRepository, installation: Installation
    ) throws -> [String] {
        var problems: [String] = []
        let active = try? installation.activeCommit(of: ref)
        if active != commit { problems.append(active == nil ? "no active deployment" : "active names another commit") }
        let deployment = base + "/" + commit
        if !FileSystem.isDirectory(deployment + "/files") || !FileSystem.isRegularFile(deployment + "/metadata") {
            problems.append("the deployment is incomplete")
        } else if let expected = (try? repository.commit(commit))?.metadata.flatpakMetadata,
                  (try? FileSystem.contents(of: deployment + "/metadata", limit: 1 << 20)) != Array(expected.utf8) {
            problems.append("its metadata differs from the commit's")
        }
        return problems
    }

    /// The remote whose tracking ref holds `commit` (else any that has the ref).
    private static func origin(of ref: FlatpakRef, commit: String, in repository: OSTreeRepository) -> String? {
        let tracking = (try? repository.refs(includingRemotes: true)) ?? [:]
        let candidates = tracking.filter { $0.key.hasSuffix(":" + ref.description) }
        let exact = candidates.first { $0.value == commit } ?? candidates.first
        return exact.map { String($0.key.prefix { $0 != ":" }) }
    }
}
