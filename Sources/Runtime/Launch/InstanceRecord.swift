import FoundationEssentials
import Glibc
public import PortalCommon

/// A running sandbox as recorded in `$XDG_RUNTIME_DIR/.flatpak/INSTANCE/`,
/// Flatpak's layout, so that burrow's and upstream's portals and `ps` tools
/// find it: `info` (the sandbox's /.flatpak-info), `pid` (bwrap's),
/// `bwrapinfo.json` (written by bwrap through --info-fd: the pid of the
/// sandbox's first process).
public struct InstanceRecord: Sendable {

    public let id: String
    public let directory: String

    static func base(runtimeDirectory: String) -> String { runtimeDirectory + "/.flatpak" }

    /// The record of instance `id` (an id from a sandbox's read-only
    /// /.flatpak-info); nil unless it is a plain instance id.
    public init?(id: String, runtimeDirectory: String) {
        guard !id.isEmpty, id.allSatisfy(\.isNumber) else { return nil }
        self.init(id: id, directory: Self.base(runtimeDirectory: runtimeDirectory) + "/" + id)
    }

    private init(id: String, directory: String) {
        self.id = id
        self.directory = directory
    }

    /// `info` is the sandbox's /.flatpak-info, serialized.
    static func create(id: String, info: [UInt8], runtimeDirectory: String) throws -> InstanceRecord {
        let record = InstanceRecord(id: id, directory: base(runtimeDirectory: runtimeDirectory) + "/" + id)
        // Not flushed to disk: the record describes a running process, and
        // after a crash it is stale whatever it holds (`running` drops it).
        try AtomicFile.write(info, to: record.directory + "/info", durable: false)
        return record
    }

    /// Records bwrap's pid: our own when burrow execs into bwrap, the
    /// child's when a portal spawns it.
    func recordPID(_ pid: pid_t) throws {
        try AtomicFile.write("\(pid)\n", to: directory + "/pid", durable: false)
    }

    func openBwrapInfo() throws -> UnixFD {
        let fd = open(directory + "/bwrapinfo.json", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw SandboxError("cannot create \(directory)/bwrapinfo.json: \(String(cString: strerror(errno)))") }
        return UnixFD(takingOwnershipOf: fd)
    }

    /// The pid of the sandbox's first process (bwrap's `child-pid`), once
    /// bwrap has reported it.
    public var sandboxPID: Int32? { Self.childPID(directory + "/bwrapinfo.json") }

    /// The pid of the sandbox's app: the first child of bwrap's init
    /// (pid 1 inside), once bwrap has reported it.
    public var appPID: Int32? {
        guard let initPID = sandboxPID,
              let text = try? String(contentsOfFile: "/proc/\(initPID)/task/\(initPID)/children", encoding: .utf8) else { return nil }
        return text.split(separator: " ").first.flatMap { Int32($0) }
    }

    // MARK: Reading

    public struct Running: Sendable {
        public let id: String
        public let bwrapPID: Int32
        public let childPID: Int32?
        public let info: FlatpakInfo
    }

    /// The instances whose bwrap still runs. Records of sandboxes that have
    /// ended are removed on the way, as Flatpak does.
    public static func running(runtimeDirectory: String) -> [Running] {
        let base = base(runtimeDirectory: runtimeDirectory)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
        var result: [Running] = []
        for name in names.sorted() where name.allSatisfy(\.isNumber) {
            let directory = base + "/" + name
            guard let pid = recordedPID(in: directory),
                  let infoBytes = FileManager.default.contents(atPath: directory + "/info"),
                  let info = try? FlatpakInfo(parsing: Array(infoBytes), fileName: directory + "/info")
            else { continue }
            let command = command(of: pid)
            guard !hasEnded(directory, pid: pid, command: command) else {
                remove(id: name, runtimeDirectory: runtimeDirectory)
                continue
            }
            // A launcher that has not exec'd bwrap yet: starting, not listed.
            guard command == "bwrap" else { continue }
            result.append(Running(id: name, bwrapPID: pid, childPID: childPID(directory + "/bwrapinfo.json"), info: info))
        }
        // An app's shared /dev/shm (per-app-dev-shm) goes with its last instance.
        let runningApps = Set(result.map(\.info.appID.rawValue))
        for name in names where !name.allSatisfy(\.isNumber) && !runningApps.contains(name) {
            PerAppSharedMemory.remove(appID: name, runtimeDirectory: runtimeDirectory)
        }
        return result
    }

    /// Removes the records of sandboxes that have ended, as Flatpak does
    /// whenever it allocates an instance id, so that the records (and the
    /// proxy directories) of apps that have exited do not pile up until
    /// someone runs `ps`. Reads only each record's pid (or lock).
    static func removeEnded(runtimeDirectory: String) {
        let base = base(runtimeDirectory: runtimeDirectory)
        for name in (try? FileSystem.entries(of: base)) ?? [] where name.allSatisfy(\.isNumber) {
            let directory = base + "/" + name
            let pid = recordedPID(in: directory)
            if hasEnded(directory, pid: pid, command: pid.flatMap(command(of:))) { remove(id: name, runtimeDirectory: runtimeDirectory) }
        }
    }

    /// Whether the sandbox a record describes has ended.
    ///
    /// `flatpak run` keeps its instances here too, each holding a read lock
    /// on INSTANCE/.ref while it runs; by Flatpak's own rule such a record
    /// has ended once nobody holds the lock and the file is over 3 s old (a
    /// new instance creates it just before locking it). burrow's records
    /// have no .ref and name bwrap's pid: `burrow run` records its own pid
    /// just before it execs bwrap, so a process that is still the launcher
    /// is starting, not gone; a pid now running anything else was reused.
    /// A record with neither (being created) has not ended. `command` is
    /// what `pid` runs now (nil: gone).
    private static func hasEnded(_ directory: String, pid: Int32?, command: Substring?) -> Bool {
        let lock = open(directory + "/.ref", O_RDWR | O_CLOEXEC | O_NOFOLLOW)
        if lock >= 0 {
            defer { close(lock) }
            var status = stat()
            var probe = flock()
            probe.l_type = Int16(F_WRLCK)
            probe.l_whence = Int16(SEEK_SET)
            return fstat(lock, &status) == 0 && status.st_mtim.tv_sec + 3 < time(nil)
                && fcntl(lock, F_GETLK, &probe) == 0 && probe.l_type == Int16(F_UNLCK)
        }
        guard pid != nil else { return false }
        return command != "burrow" && command != "burrow-cli" && command != "bwrap"
    }

    /// The pid a record names (bwrap's, or the launcher's just before it
    /// execs bwrap); nil before it is written.
    private static func recordedPID(in directory: String) -> Int32? {
        smallFile(directory + "/pid").flatMap { $0.split(whereSeparator: \.isWhitespace).first.flatMap { Int32($0) } }
    }

    /// A pid or comm file: a few bytes, read with one open and read (run
    /// at every launch, for every record).
    private static func smallFile(_ path: String) -> String? {
        (try? FileSystem.contents(of: path, limit: 256)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Removes this record and its proxy directory: for a launch that
    /// failed before its sandbox started (nothing else would remove a
    /// record that never got a pid).
    public func discard() {
        let runtimeDirectory = String(directory.dropLast("/.flatpak/".count + id.count))
        Self.remove(id: id, runtimeDirectory: runtimeDirectory)
    }

    /// With FileSystem.removeTree's fd-relative unlinks: launches remove the
    /// previous run's record, and FileManager.removeItem stat'ed its way
    /// through first (~2.5 ms on a Spawn reply). Best effort, as a clean-up.
    static func remove(id: String, runtimeDirectory: String) {
        try? FileSystem.removeTree(base(runtimeDirectory: runtimeDirectory) + "/" + id)
        try? FileSystem.removeTree(SandboxBuses.proxyDirectory(runtimeDirectory: runtimeDirectory, instanceID: id))
    }

    /// What `pid` runs now (pids are reused), or nil when it is gone.
    private static func command(of pid: Int32) -> Substring? {
        guard let comm = smallFile("/proc/\(pid)/comm") else { return nil }
        return comm.split(whereSeparator: \.isWhitespace).first
    }

    private static func childPID(_ path: String) -> Int32? {
        struct BwrapInfo: Decodable {
            let childPID: Int32
            enum CodingKeys: String, CodingKey { case childPID = "child-pid" }
        }
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return (try? JSONDecoder().decode(BwrapInfo.self, from: data))?.childPID
    }
}
