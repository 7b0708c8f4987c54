import ArgumentParser
import Dispatch
import FoundationEssentials
import PortalCommon
import Glibc

/// `burrow prompt`: the terminal backend of the desktop portal.
///
/// Owns `org.freedesktop.impl.portal.desktop.burrow` and serves, at
/// `/org/freedesktop/portal/desktop`, the backend interfaces FileChooser,
/// AppChooser, Access and Print; a frontend that reads `burrow.portal`
/// (data/portals) sends its questions here, and the user answers them in
/// this terminal, one request at a time.
struct PromptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prompt",
        abstract: "Answer desktop portal requests (files, access, applications, printing) in this terminal.",
        discussion: """
            Serves org.freedesktop.impl.portal.desktop.burrow on the session bus until stopped \
            (q or Ctrl-C while idle, or SIGTERM). Each request shows the asking app's id and what it asks; \
            Esc or Ctrl-C cancels a request.

            While standard error is this terminal, logs go to --log-file, by default \
            $XDG_RUNTIME_DIR/burrow-prompt.log.

            Printing uses CUPS's lp and lpstat; BURROW_LP and BURROW_LPSTAT name other programs to use.
            """
    )

    @Flag(name: .shortAndLong, help: "Log at debug level.")
    var verbose = false

    @Flag(help: "Take the bus name over from a running burrow prompt.")
    var replace = false

    @Option(help: ArgumentHelp("Append logs to this file while the prompt owns the terminal.", valueName: "file"))
    var logFile: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let terminal = try TerminalDevice.open()
        let log = try LogRedirection.begin(terminal: terminal, path: logFile, environment: environment)
        let reader = try KeyReader(terminal: terminal)
        terminal.enterRawMode()
        let home = environment["HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "/"

        // Kept alive until the daemon returns; cancelled after.
        var signalSources: [any DispatchSourceSignal] = []
        let options = DaemonOptions(verbose: verbose, replace: replace)
        let status = await Daemon.run(name: PromptAgent.busName, label: "burrow.prompt", options: options) { connection, logger in
            let agent = PromptAgent(terminal: terminal, connection: connection, logger: logger, logNote: log.note)
            let path = PromptAgent.objectPath
            try await connection.export(FileChooserBackend(agent: agent, home: home).definition, at: path)
            try await connection.export(AppChooserBackend(agent: agent).definition, at: path)
            try await connection.export(AccessBackend(agent: agent).definition, at: path)
            try await connection.export(PrintBackend(agent: agent, cups: CupsClient(environment: environment)).definition, at: path)
            connection.onPeerVanished { name in Task { await agent.senderVanished(name) } }

            // The daemon stops on these signals; first every waiting caller
            // gets its answer (response 2), so none waits for a prompt that
            // is going away and shutdown is not held up by open dialogs.
            signalSources = [SIGTERM, SIGINT, SIGHUP].map { number in
                let source = DispatchSource.makeSignalSource(signal: number)
                source.setEventHandler { Task { await agent.stop() } }
                source.resume()
                return source
            }
            let resize = DispatchSource.makeSignalSource(signal: SIGWINCH)
            resize.setEventHandler { Task { await agent.redraw() } }
            resize.resume()
            signalSources.append(resize)

            // One task feeds the keys, so they reach the agent in order.
            Task { for await key in reader.keys { await agent.handle(key) } }
            try reader.start()
            await agent.redraw()
        }
        signalSources.forEach { $0.cancel() }
        reader.stop()
        terminal.restore()
        log.end(failed: status != 0)
        if status != 0 { throw ExitCode(status) }
    }
}
