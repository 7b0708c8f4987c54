import Foundation
import PortalCommon
import TestSupport

/// A service exported by the D-Bus layer under test, on a private bus.
struct TestService {
    static let name: BusName = "org.burrow.Test"
    static let path: ObjectPath = "/org/burrow/Test"
    static let interface = "org.burrow.Test"

    let bus: PrivateBus
    let server: BusConnection
    let client: BusConnection

    static func start(
        access: AccessPolicy = .bus, allowAllUsers: Bool = false, identification: IdentificationOptions = .init()
    ) async throws -> TestService {
        let bus = try PrivateBus(allowAllUsers: allowAllUsers)
        let server = try await BusConnection.connect(.address(bus.address), identification: identification)
        try await server.export(Self.definition(server: server, access: access), at: path)
        _ = try await server.requestName(name)
        let client = try await BusConnection.connect(.address(bus.address))
        return TestService(bus: bus, server: server, client: client)
    }

    /// The generous default timeout is for a loaded machine: the whole suite
    /// runs in parallel on two cores, and identifying a caller takes several
    /// bus round trips; tests of timeouts pass their own.
    func call(_ member: String, _ args: [DBusValue] = [], timeout: Duration = .seconds(60)) async throws(PortalError) -> [DBusValue] {
        try await client.call(Self.name, Self.path, Self.interface, member, args, timeout: timeout)
    }

    func stop() {
        client.close()
        server.close()
        bus.stop()
    }

    static func definition(server: BusConnection, access: AccessPolicy) -> DBusInterface {
        DBusInterface(interface, access: access, methods: [
            DBusMethod("Echo", in: [.init("value", "v")], out: [.init("value", "v")], .immediate { call in
                [call.arguments[0]]
            }),
            DBusMethod("Concat", in: [.init("a", "s"), .init("b", "s")], out: [.init("joined", "s")], .immediate { call in
                [.string(try call.argument(0, as: String.self) + call.argument(1, as: String.self))]
            }),
            DBusMethod("Sleep", in: [.init("milliseconds", "u")], out: [.init("slept", "u")], .deferred { call in
                let ms = try call.argument(0, as: UInt32.self)
                try await Task.sleep(for: .milliseconds(Int(ms)))
                return [.uint32(ms)]
            }),
            DBusMethod("Fail", in: [.init("kind", "s")], .immediate { call in
                switch try call.argument(0, as: String.self) {
                case "notfound": throw PortalError.notFound("no such thing")
                case "plain": throw TestFailure("an unmapped error")
                default: throw PortalError.invalidArgument("bad kind")
                }
            }),
            DBusMethod("ReadFD", in: [.init("fd", "h")], out: [.init("contents", "s")], .immediate { call in
                let fd = try call.argument(0, as: UnixFD.self)
                let text = fd.withRawDescriptor { raw -> String in
                    var buffer = [UInt8](repeating: 0, count: 256)
                    let n = pread(raw, &buffer, buffer.count, 0)
                    return String(decoding: buffer.prefix(max(n, 0)), as: UTF8.self)
                }
                return [.string(text)]
            }),
            DBusMethod("Emit", in: [.init("text", "s")], .immediate { call in
                server.emitSignal(path: path, interface: interface, member: "Ping", [call.arguments[0]])
                return []
            }),
            DBusMethod("WhoAmI", out: [.init("description", "s"), .init("app_id", "s")], access: .anyone, .immediate { call in
                let caller = try call.identifiedCaller
                return [.string(caller.description), .string(caller.appID)]
            }),
            DBusMethod("BadReply", out: [.init("n", "u")], .immediate { _ in [.string("not a uint")] }),
        ], properties: [
            .version(3),
        ], signals: [
            DBusSignal("Ping", [.init("text", "s")]),
        ])
    }
}
