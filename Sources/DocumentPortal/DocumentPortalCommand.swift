import ArgumentParser
import FoundationEssentials
import Logging
import PermissionData
import PortalCommon
import Synchronization

/// `burrow-document-portal`: the Documents and FileTransfer portals and the
/// FUSE document store at `$XDG_RUNTIME_DIR/doc`; normally started by D-Bus
/// activation (data/dbus-1/services).
@main
struct DocumentPortalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "burrow-document-portal",
        abstract: "Serve org.freedesktop.portal.Documents and mount the document store.",
        discussion: """
            Documents are kept in the permission store's database ($BURROW_PERMISSION_DB, or \
            $XDG_DATA_HOME/burrow/db/permissions.sqlite), table 'documents'. The store is mounted \
            at $XDG_RUNTIME_DIR/doc with fusermount3.
            """,
        version: BurrowVersion.string
    )

    @Flag(name: .shortAndLong, help: "Log at debug level.")
    var verbose = false

    @Flag(name: .shortAndLong, help: "Replace a running document portal.")
    var replace = false

    @Option(help: "FUSE worker threads at most.")
    var threads = Self.defaultThreads

    static let defaultThreads = 8

    /// Started by D-Bus activation (no arguments), without ArgumentParser.
    static func main() async {
        await Daemon.serveIfActivated { await serve($0) }
        await main(nil)
    }

    func run() async throws {
        throw ExitCode(await Self.serve(DaemonOptions(verbose: verbose, replace: replace), threads: threads))
    }

    static func serve(_ options: DaemonOptions, threads: Int = defaultThreads) async -> Int32 {
        let environment = ProcessInfo.processInfo.environment
        let mounted = MountedStore()
        let status = await Daemon.run(name: DocumentsService.name, label: "burrow.document-portal", options: options) { connection, logger in
            guard let runtime = environment["XDG_RUNTIME_DIR"], runtime.hasPrefix("/") else {
                throw PortalError.failed("XDG_RUNTIME_DIR is not set; the document store is mounted there")
            }
            let databasePath = try PermissionDatabase.defaultPath(environment: environment)
            let store = try DocumentStore(database: PermissionDatabase(path: databasePath))
            let mountPoint = runtime + "/doc"
            try MountPoint.prepare(mountPoint, replacing: options.replace, logger: logger)
            let fileSystem = DocumentFileSystem(store: store, statisticsPath: runtime)
            let session = try FuseSession(mountPoint: mountPoint, fileSystemName: "portal", fileSystem: fileSystem)
            try session.start(threads: threads)
            mounted.set(session, fileSystem)
            logger.info("document store: \(store.count) documents from \(databasePath), mounted at \(mountPoint)")

            let exports = DocumentExports(store: store, fileSystem: fileSystem, session: session, mountPoint: mountPoint,
                                          mountDevice: try MountPoint.device(mountPoint))
            try await connection.export(DocumentsService(documents: exports, logger: logger).definition, at: DocumentsService.path)
            let transfers = FileTransferService(documents: exports, connection: connection, logger: logger)
            try await connection.export(transfers.definition, at: DocumentsService.path)
        }
        // After the name is released: unmount, then tidy what apps left.
        mounted.stop()
        return status
    }
}

/// The running mount, handed from the serve closure to shutdown.
final class MountedStore: Sendable {
    private let running = Mutex<(FuseSession, DocumentFileSystem)?>(nil)

    func set(_ session: FuseSession, _ fileSystem: DocumentFileSystem) {
        running.withLock { $0 = (session, fileSystem) }
    }

    func stop() {
        guard let (session, fileSystem) = running.withLock({ $0.take() }) else { return }
        session.stop()
        fileSystem.removeTemporaries()
    }
}
