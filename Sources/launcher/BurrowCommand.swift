import ArgumentParser
import LaunchCommands
import PortalCommon

/// `burrow-cli`, the whole command-line tool: what `burrow` hands every verb
/// but the launch ones to. One root command; each subcommand lives in a file
/// of its own (the permission commands under Permissions/).
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

    static func main() async {
        await CommandLineTool.main(Self.self, arguments: Array(CommandLine.arguments.dropFirst()))
    }
}
