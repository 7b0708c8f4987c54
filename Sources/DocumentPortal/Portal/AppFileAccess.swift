import FoundationEssentials
import PortalCommon

/// Whether an app already reaches a host file without a document — the
/// as-needed-by-app flag. Like upstream (which runs `flatpak info
/// --file-access`), the installation's view is asked through the launcher:
/// `burrow info --file-access=PATH APP` answers from the app's metadata and
/// overrides. Any failure means "no access", so the file is exported: the
/// safe answer is always a document.
enum AppFileAccess {
    static func allows(_ app: String, path: String, write: Bool) -> Bool {
        guard let launcher = launcher() else { return false }
        guard let result = try? ChildCommand.run(launcher, ["info", "--file-access=\(path)", app]), result.status == 0 else {
            return false
        }
        let answer = result.output.trimmingCharacters(in: String.asciiWhitespace)
        return answer == "read-write" || (answer == "read-only" && !write)
    }

    /// `$BURROW`, else the `burrow` next to this daemon (a build directory)
    /// or in ../bin (an installed prefix).
    private static func launcher() -> String? {
        if let path = ProcessInfo.processInfo.environment["BURROW"], path.hasPrefix("/") { return path }
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for candidate in [directory.appendingPathComponent("burrow"), directory.appendingPathComponent("../bin/burrow")]
            where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate.standardizedFileURL.path
        }
        return nil
    }
}
