import Foundation
import PortalCommon
import Testing
import TestSupport

/// What every request shares: the impl Request object and its Close, the
/// queue, argument validation, and the screen's defences.
@Suite("burrow prompt: requests")
struct RequestLifecycleTests {
    static let requestInterface = "org.freedesktop.impl.portal.Request"

    @Test func closeFromTheCallerDismissesThePrompt() async throws {
        try await withPromptSession { session in
            let handle = session.makeHandle()
            let reply = session.fileChooser("OpenFile", handle: handle, title: "Soon closed")
            try await session.waitForScreen(containing: "“Soon closed”")
            _ = try await session.client.call(PromptSession.busName, handle, Self.requestInterface, "Close")
            let answer = try await reply.value
            #expect(answer.response == 2, "upstream backends answer a closed request with 2")
            #expect(answer.results.isEmpty)
            try await session.waitForScreen(containing: "Waiting for requests")
            // The Request object went away with the request.
            await #expect(throws: PortalError.self) {
                _ = try await session.client.call(PromptSession.busName, handle, Self.requestInterface, "Close")
            }
        }
    }

    @Test func onlyTheCallerMayCloseItsRequest() async throws {
        try await withPromptSession { session in
            let handle = session.makeHandle()
            let reply = session.fileChooser("OpenFile", handle: handle, title: "Mine")
            try await session.waitForScreen(containing: "“Mine”")
            let stranger = try await BusConnection.connect(.address(session.bus.address))
            defer { stranger.close() }
            let error = await #expect(throws: PortalError.self) {
                _ = try await stranger.call(PromptSession.busName, handle, Self.requestInterface, "Close")
            }
            #expect(error?.name == "org.freedesktop.DBus.Error.AccessDenied")
            try await session.waitForScreen(containing: "“Mine”")
            try await session.press("Escape")
            #expect(try await reply.value.response == 1)
        }
    }

    @Test func theCallerLeavingTheBusEndsItsRequest() async throws {
        try await withPromptSession { session in
            let caller = try await BusConnection.connect(.address(session.bus.address))
            let call = Task {
                try await caller.call(PromptSession.busName, PromptSession.path, "org.freedesktop.impl.portal.FileChooser", "OpenFile",
                                      [.objectPath(session.makeHandle()), .string("org.example.Gone"), .string(""),
                                       .string("Nobody waits"), PromptSession.vardict([:])])
            }
            try await session.waitForScreen(containing: "“Nobody waits”")
            caller.close()
            _ = try? await call.value
            try await session.waitForScreen(containing: "Waiting for requests")
        }
    }

    @Test func concurrentRequestsAreShownOneAfterTheOther() async throws {
        try await withPromptSession { session in
            let first = session.fileChooser("OpenFile", appID: "org.example.First", title: "First question")
            try await session.waitForScreen(containing: "“First question”")
            let second = session.fileChooser("SaveFile", appID: "org.example.Second", title: "Second question",
                                             options: ["current_name": .string("x.txt")])
            var screen = try await session.waitForScreen(containing: "request 1 of 2")
            #expect(screen.contains("org.example.First wants to open a file"))
            #expect(!screen.contains("Second question"), "the second request waits its turn")
            try await session.press("Escape")
            screen = try await session.waitForScreen(containing: "“Second question”")
            #expect(screen.contains("org.example.Second wants to save a file"))
            #expect(!screen.contains("request 1 of"))
            try await session.press("Enter")
            #expect(try await first.value.response == 1)
            let answer = try await second.value
            #expect(answer.response == 0)
            #expect(answer.uris == ["file://\(session.directory.path)/x.txt"])
        }
    }

    @Test func badArgumentsAreNamedErrors() async throws {
        try await withPromptSession { session in
            let pair = DBusType.structure([.uint32, .string])
            func filter(_ type: UInt32, _ pattern: String, name: String = "F") -> DBusValue {
                .structure([.string(name), .array(element: pair, [.structure([.uint32(type), .string(pattern)])])])
            }
            let filterType = DBusType.structure([.string, .array(pair)])
            let choiceType = DBusType.structure([.string, .string, .array(.structure([.string, .string])), .string])
            let noOptions = DBusValue.array(element: .structure([.string, .string]), [])
            let invalid: [(String, [String: DBusValue])] = [
                ("OpenFile", ["filters": .array(element: filterType, [filter(2, "*.txt")])]),
                ("OpenFile", ["filters": .array(element: filterType, [filter(0, "")])]),
                ("OpenFile", ["filters": .array(element: filterType, [filter(0, "*.txt", name: "")])]),
                ("OpenFile", ["filters": .array(element: filterType, [filter(0, "*.txt")]), "current_filter": filter(0, "*.md")]),
                ("OpenFile", ["choices": .array(element: choiceType, [.structure([.string(""), .string("L"), noOptions, .string("")])])]),
                ("OpenFile", ["choices": .array(element: choiceType, [.structure([.string("c"), .string("L"), noOptions, .string("maybe")])])]),
                ("OpenFile", ["multiple": .string("yes")]),
                ("OpenFile", ["current_folder": .path("relative/dir")]),
                ("SaveFile", ["current_file": .string("/not/bytes")]),
                ("SaveFiles", ["files": .array(element: .array(.byte), [.path("../escape.txt")])]),
                ("SaveFiles", ["files": .array(element: .array(.byte), [.path("a/b.txt")])]),
            ]
            for (method, options) in invalid {
                let error = await #expect(throws: PortalError.self, "\(method) \(options)") {
                    _ = try await session.fileChooser(method, options: options).value
                }
                #expect(error?.name == "org.freedesktop.portal.Error.InvalidArgument", "\(method) \(options): \(String(describing: error))")
            }
            // A handle still in use cannot be reused.
            let handle = session.makeHandle()
            let pending = session.fileChooser("OpenFile", handle: handle, title: "Holding the handle")
            try await session.waitForScreen(containing: "“Holding the handle”")
            let reuse = await #expect(throws: PortalError.self) {
                _ = try await session.fileChooser("OpenFile", handle: handle).value
            }
            #expect(reuse?.name == "org.freedesktop.portal.Error.InvalidArgument")
            try await session.press("Escape")
            #expect(try await pending.value.response == 1)
            // Wrong D-Bus signatures never reach the backend.
            let wrongSignature = await #expect(throws: PortalError.self) {
                _ = try await session.client.call(PromptSession.busName, PromptSession.path, "org.freedesktop.impl.portal.FileChooser",
                                                  "OpenFile", [.string("not a handle")])
            }
            #expect(wrongSignature?.name == "org.freedesktop.DBus.Error.InvalidArgs")
            // Through all of that the prompt stayed up.
            #expect(try await session.client.nameHasOwner(PromptSession.busName))
        }
    }

    /// A sandboxed app that can reach the backend's name still cannot ask
    /// in some app's name: only host processes (the frontend) may call.
    @Test func sandboxedCallersAreRefused() async throws {
        try await withPromptSession(allowAllUsers: true) { session in
            let info = """
                [Application]
                name=org.example.Sneaky
                runtime=runtime/org.burrow.Platform/x86_64/1

                [Instance]
                instance-id=1234
                """
            let result = try await TestSandbox.run("/usr/bin/gdbus", [
                "call", "--session", "--dest", PromptSession.busName.rawValue, "--object-path", PromptSession.path.rawValue,
                "--method", "org.freedesktop.impl.portal.FileChooser.OpenFile",
                "/org/freedesktop/portal/desktop/request/1_1/t", "org.example.Trusted", "", "Spoofed", "{}",
            ], bus: session.bus, info: .readOnly(info))
            #expect(result.status != 0)
            #expect(result.stderr.contains("org.freedesktop.portal.Error.NotAllowed"), "\(result)")
            let screen = try await session.tmux.capture()
            #expect(!screen.contains("Spoofed"))
        }
    }

    @Test func controlSequencesFromCallersAreNotPassedToTheTerminal() async throws {
        try await withPromptSession { session in
            // A title that would clear the screen and draw a fake line.
            let reply = session.fileChooser("OpenFile", appID: "org.example.Sneaky", title: "Hi\u{1b}[2J\u{1b}[HFAKE\u{202e}txt.exe")
            let screen = try await session.waitForScreen(containing: "org.example.Sneaky wants to open a file")
            #expect(screen.contains("“Hi?[2J?[HFAKE?txt.exe”"), "\(screen)")
            try await session.press("Escape")
            #expect(try await reply.value.response == 1)
        }
    }

    /// Methods and arguments (name, type, direction) of every exported
    /// interface equal those in Debian's interface XML, Request included.
    @Test func interfacesMatchTheUpstreamXML() async throws {
        try await withPromptSession { session in
            let reply = try await session.client.call(PromptSession.busName, PromptSession.path,
                                                      "org.freedesktop.DBus.Introspectable", "Introspect")
            let ours = InterfaceXML(try #require(reply.first?.stringValue))
            for name in ["FileChooser", "AppChooser", "Access", "Print"] {
                let interface = "org.freedesktop.impl.portal.\(name)"
                let upstream = InterfaceXML(try String(contentsOfFile: "/usr/share/dbus-1/interfaces/\(interface).xml", encoding: .utf8))
                #expect(ours.methods(of: interface) == upstream.methods(of: interface), "\(interface)")
                #expect(!upstream.methods(of: interface).isEmpty)
            }
            let handle = session.makeHandle()
            let pending = session.fileChooser("OpenFile", handle: handle, title: "Introspected")
            try await session.waitForScreen(containing: "“Introspected”")
            let requestReply = try await session.client.call(PromptSession.busName, handle,
                                                             "org.freedesktop.DBus.Introspectable", "Introspect")
            let request = "org.freedesktop.impl.portal.Request"
            let upstream = InterfaceXML(try String(contentsOfFile: "/usr/share/dbus-1/interfaces/\(request).xml", encoding: .utf8))
            #expect(InterfaceXML(try #require(requestReply.first?.stringValue)).methods(of: request) == upstream.methods(of: request))
            try await session.press("Escape")
            #expect(try await pending.value.response == 1)
        }
    }
}

/// Just enough of D-Bus introspection XML to compare method signatures.
struct InterfaceXML {
    struct Argument: Hashable { let name: String, type: String, direction: String }
    let text: String
    init(_ text: String) { self.text = text }

    func methods(of interface: String) -> [String: [Argument]] {
        guard let start = text.range(of: "<interface name=\"\(interface)\">"),
              let end = text.range(of: "</interface>", range: start.upperBound..<text.endIndex) else { return [:] }
        var methods: [String: [Argument]] = [:]
        var rest = text[start.upperBound..<end.lowerBound]
        while let open = rest.range(of: "<method name=\""), let close = rest.range(of: "</method>", range: open.upperBound..<rest.endIndex) {
            let body = rest[open.upperBound..<close.lowerBound]
            let name = String(body.prefix(while: { $0 != "\"" }))
            var arguments: [Argument] = []
            var tags = body[...]
            while let tag = tags.range(of: "<arg ") {
                let tagEnd = tags.range(of: ">", range: tag.upperBound..<tags.endIndex)!
                let attributes = Self.attributes(String(tags[tag.upperBound..<tagEnd.lowerBound]))
                arguments.append(Argument(name: attributes["name"] ?? "", type: attributes["type"] ?? "",
                                          direction: attributes["direction"] ?? "in"))
                tags = tags[tagEnd.upperBound...]
            }
            methods[name] = arguments
            rest = rest[close.upperBound...]
        }
        return methods
    }

    private static func attributes(_ tag: String) -> [String: String] {
        var result: [String: String] = [:]
        var rest = tag[...]
        while let equals = rest.range(of: "=\"") {
            let key = rest[..<equals.lowerBound].split(separator: " ").last.map(String.init) ?? ""
            let valueEnd = rest.range(of: "\"", range: equals.upperBound..<rest.endIndex)!
            result[key] = String(rest[equals.upperBound..<valueEnd.lowerBound])
            rest = rest[valueEnd.upperBound...]
        }
        return result
    }
}
