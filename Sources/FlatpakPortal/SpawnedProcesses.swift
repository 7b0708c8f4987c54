internal import CLinux
import Dispatch
import Foundation
import Glibc
import Logging
import PortalCommon
import Synchronization

/// The sandboxes Spawn started, per caller: reaps them, announces their
/// start and exit to the caller, and delivers SpawnSignal.
final class SpawnedProcesses: Sendable {
    struct Child: Sendable {
        let pid: pid_t
        let owner: BusName
        let watchBus: Bool
        let notifyStart: Bool
    }

    private let connection: BusConnection
    private let logger: Logger
    private let runtimeDirectory: String
    private let children = Mutex<[pid_t: (child: Child, instance: String?)]>([:])
    // Dispatch sources are only touched from their own queue; kept here so
    // they live as long as the child.
    private let sources = Mutex<[pid_t: SendableSource]>([:])

    init(connection: BusConnection, runtimeDirectory: String, logger: Logger) {
        self.connection = connection
        self.runtimeDirectory = runtimeDirectory
        self.logger = logger
    }

    /// Tracks a started `burrow run`. Its start (SpawnStarted) and exit
    /// (SpawnExited) are handled on one serial queue, so the start is
    /// always announced first — also for a child that exits at once.
    func track(_ started: LauncherProcess.Started, as child: Child) {
        children.withLock { $0[child.pid] = (child, nil) }
        let queue = DispatchQueue(label: "spawn-\(child.pid)")
        queue.async { [self] in
            let instance = readInstanceID(started.instanceID)
            children.withLock { $0[child.pid]?.instance = instance }
            if child.notifyStart {
                if let instance { waitForSandbox(instance: instance, pidfd: started.pidfd) }
                connection.emitSignal(path: FlatpakService.path, interface: FlatpakService.interface, member: "SpawnStarted",
                                      [.uint32(UInt32(child.pid)), .uint32(0)], destination: child.owner)
            }
        }
        let source = DispatchSource.makeReadSource(fileDescriptor: started.pidfd, queue: queue)
        source.setEventHandler { [self] in
            var status: Int32 = 0
            guard waitpid(child.pid, &status, WNOHANG) == child.pid else { return }
            source.cancel()
            children.withLock { _ = $0.removeValue(forKey: child.pid) }
            _ = sources.withLock { $0.removeValue(forKey: child.pid) }
            connection.emitSignal(path: FlatpakService.path, interface: FlatpakService.interface, member: "SpawnExited",
                                  [.uint32(UInt32(child.pid)), .uint32(UInt32(bitPattern: status))], destination: child.owner)
        }
        source.setCancelHandler { close(started.pidfd) }
        sources.withLock { $0[child.pid] = SendableSource(source) }
        source.resume()
    }

    /// SpawnSignal: only the connection that spawned `pid` may signal it.
    /// The signal goes to the sandboxed process itself (the app inside
    /// bwrap), not only to bwrap outside, which would leave the app running.
    func signal(_ pid: pid_t, _ number: Int32, processGroup: Bool, from sender: BusName) throws(PortalError) {
        guard number > 0, number < 65 else { throw .invalidArgument("\(number) is not a signal number") }
        guard let (child, instance) = children.withLock({ $0[pid] }), child.owner == sender else {
            throw .notFound("no process \(pid) was spawned by this connection, or it has exited")
        }
        if processGroup {
            // The spawn made its own process group: bwrap, its init and the app.
            guard killpg(child.pid, number) == 0 else { throw .failed("cannot signal process group \(pid): \(String(cString: strerror(errno)))") }
            return
        }
        let target = instance.flatMap(appProcess(instance:)) ?? child.pid
        let pidfd = burrow_pidfd_open(target, 0)
        guard pidfd >= 0 else { throw .failed("process \(pid) is gone") }
        defer { close(pidfd) }
        guard burrow_pidfd_send_signal(pidfd, number, 0) == 0 else {
            throw .failed("cannot signal process \(pid): \(String(cString: strerror(errno)))")
        }
    }

    /// WATCH_BUS: the caller left the bus, its watched sandboxes go too.
    func callerVanished(_ name: String) {
        killAll { $0.owner.rawValue == name && $0.watchBus }
    }

    /// On shutdown, as upstream: WATCH_BUS children do not outlive the portal.
    func stopWatched() {
        killAll(where: \.watchBus)
    }

    private func killAll(where matches: (Child) -> Bool) {
        let doomed = children.withLock { $0.values.map(\.child).filter(matches) }
        for child in doomed {
            logger.debug("killing spawned process \(child.pid) of \(child.owner.rawValue)")
            killpg(child.pid, SIGKILL)
        }
    }

    // MARK: -

    private func readInstanceID(_ fd: Int32) -> String? {
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += buffer[..<count]
        }
        let id = String(decoding: bytes, as: UTF8.self)
        // A single path element, as the launcher makes them.
        return !id.isEmpty && id.allSatisfy({ $0.isLetter || $0.isNumber }) ? id : nil
    }

    private func bwrapChild(instance: String) -> pid_t? {
        let path = "\(runtimeDirectory)/.flatpak/\(instance)/bwrapinfo.json"
        guard let data = FileManager.default.contents(atPath: path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let pid = object["child-pid"] as? Int, pid > 0 else { return nil }
        return pid_t(pid)
    }

    /// The app: the first child of bwrap's init (pid 1 in the sandbox).
    private func appProcess(instance: String) -> pid_t? {
        guard let initPID = bwrapChild(instance: instance),
              let text = try? String(contentsOfFile: "/proc/\(initPID)/task/\(initPID)/children", encoding: .utf8) else { return nil }
        return text.split(separator: " ").first.flatMap { pid_t($0) }
    }

    /// Until the sandbox's app process exists or the launcher has exited.
    private func waitForSandbox(instance: String, pidfd: Int32) {
        var poller = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
        for _ in 0..<5000 {
            if appProcess(instance: instance) != nil { return }
            // Readable pidfd: the launcher (bwrap) already exited.
            if poll(&poller, 1, 1) > 0 { return }
        }
    }
}

/// A dispatch source in a Mutex-guarded table; it is only used from its queue.
struct SendableSource: @unchecked Sendable {
    let source: any DispatchSourceRead
    init(_ source: any DispatchSourceRead) { self.source = source }
}
