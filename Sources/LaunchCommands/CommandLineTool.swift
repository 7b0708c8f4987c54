package import ArgumentParser
import Glibc
import PortalCommon

/// An error the CLI reports as `error: MESSAGE`.
package struct CLIError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}

/// How both of burrow's command-line executables start: `burrow` (the
/// launch verbs) and `burrow-cli` (everything else).
///
/// Errors are printed as `error: MESSAGE` on stderr with exit status 1, as
/// flatpak prints them — never as a Swift trace — so scripts written for
/// `flatpak permission-*` read burrow's failures the same way. ArgumentParser's
/// own `main` would print `Error: …` with a usage dump and exit 64 on usage
/// errors; parsing and running stay the library's, only the reporting is ours.
package enum CommandLineTool {
    package static func main<Root: ParsableCommand>(_ root: Root.Type, arguments: [String]) async -> Never {
        var command: any ParsableCommand
        do {
            command = try root.parseAsRoot(arguments)
        } catch {
            finishEarly(root, error)
            fail(root.message(for: error) + "\n\nSee '\(helpCommand(root, for: arguments))'.")
        }
        await perform(root) {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                // `burrow help …` parses into ArgumentParser's own command,
                // whose run() "fails" with the help request.
                try command.run()
            }
        }
    }

    /// Runs a parsed command and exits: 0, or 1 with its error reported.
    package static func perform<Root: ParsableCommand>(
        _ root: Root.Type, isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> Void
    ) async -> Never {
        do {
            try await body()
        } catch let error as PortalError {
            fail(error.message)
        } catch let error as any PortalErrorConvertible {
            fail(error.portalError.message)
        } catch let error as CLIError {
            fail(error.description)
        } catch {
            finishEarly(root, error)
            fail(root.message(for: error))
        }
        exit(0)
    }

    /// Exits for the "errors" that are not failures: requests for help or
    /// the version (printed to stdout, status 0) and explicit exit codes.
    private static func finishEarly<Root: ParsableCommand>(_ root: Root.Type, _ error: any Error) {
        if root.exitCode(for: error) == .success {
            print(root.fullMessage(for: error))
            exit(0)
        }
        if let code = error as? ExitCode {
            exit(code.rawValue)
        }
    }

    /// `error: MESSAGE` on stderr, exit status 1.
    package static func fail(_ message: String) -> Never {
        var standardError = StandardError()
        print("error: \(message)", to: &standardError)
        exit(1)
    }

    /// `burrow SUBCOMMAND --help` when the failing command line names a
    /// subcommand, else `burrow --help`.
    private static func helpCommand<Root: ParsableCommand>(_ root: Root.Type, for arguments: [String]) -> String {
        let names = root.configuration.subcommands.compactMap { $0.configuration.commandName }
        if let name = arguments.first(where: { !$0.hasPrefix("-") }), names.contains(name) {
            return "burrow \(name) --help"
        }
        return "burrow --help"
    }
}

/// stderr as a `TextOutputStream`, for `print(_:to:)`.
package struct StandardError: TextOutputStream {
    package init() {}

    package mutating func write(_ string: String) {
        TextOutput.write(string, to: 2)
    }
}
