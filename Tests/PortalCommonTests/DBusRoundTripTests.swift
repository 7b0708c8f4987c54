import Foundation
import PortalCommon
import Testing
import TestSupport

@Suite("D-Bus layer on a private dbus-daemon")
struct DBusRoundTripTests {
    /// One value of every type the portals use, nested in containers and variants.
    static let everything: DBusValue = .structure([
        .byte(200), .bool(true), .int16(-3), .uint16(65000), .int32(-70000), .uint32(4_000_000_000),
        .int64(-1 << 40), .uint64(1 << 63), .double(2.5), .string("héllo"), .objectPath("/a/b_c"),
        .signature("a{sv}"), .bytes(Array("/tmp/x\0".utf8)),
        .array(element: .string, ["a", "", "c"].map(DBusValue.string)),
        .array(element: .string, []),
        .dictionary(key: .string, value: .variant, [
            .init(.string("handle_token"), .variant(.string("t1"))),
            .init(.string("nested"), .variant(.variant(.array(element: .uint32, [.uint32(1), .uint32(2)])))),
            .init(.string("filters"), .variant(.array(element: .structure([.string, .array(.structure([.uint32, .string]))]), [
                .structure([.string("Images"), .array(element: .structure([.uint32, .string]), [
                    .structure([.uint32(0), .string("*.png")]), .structure([.uint32(1), .string("image/jpeg")]),
                ])]),
            ]))),
        ]),
        .dictionary(key: .string, value: .array(.string), [
            .init(.string("org.example.App"), .array(element: .string, [.string("yes")])),
        ]),
    ])

    @Test func everyTypeRoundTripsThroughAVariant() async throws {
        let service = try await TestService.start()
        defer { service.stop() }
        let reply = try await service.call("Echo", [.variant(Self.everything)])
        #expect(reply == [.variant(Self.everything)])
    }

    @Test func emptyArraysKeepTheirElementType() {
        // An empty [String] also casts to [UInt8]; it must still be 'as'.
        #expect([String]().dbusValue == .array(element: .string, []))
        #expect([String]().dbusValue.type.signature == "as")
        #expect([UInt8]().dbusValue == .bytes([]))
        #expect([[String: Variant]]().dbusValue.type.signature == "aa{sv}")
    }

    @Test func fileDescriptorsCrossTheBus() async throws {
        let service = try await TestService.start()
        defer { service.stop() }
        let dir = try TemporaryDirectory.make(prefix: "burrow-fd")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("note")
        try AtomicFile.write("sent as an fd", to: file.path)
        let fd = UnixFD(takingOwnershipOf: open(file.path, O_RDONLY | O_CLOEXEC))
        let reply = try await service.call("ReadFD", [.unixFD(fd)])
        #expect(reply == [.string("sent as an fd")])

        // And inside a variant inside a dictionary: the fd comes back as a
        // new descriptor for the same open file.
        let nested: DBusValue = .variant(.dictionary(key: .string, value: .variant, [.init(.string("fd"), .variant(.unixFD(fd)))]))
        let echoed = try await service.call("Echo", [nested])
        guard case .variant(.dictionary(_, _, let entries)) = echoed.first, case .variant(.unixFD(let back)) = entries.first?.value else {
            Issue.record("unexpected reply \(echoed)")
            return
        }
        var a = stat(), b = stat()
        fd.withRawDescriptor { _ = fstat($0, &a) }
        back.withRawDescriptor { _ = fstat($0, &b) }
        #expect(a.st_ino == b.st_ino && a.st_dev == b.st_dev)
        #expect(back != fd)
    }

    @Test func deferredReplyDoesNotBlockOtherCalls() async throws {
        let service = try await TestService.start()
        defer { service.stop() }
        // Long enough that a loaded machine still serves the fast call first.
        async let slow = service.call("Sleep", [.uint32(3000)])
        try await Task.sleep(for: .milliseconds(50))
        let clock = ContinuousClock()
        let started = clock.now
        // Served while Sleep is still pending on the server.
        let fast = try await service.call("Concat", [.string("a"), .string("b")])
        let fastDone = clock.now
        let slowReply = try await slow
        let slowDone = clock.now
        #expect(fast == [.string("ab")])
        #expect(slowReply == [.uint32(3000)])
        #expect(fastDone < slowDone)
        #expect(fastDone - started < slowDone - started)
    }

    @Test func errorsArriveByName() async throws {
        let service = try await TestService.start()
        defer { service.stop() }
        await #expect(throws: PortalError.notFound("no such thing")) { try await service.call("Fail", [.string("notfound")]) }
        await #expect(throws: PortalError.invalidArgument("bad kind")) { try await service.call("Fail", [.string("other")]) }
        // A non-portal error is mapped in one place to Failed, text kept.
        let plain = await #expect(throws: PortalError.self) { try await service.call("Fail", [.string("plain")]) }
        #expect(plain?.name == "org.freedesktop.portal.Error.Failed")
        #expect(plain?.message.contains("an unmapped error") == true)
        // A handler replying with the wrong type is caught, not sent.
        let bad = await #expect(throws: PortalError.self) { try await service.call("BadReply") }
        #expect(bad?.name == "org.freedesktop.portal.Error.Failed")
    }

    @Test func wrongArgumentsAreInvalidArgs() async throws {
        let service = try await TestService.start()
        defer { service.stop() }
        let error = await #expect(throws: PortalError.self) { try await service.call("Concat", [.uint32(1)]) }
        #expect(error?.name == "org.freedesktop.DBus.Error.InvalidArgs")
        let unknown = await #expect(throws: PortalError.self) { try await service.call("NoSuchMethod") }
        #expect(unknown?.name == "org.freedesktop.DBus.Error.UnknownMethod")
    }

    @Test func callsTimeOut() async throws {
        let service = try await TestService.start()
        defer { service.stop() }
        let error = await #expect(throws: PortalError.self) {
            try await service.call("Sleep", [.uint32(2000)], timeout: .milliseconds(100))
        }
        #expect(error?.name == "org.freedesktop.DBus.Error.Timeout" || error?.name == "org.freedesktop.DBus.Error.NoReply")
    }

    @Test func signalsReachSubscribers() async throws {
        let service = try await TestService.start()
        defer { service.stop() }
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let subscription = try await service.client.addMatch("type='signal',interface='org.burrow.Test',member='Ping'") { signal in
            continuation.yield(signal.arguments.first?.stringValue ?? "?")
        }
        defer { subscription.cancel() }
        _ = try await service.call("Emit", [.string("pong")])
        var iterator = stream.makeAsyncIterator()
        #expect(await iterator.next() == "pong")
    }

    @Test func versionPropertyAndIntrospection() async throws {
        let service = try await TestService.start()
        defer { service.stop() }
        let version = try await service.client.call(TestService.name, TestService.path, "org.freedesktop.DBus.Properties", "Get",
                                                     [.string(TestService.interface), .string("version")])
        #expect(version == [.variant(.uint32(3))])
        let xml = try await service.client.call(TestService.name, TestService.path, "org.freedesktop.DBus.Introspectable", "Introspect")
        let text = try #require(xml.first?.stringValue)
        #expect(text.contains("<method name=\"Concat\">"))
        #expect(text.contains("<arg type=\"s\" name=\"a\" direction=\"in\"/>"))
        #expect(text.contains("<arg type=\"s\" name=\"joined\" direction=\"out\"/>"))
        #expect(text.contains("<signal name=\"Ping\">"))
        #expect(text.contains("<property name=\"version\" type=\"u\" access=\"read\">"))
        #expect(!text.contains("NoSuchMethod"))
    }

    @Test func gioClientTalksToTheService() async throws {
        // gdbus is GIO's own client: what GTK apps and libportal speak.
        let service = try await TestService.start()
        defer { service.stop() }
        let concat = try await runProgram("/usr/bin/gdbus", ["call", "--session", "--dest", "org.burrow.Test", "--object-path", "/org/burrow/Test",
                                                       "--method", "org.burrow.Test.Concat", "left-", "right"], environment: service.bus.environment)
        #expect(concat.status == 0)
        #expect(concat.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "('left-right',)")
        let echo = try await runProgram("/usr/bin/gdbus", ["call", "--session", "--dest", "org.burrow.Test", "--object-path", "/org/burrow/Test",
                                                     "--method", "org.burrow.Test.Echo", "<{'a': <[uint32 1, 2]>, 'b': <(true, @ay [])>}>"], environment: service.bus.environment)
        #expect(echo.status == 0)
        #expect(echo.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "(<{'a': <[uint32 1, 2]>, 'b': <(true, @ay [])>}>,)")
        let bad = try await runProgram("/usr/bin/gdbus", ["call", "--session", "--dest", "org.burrow.Test", "--object-path", "/org/burrow/Test",
                                                    "--method", "org.burrow.Test.Fail", "notfound"], environment: service.bus.environment)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("org.freedesktop.portal.Error.NotFound"))
        #expect(bad.stderr.contains("no such thing"))
    }

    @Test func peerDisconnectIsNoticed() async throws {
        let service = try await TestService.start()
        defer { service.stop() }
        let (stream, continuation) = AsyncStream<String>.makeStream()
        service.server.onPeerVanished { continuation.yield($0) }
        let transient = try await BusConnection.connect(.address(service.bus.address))
        let name = transient.uniqueName
        transient.close()
        // Either the departure is seen or, after 10 s, the stream is
        // finished and the test fails: it can never pass by waiting forever.
        let timeout = Task {
            try await Task.sleep(for: .seconds(10))
            continuation.finish()
        }
        defer { timeout.cancel() }
        var sawDeparture = false
        for await gone in stream where gone == name {
            sawDeparture = true
            break
        }
        #expect(sawDeparture, "\(name) left but no NameOwnerChanged reached onPeerVanished")
    }

    @Test func closingTwiceFromTwoPlacesIsHarmless() async throws {
        let service = try await TestService.start()
        defer { service.stop() }
        let connection = try await BusConnection.connect(.address(service.bus.address))
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { connection.close() } }
        }
        connection.close()
        await #expect(throws: PortalError.self) {
            _ = try await connection.call(TestService.name, TestService.path, TestService.interface, "Concat", [.string("a"), .string("b")])
        }
    }

    @Test func callerIsIdentifiedAsHost() async throws {
        let service = try await TestService.start()
        defer { service.stop() }
        let reply = try await service.call("WhoAmI")
        #expect(reply.first?.stringValue?.hasPrefix("host") == true)
    }
}
