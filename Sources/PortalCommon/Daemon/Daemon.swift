import Dispatch
import Glibc
public import Logging
import Synchronization

/// What every burrow daemon accepts on its command line (parsed by each
/// executable with ArgumentParser, handed here as plain values).
public struct DaemonOptions: Sendable {
    /// Debug-level logging.
    public var verbose = false
    /// Take the bus name over from a running instance.
    public var replace = false
    /// Honour XDG_DESKTOP_PORTAL_TEST_APP_INFO_* (xdg-desktop-portal's test
    /// hooks). Off unless asked for: they let the caller choose its identity.
    public var enableTestHooks = false
    /// Which bus to serve on.
    public var bus: BusAddress = .session

    public init(verbose: Bool = false, replace: Bool = false, enableTestHooks: Bool = false, bus: BusAddress = .session) {
        self.verbose = verbose
        self.replace = replace
        self.enableTestHooks = enableTestHooks
        self.bus = bus
    }
}

/// The one lifecycle all burrow daemons share:
///
/// 1. log to stderr (journald picks it up under D-Bus activation);
/// 2. connect, let the daemon export its objects, *then* own the name, so no
///    caller ever reaches the name before the objects behind it exist;
/// 3. run until SIGTERM/SIGINT/SIGHUP, the name is lost to `--replace`, or
///    the bus goes away;
/// 4. on a signal: release the name (new callers go to a successor or to
///    activation), let replies already being computed finish (up to a
///    grace period), close.
public enum Daemon {
    public enum StopReason: Sendable, Equatable {
        case signal(Int32)
        case nameLost
        case disconnected
    }

    /// D-Bus activation starts a daemon with no arguments. Such a start
    /// skips ArgumentParser (building a command's option definitions and
    /// parsing, with its completion-script check, cost 1-2 ms of a cold
    /// start): `serve` runs with every option at its default and the
    /// process exits with its status. With arguments this returns at once,
    /// for the caller to parse them.
    public static func serveIfActivated(_ serve: @Sendable (DaemonOptions) async -> Int32) async {
        guard CommandLine.arguments.count == 1 else { return }
        exit(await serve(DaemonOptions()))
    }

    /// Runs the daemon; returns its exit status.
    public static func run(
        name: BusName,
        label: String,
        options: DaemonOptions,
        serve: (BusConnection, Logger) async throws -> Void
    ) async -> Int32 {
        bootstrapLogging(verbose: options.verbose)
        let logger = Logger(label: label)
        // A client that disconnects mid-reply must not kill us with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)

        let (stops, stop) = AsyncStream<StopReason>.makeStream()
        let signalSources = [SIGTERM, SIGINT, SIGHUP].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { stop.yield(.signal(number)) }
            source.resume()
            return source
        }
        defer { signalSources.forEach { $0.cancel() } }

        let connection: BusConnection
        do {
            let identification = IdentificationOptions.fromEnvironment(
                enableTestHooks: options.enableTestHooks, environment: ProcessEnvironment.current)
            connection = try await BusConnection.connect(options.bus, identification: identification, logger: logger)
        } catch {
            logger.critical("\(error.message)")
            return 1
        }
        connection.onDisconnect { stop.yield(.disconnected) }
        do {
            try await serve(connection, logger)
            // Only our own name's loss matters; the bus sends NameLost to us alone.
            let lost = try await connection.addMatch(
                "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',member='NameLost',arg0='\(name.rawValue)'"
            ) { _ in stop.yield(.nameLost) }
            defer { lost.cancel() }
            _ = try await connection.requestName(name, replace: options.replace)
            logger.info("serving \(name.rawValue) as \(connection.uniqueName)")

            var reasons = stops.makeAsyncIterator()
            let reason = await reasons.next() ?? .disconnected
            return await shutDown(connection, name: name, reason: reason, logger: logger)
        } catch {
            logger.critical("\(PortalError(error).message)")
            connection.close()
            return 1
        }
    }

    private static func shutDown(_ connection: BusConnection, name: BusName, reason: StopReason, logger: Logger) async -> Int32 {
        switch reason {
        case .disconnected:
            logger.error("the bus connection is gone; exiting")
            return 1
        case .nameLost:
            logger.info("\(name.rawValue) was taken over (--replace); exiting")
        case .signal(let number):
            logger.info("signal \(number): releasing \(name.rawValue)")
            try? await connection.releaseName(name)
        }
        // Finish what callers are already waiting for; a stuck handler gets 5 s.
        let deadline = ContinuousClock.now + .seconds(5)
        while connection.inFlightReplies > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        if connection.inFlightReplies > 0 {
            logger.warning("exiting with \(connection.inFlightReplies) unanswered calls")
        }
        connection.close()
        return 0
    }

    private static let loggingBootstrapped = Mutex(false)

    private static func bootstrapLogging(verbose: Bool) {
        let first = loggingBootstrapped.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = verbose ? .debug : .info
            return handler
        }
    }
}
