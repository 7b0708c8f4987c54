import PortalCommon
import Synchronization
import Testing
import TestSupport

@Suite("Unexporting an object while its calls are answered")
struct UnexportWhileReplyingTests {
    /// A deferred method whose object is removed before it answers — as a
    /// portal Request is when its own Close ends the request — still gets
    /// its reply out. sd-bus checks each reply against the signature in the
    /// registration's vtable; freeing that with the registration made the
    /// reply fail (ENOMSG) and left the caller waiting for 25 seconds.
    @Test func deferredReplyAfterUnexportIsSent() async throws {
        let bus = try PrivateBus()
        defer { bus.stop() }
        let server = try await BusConnection.connect(.address(bus.address))
        defer { server.close() }
        let client = try await BusConnection.connect(.address(bus.address))
        defer { client.close() }
        let serverName = try BusName(server.uniqueName)

        for round in 0..<20 {
            let path = try ObjectPath("/org/burrow/Test/request\(round)")
            let registration = Mutex<ExportRegistration?>(nil)
            let interface = DBusInterface("org.burrow.Closable", access: .bus, methods: [
                DBusMethod("Close", .deferred { _ in
                    // Queued on the bus thread ahead of the reply, so the
                    // registration is gone by the time the reply is built.
                    registration.withLock { $0?.unexport() }
                    return []
                }),
            ])
            let exported = try await server.export(interface, at: path)
            registration.withLock { $0 = exported }
            let reply = try await client.call(serverName, path, "org.burrow.Closable", "Close", timeout: .seconds(5))
            #expect(reply.isEmpty, "round \(round)")
            // And the object really is gone.
            await #expect(throws: PortalError.self) {
                _ = try await client.call(serverName, path, "org.burrow.Closable", "Close", timeout: .seconds(5))
            }
        }
    }
}
