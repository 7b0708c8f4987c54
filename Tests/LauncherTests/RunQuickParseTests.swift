import ArgumentParser
import LaunchCommands
import PortalCommon
import Testing

/// `burrow run` parses plain command lines without ArgumentParser
/// (RunInvocation.quickParse). These tests hold it to ArgumentParser's
/// meaning: whatever the quick parse accepts, ArgumentParser parses to the
/// same invocation; whatever ArgumentParser rejects, the quick parse leaves
/// to it.
@Suite("burrow run: quick parse agrees with ArgumentParser")
struct RunQuickParseTests {
    /// Every long option `run` declares, hidden ones included, read from
    /// ArgumentParser's own help.
    static let declaredOptions: [String] = {
        let help = RunCommand.helpMessage(includeHidden: true, columns: 1000)
        var names: [String] = []
        for word in help.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "," }) where word.hasPrefix("--") {
            let name = String(word.dropFirst(2).prefix { $0.isLetter || $0.isNumber || $0 == "-" })
            if !name.isEmpty, name != "help", !names.contains(name) { names.append(name) }
        }
        return names
    }()

    /// ArgumentParser's reading, or nil where it refuses the command line.
    static func reference(_ arguments: [String]) -> RunInvocation? {
        (try? RunCommand.parse(arguments))?.invocation
    }

    @Test func everyDeclaredOptionIsKnown() {
        #expect(Self.declaredOptions.count >= 30, "help lists \(Self.declaredOptions)")
        for name in Self.declaredOptions {
            #expect(RunInvocation.quickParse(["--\(name)=1", "org.example.App"]) != nil
                    || RunInvocation.quickParse(["--\(name)", "org.example.App"]) != nil,
                    "--\(name) falls back to ArgumentParser on every launch")
        }
    }

    @Test(arguments: declaredOptions)
    func optionMeansWhatArgumentParserMeans(_ name: String) {
        let shapes: [[String]] = [
            ["--\(name)", "org.example.App"],
            ["--\(name)=7", "org.example.App"],
            ["--\(name)", "7", "org.example.App"],
            ["--\(name)=7", "--\(name)=8", "org.example.App", "x"],
            ["--\(name)=a=b:ro", "org.example.App"],
        ]
        for arguments in shapes {
            let quick = RunInvocation.quickParse(arguments)
            let reference = Self.reference(arguments)
            if let quick {
                #expect(quick == reference, "\(arguments)")
            }
        }
    }

    @Test func plainLaunchesAreQuickAndAgree() throws {
        let lines: [[String]] = [
            ["org.example.App"],
            ["org.example.App", "a", "b c"],
            ["org.example.App//stable"],
            ["--branch=stable", "--arch", "x86_64", "--command=sh", "org.example.App", "-c", "true"],
            ["--filesystem=home", "--filesystem", "~/Music:ro", "--nofilesystem=host", "--share=network", "org.example.App"],
            ["--env=A=1", "--unset-env=B", "--talk-name=org.example.*", "--system-talk-name=org.freedesktop.UPower", "org.example.App"],
            ["--sandbox", "--empty-app", "--forward-fd=3", "--forward-fd", "4", "--instance-id-fd=9", "org.example.App"],
            ["--no-a11y-bus", "--cwd=/tmp", "--commit=abc", "--runtime-commit", "def", "org.example.App"],
            ["--command=--bind", "org.example.App", "/", "/tmp/host"],
            // After the app nothing is burrow's: options, `--`, help.
            ["org.example.App", "--bind", "/", "/host", "--command=evil"],
            ["org.example.App", "--", "--help", "-x"],
        ]
        for arguments in lines {
            let quick = try #require(RunInvocation.quickParse(arguments), "\(arguments) is a plain launch")
            #expect(quick == Self.reference(arguments), "\(arguments)")
        }
    }

    /// Where the quick parse is meant to differ: ArgumentParser still reads
    /// these after the app id (a completion script instead of the app, or
    /// an "unknown option" error); for run everything there is the app's.
    @Test func afterTheAppEvenArgumentParsersOwnWordsAreTheApps() throws {
        for tail in [["--generate-completion-script", "bash"], ["---x"], ["-=x"]] {
            let quick = try #require(RunInvocation.quickParse(["org.example.App"] + tail))
            #expect(quick.arguments == tail)
            #expect(quick != Self.reference(["org.example.App"] + tail), "ArgumentParser reads \(tail) differently")
        }
    }

    @Test func whatItDoesNotReadIsLeftToArgumentParser() {
        let lines: [[String]] = [
            [], ["--help"], ["-h"], ["--version"], ["--", "org.example.App"],
            ["--branch"], ["--branch", "--arch=x", "org.example.App"], ["--branch=", "org.example.App"],
            ["--branch=a", "--branch=b", "org.example.App"], ["--sandbox", "--sandbox", "org.example.App"],
            ["--no-a11y-bus=yes", "org.example.App"], ["--forward-fd=-1", "org.example.App"],
            ["--forward-fd=three", "org.example.App"], ["--instance-id-fd=9x", "org.example.App"],
            ["--no-such-option", "org.example.App"], ["-x", "org.example.App"], ["--share=network"],
        ]
        for arguments in lines {
            #expect(RunInvocation.quickParse(arguments) == nil, "\(arguments)")
        }
    }

    /// No flag is the empty context (taken without building a key file),
    /// exactly what the key-file path makes of nothing.
    @Test func noFlagsIsTheEmptyContext() throws {
        #expect(try ContextFlags.none.context() == PermissionContext())
        var one = ContextFlags.none
        one.share = ["network"]
        #expect(try one.context().shared.contains(.network))
        #expect(try PermissionContext(keyFile: KeyFile(fileName: "empty")) == PermissionContext())
    }
}
