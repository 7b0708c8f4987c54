import ArgumentParser

import PortalCommon

/// `burrow-desktop-portal`: owns org.freedesktop.portal.Desktop and serves
/// FileChooser, OpenURI, Print and the host Registry, handing dialogs to the
/// backends named by `.portal` files; normally started by D-Bus activation
/// (data/dbus-1/services).
@main
struct DesktopPortalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "burrow-desktop-portal",
        abstract: "Serve org.freedesktop.portal.Desktop: FileChooser, OpenURI, Print.",
        discussion: """
            Backends are found like xdg-desktop-portal finds them: .portal files in \
            $XDG_DESKTOP_PORTAL_DIR, or in xdg-desktop-portal/portals under $XDG_DATA_HOME and \
            $XDG_DATA_DIRS, chosen by portals.conf or the files' UseIn. Lockdown switches are read \
            from burrow/desktop-portal.conf in $XDG_CONFIG_HOME, $XDG_CONFIG_DIRS and /etc.
            """,
        version: BurrowVersion.string
    )

    @Flag(name: .shortAndLong, help: "Log at debug level.")
    var verbose = false

    @Flag(name: .shortAndLong, help: "Replace a running desktop portal.")
    var replace = false

    /// Started by D-Bus activation (no arguments), without ArgumentParser.
    static func main() async {
        await Daemon.serveIfActivated { await serve($0) }
        await main(nil)
    }

    func run() async throws {
        throw ExitCode(await Self.serve(DaemonOptions(verbose: verbose, replace: replace)))
    }

    static func serve(_ options: DaemonOptions) async -> Int32 {
        let environment = ProcessEnvironment.current
        let status = await Daemon.run(name: PortalContext.busName, label: "burrow.desktop-portal", options: options) { connection, logger in
            let configuration = PortalConfiguration(locations: .fromEnvironment(environment))
            let backends = Backends(configuration: configuration, connection: connection)
            try await backends.watch(logger: logger)
            let (lockdown, problems) = Lockdown.load(environment: environment)
            for problem in problems { logger.warning("lockdown: ignoring \(problem)") }
            if lockdown != Lockdown() { logger.info("lockdown: \(lockdown)") }

            let documents = DocumentRegistration(connection: connection)
            let context = PortalContext(connection: connection, requests: PortalRequests(connection: connection),
                                        backends: backends, lockdown: lockdown, documents: documents, logger: logger)
            let entries = DesktopEntries()
            let launch = HandlerLaunch(entries: entries, documents: documents, connection: connection, logger: logger)
            let usedApps = UsedApps(store: PermissionStoreClient(connection: connection), logger: logger)
            let interfaces = [
                FileChooserPortal(context: context).definition,
                OpenURIPortal(context: context, entries: entries, usedApps: usedApps, launcher: launch).definition,
                PrintPortal(context: context).definition,
                RegistryPortal(identities: connection.identities, entries: entries).definition,
            ]
            for interface in interfaces {
                try await connection.export(interface, at: PortalContext.path)
            }
        }
        return status
    }
}
