import ArgumentParser
import Logging
import Synchronization

/// Options every subcommand accepts (pulled in with `@OptionGroup`).
struct GlobalOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Show debug information.")
    var verbose = false

    /// Logs go to stderr, never stdout, which belongs to the command's
    /// output (scripts parse it). Warnings only, unless --verbose.
    func bootstrapLogging() {
        let first = Self.bootstrapped.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        let level: Logger.Level = verbose ? .debug : .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    /// LoggingSystem.bootstrap may run once per process.
    private static let bootstrapped = Mutex(false)
}
