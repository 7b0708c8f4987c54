import ArgumentParser
import Glibc
import LaunchCommands
import PortalCommon

/// `burrow`, the command users type. It runs the launch verbs itself and
/// hands every other verb, unchanged, to `burrow-cli`.
///
/// Why two executables: starting a process that links libostree means
/// loading its 64-library dependency tree (curl, gpgme, gnutls, krb5, icu…),
/// about 8 ms before the first line of burrow runs — a third of a whole
/// `burrow run`. Running an app needs no OSTree code at all (deployments are
/// plain directories), so this executable links only what a launch uses.
@main
struct LaunchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "burrow",
        abstract: "Run sandboxed desktop applications.",
        version: BurrowVersion.string,
        subcommands: [RunCommand.self, PsCommand.self, KillCommand.self, EnterCommand.self]
    )

    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        // Launches skip ArgumentParser when their command line is plain
        // (RunInvocation.quickParse says which are), even for the verb
        // list below: asking the commands their names instantiates their
        // metadata, ~0.3 ms of a launch.
        if arguments.first == "run", let invocation = RunInvocation.quickParse(arguments.dropFirst()) {
            await CommandLineTool.perform(Self.self) { try await invocation.run() }
        }
        let verbs = configuration.subcommands.compactMap { $0.configuration.commandName }
        // The first word decides, as in `git`: `burrow run --help` is ours,
        // `burrow --help` and `burrow install …` are the full tool's.
        guard arguments.first.map(verbs.contains) == true else { FullTool.exec(arguments) }
        await CommandLineTool.main(Self.self, arguments: arguments)
    }
}

/// `burrow-cli`, found beside this executable (a build directory, or an
/// installed bin/) or in `../libexec/` (an installed prefix, beside the
/// portals).
enum FullTool {
    static let name = "burrow-cli"

    static func exec(_ arguments: [String]) -> Never {
        // Located from /proc/self/exe, never from PATH or the environment:
        // root runs `burrow --system install`, and what it execs must be the
        // file installed with it, not one a caller's variables point at.
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { CommandLineTool.fail("cannot find my own executable: \(String(cString: strerror(errno)))") }
        let own = String(decoding: buffer[..<length].map(UInt8.init(bitPattern:)), as: UTF8.self)
        let directory = own.hasSuffix("/") ? own : String(own[..<(own.lastIndex(of: "/") ?? own.startIndex)])
        let candidates = ["\(directory)/\(name)", "\(directory)/../libexec/\(name)"]
        for path in candidates where access(path, X_OK) == 0 {
            let argv = ([path] + arguments).map { strdup($0) } + [nil]
            execv(path, argv)
            CommandLineTool.fail("cannot start \(path): \(String(cString: strerror(errno)))")
        }
        CommandLineTool.fail("\(name) is missing (looked for \(candidates.joined(separator: " and "))); reinstall burrow")
    }
}
