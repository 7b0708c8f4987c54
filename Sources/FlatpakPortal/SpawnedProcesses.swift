internal import CLinux
import Dispatch
import FoundationEssentials
import Glibc
import Logging
import PortalCommon
import Runtime
import Synchronization

/// The sandboxes Spawn started, per caller: reaps them, announces their
/// start and exit to the caller, and delivers SpawnSignal.
final class SpawnedProcesses: Sendable {
    struct Child: Sendable {
        let pid: pid_t
        let owner: BusName
        let watchBus: Bool
        let notifyStart: Bool
        /// The app's pid as the caller sees it (EXPOSE/SHARE_PIDS), else nil.
        var relativePID: (@Sendable (Int32) -> UInt32)? = nil
    }

    private let connection: BusConnection
    private let logger: Logger
    private let children = Mutex<[pid_t: (child: Child, instance: InstanceRecord)]>([:])
    // Dispatch sources are only touched from their own queue; kept here so
    // they live as long as the child.
    private let sources = Mutex<[pid_t: SendableSource]>([:])

    init(connection: BusConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// Tracks a started sandbox. Its start (SpawnStarted) and exit
    /// (SpawnExited) are handled on one serial queue, so the start is
    /// always announced first — also for a child that exits at once.
    func track(pid: Int32, instance: InstanceRecord, as child: Child) throws(PortalError) {
        let pidfd = burrow_pidfd_open(pid, 0)
        guard pidfd >= 0 else { throw .failed("cannot watch process \(pid): \(String(cString: strerror(errno)))") }
        children.withLock { $0[child.pid] = (child, instance) }
        let queue = DispatchQueue(label: "spawn-\(child.pid)")
        if child.notifyStart {
            queue.async { [self] in
                waitForSandbox(instance, pidfd: pidfd)
                let relative = instance.appPID.flatMap { pid in child.relativePID?(pid) } ?? 0
                connection.emitSignal(path: FlatpakService.path, interface: FlatpakService.interface, member: "SpawnStarted",
                                      [.uint32(UInt32(child.pid)), .uint32(relative)], destination: child.owner)
            }
        }
        let source = DispatchSource.makeReadSource(fileDescriptor: pidfd, queue: queue)
        source.setEventHandler { [self] in
            var status: Int32 = 0
            guard waitpid(child.pid, &status, WNOHANG) == child.pid else { return }
            source.cancel()
            children.withLock { _ = $0.removeValue(forKey: child.pid) }
            _ = sources.withLock { $0.removeValue(forKey: child.pid) }
            // The sandbox is gone: so is its record.
            try? FileManager.default.removeItem(atPath: instance.directory)
            connection.emitSignal(path: FlatpakService.path, interface: FlatpakService.interface, member: "SpawnExited",
                                  [.uint32(UInt32(child.pid)), .uint32(UInt32(bitPattern: status))], destination: child.owner)
        }
        source.setCancelHandler { close(pidfd) }
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
        let target = instance.appPID ?? child.pid
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

    /// Until the sandbox's app process exists or bwrap has exited.
    private func waitForSandbox(_ instance: InstanceRecord, pidfd: Int32) {
        var poller = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
        for _ in 0..<5000 {
            if instance.appPID != nil { return }
            // A readable pidfd: bwrap already exited.
            if poll(&poller, 1, 1) > 0 { return }
        }
    }
}

/// A dispatch source in a Mutex-guarded table; it is only used from its queue.
struct SendableSource: @unchecked Sendable {
    let source: any DispatchSourceRead
    init(_ source: any DispatchSourceRead) { self.source = source }
}
