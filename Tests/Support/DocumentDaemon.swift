import Foundation
import PortalCommon

/// `burrow-document-portal` running as nobody on a private bus, with its
/// runtime directory (and so its FUSE mount), database and test files in one
/// temporary tree owned by nobody. `stop()` (also run by deinit) ends the
/// daemon, detaches a mount it left behind and removes the tree, so a failing
/// test leaves nothing mounted or running.
///
/// Root cannot enter a FUSE mount of another user (no allow_other), so every
/// look at the mount goes through `shell(_:)`, which runs as nobody too.
public final class DocumentDaemon: @unchecked Sendable {
    public static let name: BusName = "org.freedesktop.portal.Documents"
    public static let path: ObjectPath = "/org/freedesktop/portal/documents"
    public static let documentsInterface = "org.freedesktop.portal.Documents"
    public static let fileTransferInterface = "org.freedesktop.portal.FileTransfer"

    public let bus: PrivateBus
    /// The temporary tree: `run` (XDG_RUNTIME_DIR), `data`, `files`.
    public let root: URL
    public var runtimeDirectory: String { root.appendingPathComponent("run").path }
    public var mountPoint: String { runtimeDirectory + "/doc" }
    public var filesDirectory: String { root.appendingPathComponent("files").path }
    public var databasePath: String { root.appendingPathComponent("data/permissions.sqlite").path }
    /// The daemon's stderr, appended to across restarts.
    public var logPath: String { root.appendingPathComponent("daemon.log").path }
    /// A host app's connection (see `BridgedConnection`): calls made with it
    /// come from an unsandboxed process of the daemon's own user.
    public let client: BusConnection

    private let lock = NSLock()
    private var process: ChildProcess
    private var stopped = false
    private var extra: [String: String] = [:]

    /// `environment` is added to the daemon's (e.g. an installation for
    /// as-needed-by-app's `burrow info --file-access`).
    public init(environment extra: [String: String] = [:]) async throws {
        Self.makeFuseUsable()
        let bus = try PrivateBus(allowAllUsers: true)
        let root = try TemporaryDirectory.make(prefix: "burrow-documents")
        do {
            try Self.prepareTree(root)
            self.bus = bus
            self.root = root
            process = try Self.launch(root: root, bus: bus, extra: extra)
            self.extra = extra
            client = try await BridgedConnection.host(bus)
        } catch {
            // Not fully initialized: deinit will not run, so tidy up here.
            bus.stop()
            try? FileManager.default.removeItem(at: root)
            throw error
        }
        // From here on a failure runs deinit, which stops everything.
        try await waitForOwner()
    }

    /// Unprivileged FUSE needs /dev/fuse open for read and write by all:
    /// Debian's udev rule makes it 0666 on a normal system, but this machine
    /// (a container) has it 0600. Only root can fix that, once, for everyone.
    private static func makeFuseUsable() {
        var status = stat()
        guard geteuid() == 0, stat("/dev/fuse", &status) == 0, status.st_mode & 0o666 != 0o666 else { return }
        chmod("/dev/fuse", 0o666)
    }

    private static func prepareTree(_ root: URL) throws {
        for (name, mode) in [("run", 0o700), ("data", 0o700), ("files", 0o755)] as [(String, mode_t)] {
            let path = root.appendingPathComponent(name).path
            guard mkdir(path, mode) == 0, chmod(path, mode) == 0 else { throw TestFailure("cannot create \(path)") }
        }
        for path in [root.path] + ["run", "data", "files"].map({ root.appendingPathComponent($0).path }) {
            guard chown(path, Nobody.uid, Nobody.uid) == 0 else { throw TestFailure("cannot chown \(path) to nobody") }
        }
        chmod(root.path, 0o755)
    }

    private static func launch(root: URL, bus: PrivateBus, extra: [String: String] = [:]) throws -> ChildProcess {
        let environment = extra.merging([
            "PATH": "/usr/bin:/bin",
            "HOME": root.path,
            "DBUS_SESSION_BUS_ADDRESS": bus.address,
            "XDG_RUNTIME_DIR": root.appendingPathComponent("run").path,
            "XDG_DATA_HOME": root.appendingPathComponent("data").path,
            "BURROW_PERMISSION_DB": root.appendingPathComponent("data/permissions.sqlite").path,
            "DAEMON_LOG": root.appendingPathComponent("daemon.log").path,
        ]) { $1 }
        // The shell only redirects stderr to the log and execs the daemon:
        // the child's pid stays the daemon's, so signals reach it directly.
        let command = Nobody.command("/bin/sh", ["-c", "exec \"$0\" \"$@\" 2>>\"$DAEMON_LOG\"",
                                                 try BuiltProducts.path("burrow-document-portal")])
        return try ChildProcess(command[0], Array(command.dropFirst()), environment: environment)
    }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    private var current: ChildProcess { lock.withLock { process } }

    public func waitForOwner() async throws {
        for _ in 0..<2000 {
            if try await client.nameHasOwner(Self.name) { return }
            if current.poll() != nil { throw TestFailure("the document portal exited during start-up:\n\(log)") }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw TestFailure("the document portal did not take its name within 10 s:\n\(log)")
    }

    public func waitUntilNameIsFree() async throws {
        for _ in 0..<2000 {
            if try await !client.nameHasOwner(Self.name) { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw TestFailure("\(Self.name) is still owned after 10 s")
    }

    /// SIGTERM and wait: the daemon releases its name and unmounts.
    /// Returns the raw wait status (nil if it had to be killed).
    @discardableResult
    public func terminate() -> Int32? {
        let daemon = current
        daemon.signal(SIGTERM)
        let status = daemon.wait(timeout: .seconds(10))
        if status == nil { daemon.stop(grace: .seconds(1)) }
        return status
    }

    /// SIGKILL, as a crash: the mount stays behind, disconnected.
    public func kill() {
        let daemon = current
        daemon.signal(SIGKILL)
        daemon.wait()
    }

    /// Starts the daemon again (same bus, data and runtime directory).
    public func restart() async throws {
        try waitForExit()
        // After a kill the bus may not have noticed yet: a name still owned
        // by the dead daemon must not pass for the new one's.
        try await waitUntilNameIsFree()
        let started = try Self.launch(root: root, bus: bus, extra: extra)
        lock.withLock { process = started }
        try await waitForOwner()
    }

    private func waitForExit() throws {
        guard current.wait(timeout: .seconds(10)) != nil else { throw TestFailure("the document portal is still running") }
    }

    /// Whether the document store is mounted (as /proc/self/mountinfo says:
    /// root cannot stat inside another user's FUSE mount).
    public var isMounted: Bool { mountCount > 0 }

    /// How many mounts are stacked on the mount point (a stale one that was
    /// never cleared, and a fresh one on top, count two).
    public var mountCount: Int {
        // Read to the end: String(contentsOfFile:) trusts st_size, which
        // /proc reports as 0, and can stop after the first page.
        let table = FileHandle(forReadingAtPath: "/proc/self/mountinfo").map { String(decoding: $0.readAll(), as: UTF8.self) } ?? ""
        return table.split(separator: "\n").filter { $0.split(separator: " ").dropFirst(4).first.map(String.init) == mountPoint }.count
    }

    /// Detaches every mount on the mount point, lazily, so nothing inside
    /// can keep it alive (what an administrator does after a crash).
    public func detachMounts() {
        while isMounted {
            guard umount2(mountPoint, Int32(MNT_DETACH)) == 0 else { break }
        }
    }

    public func stop() {
        guard lock.withLock({ defer { stopped = true }; return !stopped }) else { return }
        client.close()
        if current.poll() == nil { terminate() }
        // A killed daemon (or one that failed to unmount) leaves its mount.
        detachMounts()
        bus.stop()
        try? FileManager.default.removeItem(at: root)
    }

    deinit { stop() }
}

// MARK: Test files and the view from nobody's side

extension DocumentDaemon {
    /// Creates `name` in the files directory with `contents`, owned by nobody.
    @discardableResult
    public func makeFile(_ name: String, contents: String = "", mode: mode_t = 0o644) throws -> String {
        let path = filesDirectory + "/" + name
        guard FileManager.default.createFile(atPath: path, contents: Data(contents.utf8)) else {
            throw TestFailure("cannot create \(path)")
        }
        try giveToNobody(path, mode: mode)
        return path
    }

    /// Creates the directory `name` in the files directory, owned by nobody.
    @discardableResult
    public func makeDirectory(_ name: String) throws -> String {
        let path = filesDirectory + "/" + name
        guard mkdir(path, 0o755) == 0 else { throw TestFailure("cannot create \(path): \(String(cString: strerror(errno)))") }
        try giveToNobody(path, mode: 0o755)
        return path
    }

    private func giveToNobody(_ path: String, mode: mode_t) throws {
        guard chown(path, Nobody.uid, Nobody.uid) == 0, chmod(path, mode) == 0 else {
            throw TestFailure("cannot hand \(path) to nobody: \(String(cString: strerror(errno)))")
        }
    }

    /// Opens `path` in the test process, to pass over D-Bus.
    public func open(_ path: String, _ flags: Int32) throws -> UnixFD {
        let fd = Glibc.open(path, flags | O_CLOEXEC)
        guard fd >= 0 else { throw TestFailure("cannot open \(path): \(String(cString: strerror(errno)))") }
        return UnixFD(takingOwnershipOf: fd)
    }

    /// Runs `/bin/sh -c script` as nobody (the daemon's user, so it may enter
    /// the mount) with `$DOC` (the mount point), `$FILES` and a session bus
    /// address set; LC_ALL=C keeps error messages in English.
    public func shell(_ script: String) async throws -> (status: Int32, stdout: String, stderr: String) {
        let command = Nobody.command("/bin/sh", ["-c", script])
        return try await runProgram(command[0], Array(command.dropFirst()), environment: [
            "PATH": "/usr/bin:/bin", "HOME": filesDirectory, "LC_ALL": "C",
            "DOC": mountPoint, "FILES": filesDirectory, "DBUS_SESSION_BUS_ADDRESS": bus.address,
        ])
    }
}

// MARK: Calls

extension DocumentDaemon {
    /// Calls a Documents method, by default as the host app `client`.
    public func documents(_ member: String, _ arguments: [DBusValue] = [], as caller: BusConnection? = nil) async throws(PortalError) -> [DBusValue] {
        try await (caller ?? client).call(Self.name, Self.path, Self.documentsInterface, member, arguments)
    }

    /// Calls a FileTransfer method, by default as the host app `client`.
    public func fileTransfer(_ member: String, _ arguments: [DBusValue] = [], as caller: BusConnection? = nil) async throws(PortalError) -> [DBusValue] {
        try await (caller ?? client).call(Self.name, Self.path, Self.fileTransferInterface, member, arguments)
    }

    /// Another host app's connection to the same bus.
    public func connectHostApp() async throws -> BusConnection {
        try await BridgedConnection.host(bus)
    }

    /// A sandboxed app `appID`'s connection (real bwrap, read-only
    /// `/.flatpak-info`), as nobody.
    public func connectSandboxedApp(_ appID: String) async throws -> BusConnection {
        try await BridgedConnection.sandboxedApp(appID, bus: bus, directory: root)
    }
}
