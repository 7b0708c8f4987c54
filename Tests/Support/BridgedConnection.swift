import Foundation
import PortalCommon

/// A bus connection of the test's own whose peer, as the bus and the portals
/// see it, is another process: `systemd-stdio-bridge`, started by sd-bus's
/// `unixexec:` transport as an unprivileged user or inside a sandbox.
///
/// Needed because the tests run as root while the daemons under test may run
/// as nobody: a daemon identifies its caller through `/proc/PID/root`, which
/// nobody cannot open for a root process, so a direct root connection is
/// (rightly) refused. The bridge passes messages and file descriptors
/// through, so the test still calls with `BusConnection` and `UnixFD`.
public enum BridgedConnection {
    public static let bridge = "/usr/bin/systemd-stdio-bridge"

    /// A host app: the bridge runs as nobody, outside any sandbox.
    public static func host(_ bus: PrivateBus) async throws -> BusConnection {
        try await connect(through: Nobody.command(bridge, ["--bus-path=\(bus.address)"]))
    }

    /// A sandboxed app: the bridge runs as nobody in a real bwrap sandbox
    /// (`TestSandbox.baseArguments`) with `flatpakInfo` bound read-only at
    /// `/.flatpak-info`, exactly as the launcher passes it: as fd 9, opened
    /// by a root shell, turned into a file of its own by --ro-bind-data.
    /// `infoFile` is where the info is written; it must outlive the connection.
    public static func sandboxed(_ bus: PrivateBus, flatpakInfo: String, infoFile: URL) async throws -> BusConnection {
        try AtomicFile.write(flatpakInfo, to: infoFile.path)
        let sandbox = Nobody.command("/usr/bin/bwrap", TestSandbox.baseArguments(bus: bus) + [
            "--ro-bind-data", "9", "/.flatpak-info",
            bridge, "--bus-path=\(TestSandbox.busAddress)",
        ])
        return try await connect(through: ["/bin/sh", "-c", "exec 9<\"$0\" && exec \"$@\"", infoFile.path] + sandbox)
    }

    /// A sandboxed app `appID` with the smallest /.flatpak-info portals
    /// accept (name, runtime, an instance id, arch, branch); the info file
    /// is written in `directory`.
    public static func sandboxedApp(_ appID: String, bus: PrivateBus, directory: URL) async throws -> BusConnection {
        let info = """
            [Application]
            name=\(appID)
            runtime=runtime/org.burrow.Platform/x86_64/1

            [Instance]
            instance-id=\(UInt32.random(in: 1...UInt32.max))
            arch=x86_64
            branch=master

            """
        return try await sandboxed(bus, flatpakInfo: info, infoFile: directory.appendingPathComponent("flatpak-info-\(appID)"))
    }

    /// Connects through `command` (argv; the first element an absolute path),
    /// which must speak D-Bus on its stdin and stdout.
    public static func connect(through command: [String]) async throws -> BusConnection {
        let arguments = command.enumerated().map { "argv\($0.offset)=\(escaped($0.element))" }
        let address = (["unixexec:path=\(escaped(command[0]))"] + arguments).joined(separator: ",")
        return try await BusConnection.connect(.address(address))
    }

    /// D-Bus address value escaping: every byte outside `[-0-9A-Za-z_/.\*]`
    /// becomes `%XX` (so `=` and `,` inside an argument survive).
    static func escaped(_ value: String) -> String {
        let optional = Set("-_/.\\*".utf8)
        return value.utf8.map { byte in
            let isAlphanumeric = (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            return isAlphanumeric || optional.contains(byte) ? String(UnicodeScalar(byte)) : String(format: "%%%02x", byte)
        }.joined()
    }
}
