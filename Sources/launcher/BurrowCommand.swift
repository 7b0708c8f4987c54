import ArgumentParser
import Glibc
import PortalCommon

/// `burrow`, the command-line tool. One root command; each subcommand lives
/// in a file of its own (the permission commands under Permissions/).
///
/// Errors are printed as `error: MESSAGE` on stderr with exit status 1, as
/// flatpak prints them — never as a Swift trace — so scripts written for
/// `flatpak permission-*` read burrow's failures the same way.
@main
struct BurrowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "burrow",
        abstract: "Install, run and manage sandboxed desktop applications.",
        version: BurrowVersion.string,
        subcommands: [
            RunCommand.self,
            PsCommand.self,
            KillCommand.self,
            EnterCommand.self,
            OverrideCommand.self,
            InstallCommand.self,
            UpdateCommand.self,
            UninstallCommand.self,
            RepairCommand.self,
            ListCommand.self,
            InfoCommand.self,
            RemoteAddCommand.self,
            RemoteDeleteCommand.self,
            RemoteModifyCommand.self,
            RemotesCommand.self,
            RemoteListCommand.self,
            BuildInitCommand.self,
            BuildFinishCommand.self,
            BuildExportCommand.self,
            BuildUpdateRepoCommand.self,
            BuildBundleCommand.self,
            PermissionsCommand.self,
            PermissionShowCommand.self,
            PermissionRemoveCommand.self,
            PermissionSetCommand.self,
            PermissionResetCommand.self,
            PromptCommand.self,
        ]
    )

    /// ArgumentParser's own `main` prints `Error: …` with a usage dump and
    /// exits 64 on usage errors; flatpak prints `error: …` and exits 1.
    /// Parsing and running are the library's; only the reporting is ours.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        var command: any ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            finishEarly(error)
            fail(message(for: error) + "\n\nSee '\(helpCommand(for: arguments))'.")
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                // `burrow help …` parses into ArgumentParser's own command,
                // whose run() "fails" with the help request.
                try command.run()
            }
        } catch let error as PortalError {
            fail(error.message)
        } catch let error as any PortalErrorConvertible {
            fail(error.portalError.message)
        } catch let error as CLIError {
            fail(error.description)
        } catch {
            finishEarly(error)
            fail(message(for: error))
        }
    }

    /// Exits for the "errors" that are not failures: requests for help or
    /// the version (printed to stdout, status 0) and explicit exit codes.
    private static func finishEarly(_ error: any Error) {
        if exitCode(for: error) == .success {
            print(fullMessage(for: error))
            Glibc.exit(0)
        }
        if let code = error as? ExitCode {
            Glibc.exit(code.rawValue)
        }
    }

    private static func fail(_ message: String) -> Never {
        var standardError = StandardError()
        print("error: \(message)", to: &standardError)
        Glibc.exit(1)
    }

    /// `burrow SUBCOMMAND --help` when the failing command line names a
    /// subcommand, else `burrow --help`.
    private static func helpCommand(for arguments: [String]) -> String {
        let names = configuration.subcommands.compactMap { $0.configuration.commandName }
        if let name = arguments.first(where: { !$0.hasPrefix("-") }), names.contains(name) {
            return "burrow \(name) --help"
        }
        return "burrow --help"
    }
}

/// stderr as a `TextOutputStream`, for `print(_:to:)`.
struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var text = string
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }  // stderr gone: nowhere left to report
                offset += written
            }
        }
    }
}
