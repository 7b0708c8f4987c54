import FoundationEssentials
import Glibc
import Installer
import Logging
import PortalCommon
import Runtime
import Synchronization

/// One `org.freedesktop.portal.Flatpak.UpdateMonitor`: watches the caller's
/// app for a newer commit — the local installation through inotify (an
/// install by `burrow update` is noticed at once), the remote by polling its
/// summary — and installs it on request.
final class UpdateMonitor: Sendable {
    static let interface = "org.freedesktop.portal.Flatpak.UpdateMonitor"

    struct Commits: Equatable {
        var local: String?
        var remote: String?
    }

    let path: ObjectPath
    let owner: BusName
    let app: AppInfo.SandboxedApp
    let ref: FlatpakRef
    let installation: Installation
    private let runningCommit: String
    private let connection: BusConnection
    private let logger: Logger
    private let state = Mutex<(reported: Commits?, updating: Bool, closed: Bool)>((nil, false, false))
    private let tasks = Mutex<[Task<Void, Never>]>([])

    init(path: ObjectPath, owner: BusName, app: AppInfo.SandboxedApp, connection: BusConnection, logger: Logger) throws(PortalError) {
        let instance = app.info.instance
        guard let arch = instance.arch, let branch = instance.branch, let running = instance.appCommit else {
            throw .failed("the caller's /.flatpak-info has no arch, branch or app-commit: it was not started by an installation")
        }
        do {
            ref = try FlatpakRef(kind: .app, id: app.appID, arch: arch, branch: branch)
        } catch {
            throw .failed("the caller's ref is not valid: \(error)")
        }
        // The installation the running instance came from.
        let appRef = ref
        guard let installation = [Installation.user(), Installation.system()].first(where: {
            (try? $0.activeCommit(of: appRef)) != nil
        }) else { throw .notFound("\(appRef) is not installed, so there is nothing to update") }
        self.path = path
        self.owner = owner
        self.app = app
        self.installation = installation
        runningCommit = running
        self.connection = connection
        self.logger = logger
    }

    /// Starts watching: the local deploy directory at once, the remote every
    /// `interval`.
    func start(pollInterval interval: Duration) {
        let local = Task { [self] in
            for await _ in DirectoryChanges.watch([installation.directory(for: ref)]) { await check(remote: false) }
        }
        let remote = Task { [self] in
            while !Task.isCancelled {
                await check(remote: true)
                try? await Task.sleep(for: interval)
            }
        }
        tasks.withLock { $0 = [local, remote] }
    }

    func close() {
        state.withLock { $0.closed = true }
        tasks.withLock { $0.forEach { $0.cancel() } }
    }

    /// UpdateAvailable when what is installed or published is not what runs,
    /// once for each new pair of commits.
    private let lastRemote = Mutex<String?>(nil)

    func check(remote fetchRemote: Bool) async {
        let local = try? installation.activeCommit(of: ref)
        var remote = lastRemote.withLock { $0 }
        if fetchRemote, let origin = try? installation.deployment(for: ref)?.origin,
           let summary = try? await installation.remoteSummary(origin) {
            remote = summary.refs[ref.description]?.commit
            lastRemote.withLock { $0 = remote }
        }
        let commits = Commits(local: local, remote: remote)
        let changed = state.withLock { state -> Bool in
            guard !state.closed, state.reported != commits else { return false }
            state.reported = commits
            return local != runningCommit || (remote != nil && remote != runningCommit)
        }
        guard changed else { return }
        let details: [String: Variant] = [
            "running-commit": Variant(.string(runningCommit)),
            "local-commit": Variant(.string(local ?? runningCommit)),
            "remote-commit": Variant(.string(remote ?? local ?? runningCommit)),
        ]
        connection.emitSignal(path: path, interface: Self.interface, member: "UpdateAvailable", [details.dbusValue], destination: owner)
    }

    // MARK: Update

    /// Update(): refuses a version that asks for more permissions, then
    /// installs it, reporting Progress; returns at once, like upstream.
    func update(consent: @escaping @Sendable () async throws(PortalError) -> Void) throws(PortalError) {
        let busy = state.withLock { state -> Bool in
            defer { state.updating = true }
            return state.updating
        }
        guard !busy else { throw .failed("an update of \(ref.id) is already running") }
        guard let current = try? installation.deployment(for: ref), let origin = current.origin else {
            state.withLock { $0.updating = false }
            throw .notFound("\(ref) has no remote to update from")
        }
        let task = Task { [self] in
            defer { state.withLock { $0.updating = false } }
            do {
                let summary = try await installation.remoteSummary(origin)
                if let text = summary.refs[ref.description]?.metadata {
                    let published = try AppMetadata(keyFile: KeyFile(parsing: text, fileName: "xa.metadata"))
                    let added = UpdatePermissions.added(by: published.context, over: current.metadata.context)
                    if !added.isEmpty {
                        progress(status: 3, progress: 0, error: "org.freedesktop.DBus.Error.NotSupported",
                                 message: "the new version asks for more permissions (\(added.joined(separator: ", "))); update it with `burrow update`")
                        return
                    }
                }
                try await consent()
                progress(status: 0, progress: 0)
                _ = try await installation.update(ref) { [weak self] pulled in
                    let total = max(pulled.requestedObjects, 1)
                    self?.progress(status: 0, progress: UInt32(min(99, pulled.fetchedObjects * 100 / total)))
                }
                progress(status: 2, progress: 100, operation: 1)
            } catch let error as PortalError {
                progress(status: 3, progress: 0, error: error.name, message: error.message)
            } catch {
                progress(status: 3, progress: 0, error: "org.freedesktop.portal.Error.Failed", message: "\(error)")
            }
        }
        tasks.withLock { $0.append(task) }
    }

    private func progress(status: UInt32, progress: UInt32, operation: UInt32 = 0, error: String? = nil, message: String? = nil) {
        var values: [String: Variant] = [
            "n_ops": Variant(.uint32(1)), "op": Variant(.uint32(operation)),
            "progress": Variant(.uint32(progress)), "status": Variant(.uint32(status)),
        ]
        if let error { values["error"] = Variant(.string(error)) }
        if let message { values["error_message"] = Variant(.string(message)) }
        connection.emitSignal(path: path, interface: Self.interface, member: "Progress", [values.dbusValue], destination: owner)
    }
}
