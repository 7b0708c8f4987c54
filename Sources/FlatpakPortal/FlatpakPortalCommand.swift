import ArgumentParser
import FoundationEssentials
import Logging
import PortalCommon
import Synchronization

/// `burrow-flatpak-portal`: org.freedesktop.portal.Flatpak for sandboxed
/// apps; normally started by D-Bus activation (data/dbus-1/services).
@main
struct FlatpakPortalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "burrow-flatpak-portal",
        abstract: "Serve org.freedesktop.portal.Flatpak: Spawn sibling and sub-sandboxes for sandboxed apps.",
        discussion: "New sandboxes are planned as `burrow run` plans them and started with bwrap from this process.",
        version: BurrowVersion.string
    )

    @Flag(name: .shortAndLong, help: "Log at debug level.")
    var verbose = false

    @Flag(name: .shortAndLong, help: "Replace a running Flatpak portal.")
    var replace = false

    @Option(help: "Seconds between checks of the remote for update monitors.")
    var pollInterval = Self.defaultPollInterval

    static let defaultPollInterval = 1800

    /// Started by D-Bus activation (no arguments), without ArgumentParser.
    static func main() async {
        await Daemon.serveIfActivated { await serve($0) }
        await main(nil)
    }

    func run() async throws {
        throw ExitCode(await Self.serve(DaemonOptions(verbose: verbose, replace: replace), pollInterval: pollInterval))
    }

    static func serve(_ options: DaemonOptions, pollInterval: Int = defaultPollInterval) async -> Int32 {
        let environment = ProcessInfo.processInfo.environment
        let running = Mutex<SpawnedProcesses?>(nil)
        let status = await Daemon.run(name: FlatpakService.name, label: "burrow.flatpak-portal", options: options) { connection, logger in
            guard let runtime = environment["XDG_RUNTIME_DIR"], runtime.hasPrefix("/") else {
                throw PortalError.failed("XDG_RUNTIME_DIR is not set; sandboxes keep their instance records there")
            }
            let processes = SpawnedProcesses(connection: connection, logger: logger)
            let monitors = UpdateMonitors(connection: connection, pollInterval: .seconds(max(1, pollInterval)), logger: logger)
            _ = connection.onPeerVanished { name in
                processes.callerVanished(name)
                monitors.callerVanished(name)
            }
            let service = FlatpakService(processes: processes, monitors: monitors, spawner: try SpawnerThread(),
                                         environment: environment, logger: logger)
            try await connection.export(service.definition, at: FlatpakService.path)
            running.withLock { $0 = processes }
        }
        running.withLock { $0 }?.stopWatched()
        return status
    }
}
