import ArgumentParser
import LaunchCommands
import PortalCommon
import Runtime

/// `burrow override [--user|--system] [--reset] [--show] [flags] [APPID]`:
/// records permission changes for an app (or, without APPID, for all apps)
/// that every later `burrow run` applies over the app's metadata.
struct OverrideCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "override", abstract: "Override an application's permissions.")

    @OptionGroup var installationOptions: InstallationOptions
    @Flag(help: "Remove the existing overrides.") var reset = false
    @Flag(help: "Show the existing overrides.") var show = false
    @OptionGroup var permissions: ContextOptions
    @Argument(help: "Application ID (default: all applications).") var app: String?

    func run() async throws {
        let appID = try app.map { try AppID($0) }
        let installation = installationOptions.installation
        if show {
            print(try installation.overrides(for: appID).serialized(fileName: installation.overridesPath(for: appID)), terminator: "")
            return
        }
        try installationOptions.requireWritable()
        if reset { try installation.resetOverrides(for: appID) }
        if !permissions.isEmpty { try installation.addOverrides(try permissions.context(), for: appID) }
        if !reset && permissions.isEmpty {
            throw CLIError("nothing to do: give permission flags, --reset or --show")
        }
    }
}
