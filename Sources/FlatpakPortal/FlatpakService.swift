import Glibc
import Logging
import PortalCommon

/// `org.freedesktop.portal.Flatpak`, version 8: Spawn, SpawnSignal and
/// their signals.
struct FlatpakService {
    static let name: BusName = "org.freedesktop.portal.Flatpak"
    static let path: ObjectPath = "/org/freedesktop/portal/Flatpak"
    static let interface = "org.freedesktop.portal.Flatpak"

    let processes: SpawnedProcesses
    let monitors: UpdateMonitors
    let launcher: String
    let environment: [String: String]
    let logger: Logger

    var definition: DBusInterface {
        DBusInterface(Self.interface, access: .sandboxedOnly, methods: [
            DBusMethod("Spawn", in: [.init("cwd_path", "ay"), .init("argv", "aay"), .init("fds", "a{uh}"),
                                     .init("envs", "a{ss}"), .init("flags", "u"), .init("options", "a{sv}")],
                       out: [.init("pid", "u")], .immediate { call in
                guard let caller = try call.identifiedCaller.sandbox else { throw PortalError.notAllowed("Spawn is only for sandboxed apps") }
                let request = try SpawnRequest(arguments: call.arguments)
                let sessionBus = !request.flags.contains(.sandbox) || request.sandboxFlags.contains(.sessionBus)
                let started = try LauncherProcess.start(
                    launcher, arguments: { (slot: Int32) throws(PortalError) -> [String] in
                        try request.launcherArguments(for: caller, instanceIDSlot: slot)
                    },
                    descriptors: request.descriptors,
                    environment: LauncherProcess.environment(from: environment, clear: request.flags.contains(.clearEnvironment),
                                                             sessionBus: sessionBus))
                processes.track(started, as: .init(pid: started.pid, owner: call.sender,
                                                   watchBus: request.flags.contains(.watchBus),
                                                   notifyStart: request.flags.contains(.notifyStart)))
                logger.debug("spawned \(request.argv[0]) for \(caller.appID.rawValue) as \(started.pid)")
                return [.uint32(UInt32(started.pid))]
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
            // EXPOSE_PIDS/SHARE_PIDS are not offered: bit 1 stays clear.
            DBusProperty("supports", "u", constant: true) { .uint32(0) },
        ], signals: [
            DBusSignal("SpawnStarted", [.init("pid", "u"), .init("relpid", "u")]),
            DBusSignal("SpawnExited", [.init("pid", "u"), .init("exit_status", "u")]),
        ])
    }
}
