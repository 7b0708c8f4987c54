import ArgumentParser
import Glibc

/// Options the Flatpak portal's Spawn uses to start a sibling instance of
/// the calling app (flatpak run has the same ones); those of use by hand
/// are in `--help`.
struct SpawnOptions: ParsableArguments {
    @Option(help: "Run this deployed commit of the app.") var commit: String?
    @Option(help: "Use this deployed commit of the runtime.") var runtimeCommit: String?
    @Flag(help: "Run with only the permissions given here: the app's own and its overrides are not applied.") var sandbox = false
    /// Spawn's EMPTY_APP: an empty /app (flatpak's `--app-path=`). Another
    /// app's files are never mounted at /app by path.
    @Flag(help: .hidden) var emptyApp = false
    @Option(name: .customLong("forward-fd"), help: .hidden) var forwardFD: [Int32] = []
    @Option(name: .customLong("instance-id-fd"), help: .hidden) var instanceIDFD: Int32?

    func validate() throws { try flags.validate() }

    var flags: SpawnFlags {
        SpawnFlags(commit: commit, runtimeCommit: runtimeCommit, sandbox: sandbox, emptyApp: emptyApp,
                   forwardFD: forwardFD, instanceIDFD: instanceIDFD)
    }
}

/// `SpawnOptions` as plain values.
struct SpawnFlags: Equatable, Sendable {
    var commit: String?
    var runtimeCommit: String?
    var sandbox: Bool
    var emptyApp: Bool
    var forwardFD: [Int32]
    var instanceIDFD: Int32?

    static let none = SpawnFlags(commit: nil, runtimeCommit: nil, sandbox: false, emptyApp: false, forwardFD: [], instanceIDFD: nil)

    func validate() throws {
        if let bad = forwardFD.first(where: { $0 < 0 }) { throw ValidationError("--forward-fd \(bad) is not a descriptor") }
    }

    /// Writes the instance ID to --instance-id-fd and closes it, so the
    /// spawner can find $XDG_RUNTIME_DIR/.flatpak/ID/bwrapinfo.json.
    func reportInstance(_ id: String) throws {
        guard let fd = instanceIDFD else { return }
        let bytes = Array(id.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard written == bytes.count else { throw CLIError("cannot report the instance ID on descriptor \(fd)") }
    }
}
