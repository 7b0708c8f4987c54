import Glibc
import Logging
import PortalCommon
import Runtime

/// `org.freedesktop.portal.Flatpak`, version 8: Spawn, SpawnSignal and
/// their signals.
struct FlatpakService {
    static let name: BusName = "org.freedesktop.portal.Flatpak"
    static let path: ObjectPath = "/org/freedesktop/portal/Flatpak"
    static let interface = "org.freedesktop.portal.Flatpak"

    let processes: SpawnedProcesses
    let monitors: UpdateMonitors
    let spawner: SpawnerThread
    let environment: [String: String]
    let logger: Logger

    var definition: DBusInterface {
        DBusInterface(Self.interface, access: .sandboxedOnly, methods: [
            DBusMethod("Spawn", in: [.init("cwd_path", "ay"), .init("argv", "aay"), .init("fds", "a{uh}"),
                                     .init("envs", "a{ss}"), .init("flags", "u"), .init("options", "a{sv}")],
                       out: [.init("pid", "u")], .deferred { call in
                guard let caller = try call.identifiedCaller.sandbox else { throw PortalError.notAllowed("Spawn is only for sandboxed apps") }
                let request = try SpawnRequest(arguments: call.arguments)
                let sessionBus = !request.flags.contains(.sandbox) || request.sandboxFlags.contains(.sessionBus)
                let environment = SpawnEnvironment.from(self.environment, clear: request.flags.contains(.clearEnvironment),
                                                        sessionBus: sessionBus)
                // Planned and started in this process: no launcher process
                // to start and link first, which is most of a spawn's cost.
                let pid: Int32, launch: AppLaunch
                do {
                    let launchRequest = try request.launch(for: caller, environment: environment)
                    let mount = await DocumentStoreMount.find(
                        runtimeDirectory: SandboxPlan.User.runtimeDirectory(environment: environment), environment: environment)
                    let descriptors = request.descriptors
                    (launch, pid) = try await spawner.run {
                        let launch = try AppLaunch.plan(launchRequest, documentPortalMount: mount)
                        return (launch, try launch.spawn(inherited: descriptors))
                    }
                } catch let error as PortalError {
                    throw error
                } catch {
                    throw PortalError.failed("cannot start \(caller.appID.rawValue): \(error)")
                }
                var child = SpawnedProcesses.Child(pid: pid, owner: call.sender, watchBus: request.flags.contains(.watchBus),
                                                   notifyStart: request.flags.contains(.notifyStart))
                if !request.flags.isDisjoint(with: [.exposePIDs, .sharePIDs]) {
                    let runtime = SandboxPlan.User.runtimeDirectory(environment: environment)
                    child.relativePID = { CallerNamespaces.relativePID(of: $0, caller: caller, runtimeDirectory: runtime) }
                }
                try processes.track(pid: pid, instance: launch.instance, as: child)
                logger.debug("spawned \(request.argv[0]) for \(caller.appID.rawValue) as \(pid)")
                return [.uint32(UInt32(pid))]
            }),
            DBusMethod("SpawnSignal", in: [.init("pid", "u"), .init("signal", "u"), .init("to_process_group", "b")],
                       .immediate { call in
                let pid: UInt32 = try call.argument(0)
                let number: UInt32 = try call.argument(1)
                try processes.signal(pid_t(truncatingIfNeeded: pid), Int32(truncatingIfNeeded: number),
                                     processGroup: call.argument(2), from: call.sender)
                return []
            }),
            DBusMethod("CreateUpdateMonitor", in: [.init("options", "a{sv}")], out: [.init("handle", "o")], .deferred { call in
                [.objectPath(try await monitors.create(for: call))]
            }),
        ], properties: [
            .version(8),
            // Bit 1: EXPOSE_PIDS (and, since version 5, SHARE_PIDS).
            DBusProperty("supports", "u", constant: true) { .uint32(1) },
        ], signals: [
            DBusSignal("SpawnStarted", [.init("pid", "u"), .init("relpid", "u")]),
            DBusSignal("SpawnExited", [.init("pid", "u"), .init("exit_status", "u")]),
        ])
    }
}
