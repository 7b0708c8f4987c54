import CLinux
import Foundation
import PortalCommon
import Testing
import TestSupport

/// FileChooser v4: options checked and passed through, results translated.
@Suite("Desktop portal: FileChooser")
struct FileChooserTests {
    static let args: [DBusValue] = [.string("x11:42"), .string("Choose a file")]
    static let filter = DBusValue.structure([.string("Text"), .array(element: .structure([.uint32, .string]), [
        .structure([.uint32(0), .string("*.txt")]), .structure([.uint32(1), .string("text/plain")]),
    ])])
    static func filters(_ list: [DBusValue]) -> Variant {
        Variant(.array(element: .structure([.string, .array(.structure([.uint32, .string]))]), list))
    }
    static func choice(_ id: String, _ label: String, _ options: [(String, String)], _ current: String) -> DBusValue {
        .structure([.string(id), .string(label),
                    .array(element: .structure([.string, .string]), options.map { .structure([.string($0.0), .string($0.1)]) }),
                    .string(current)])
    }
    static func choices(_ list: [DBusValue]) -> Variant {
        Variant(.array(element: .structure([.string, .string, .array(.structure([.string, .string])), .string]), list))
    }

    @Test func everyOptionReachesTheBackendAndUnknownOnesDoNot() async throws {
        let portal = try await DesktopDaemon()
        let backend = try await FakeBackend(bus: portal.bus)
        let options: [String: Variant] = [
            "accept_label": Variant("_Open"), "modal": Variant(false), "multiple": Variant(true), "directory": Variant(false),
            "filters": Self.filters([Self.filter]), "current_filter": Variant(Self.filter),
            "choices": Self.choices([Self.choice("encoding", "Encoding", [("utf8", "UTF-8"), ("latin1", "Latin-1")], "utf8"),
                                     Self.choice("reopen", "Reopen", [], "true")]),
            "current_folder": Variant(.bytes(Array(portal.filesDirectory.utf8) + [0])),
            "not_an_option": Variant("dropped"),
        ]
        let outcome = try await portal.request(Interface.fileChooser, "OpenFile", Self.args, options: options)
        #expect(outcome.response == 0)
        let call = try #require(backend.calls.first)
        #expect(call.member == "OpenFile")
        #expect(call.arguments[1...3] == [.string(""), .string("x11:42"), .string("Choose a file")])
        var expected = options
        expected["not_an_option"] = nil
        #expect(call.options == expected)
    }

    @Test func saveFileAndSaveFilesPassTheirOwnOptions() async throws {
        let portal = try await DesktopDaemon()
        let backend = try await FakeBackend(bus: portal.bus)
        let names = DBusValue.array(element: .array(.byte), [.bytes(Array("a.txt".utf8) + [0]), .bytes(Array("b.txt".utf8) + [0])])
        _ = try await portal.request(Interface.fileChooser, "SaveFile", Self.args,
                                     options: ["current_name": Variant("new.txt"), "multiple": Variant(true)])
        _ = try await portal.request(Interface.fileChooser, "SaveFiles", Self.args, options: ["files": Variant(names)])
        let calls = try await backend.waitForCalls(2)
        #expect(calls[0].member == "SaveFile")
        #expect(calls[0].options == ["current_name": Variant("new.txt")])  // multiple is not a SaveFile option
        #expect(calls[1].member == "SaveFiles")
        #expect(calls[1].options == ["files": Variant(names)])
    }

    static let invalid: [(String, [String: Variant])] = [
        ("filter type", ["filters": filters([.structure([.string("Bad"), .array(element: .structure([.uint32, .string]), [.structure([.uint32(2), .string("x")])])])])]),
        ("empty filter name", ["filters": filters([.structure([.string(""), .array(element: .structure([.uint32, .string]), [.structure([.uint32(0), .string("*")])])])])]),
        ("empty glob", ["filters": filters([.structure([.string("G"), .array(element: .structure([.uint32, .string]), [.structure([.uint32(0), .string("")])])])])]),
        ("no patterns", ["filters": filters([.structure([.string("N"), .array(element: .structure([.uint32, .string]), [])])])]),
        ("current_filter not among filters", ["filters": filters([filter]),
            "current_filter": Variant(.structure([.string("Other"), .array(element: .structure([.uint32, .string]), [.structure([.uint32(0), .string("*.md")])])]))]),
        ("boolean choice value", ["choices": choices([choice("c", "C", [], "maybe")])]),
        ("choice current not an option", ["choices": choices([choice("c", "C", [("a", "A")], "b")])]),
        ("empty choice id", ["choices": choices([choice("", "C", [], "")])]),
        ("empty option label", ["choices": choices([choice("c", "C", [("a", "")], "")])]),
        ("modal of the wrong type", ["modal": Variant("yes")]),
        ("handle_token of the wrong type", ["handle_token": Variant(UInt32(1))]),
        ("current_folder without nul", ["current_folder": Variant(.bytes(Array("/tmp".utf8)))]),
        ("current_folder relative", ["current_folder": Variant(.bytes(Array("tmp/x".utf8) + [0]))]),
        ("current_folder with ..", ["current_folder": Variant(.bytes(Array("/tmp/../etc".utf8) + [0]))]),
    ]

    @Test("bad OpenFile options are InvalidArgument and never reach the backend", arguments: invalid.indices)
    func invalidOptions(index: Int) async throws {
        let (what, options) = Self.invalid[index]
        let portal = try await DesktopDaemon()
        let backend = try await FakeBackend(bus: portal.bus)
        let error = await #expect(throws: PortalError.self, "\(what)") {
            _ = try await portal.call(Interface.fileChooser, "OpenFile", Self.args + [options.dbusValue])
        }
        #expect(error?.name == ErrorName.invalidArgument, "\(what): \(String(describing: error))")
        #expect(backend.calls.isEmpty, "\(what)")
    }

    @Test("bad SaveFiles names are InvalidArgument", arguments: ["a/b", "..", "", "."])
    func invalidSaveFilesNames(name: String) async throws {
        let portal = try await DesktopDaemon()
        let backend = try await FakeBackend(bus: portal.bus)
        let files = Variant(.array(element: .array(.byte), [.bytes(Array(name.utf8) + [0])]))
        let error = await #expect(throws: PortalError.self) {
            _ = try await portal.call(Interface.fileChooser, "SaveFiles", Self.args + [["files": files].dbusValue])
        }
        #expect(error?.name == ErrorName.invalidArgument)
        #expect(backend.calls.isEmpty)
    }

    @Test func aHostCallerGetsTheBackendsFileURIsAndOtherSchemesAreDropped() async throws {
        let portal = try await DesktopDaemon()
        let backend = try await FakeBackend(bus: portal.bus)
        let choice = Variant(.array(element: .structure([.string, .string]), [.structure([.string("encoding"), .string("utf8")])]))
        backend.answer { _, _ in (0, ["uris": Variant(["file:///srv/a%20b.txt", "https://example.com/x"]), "choices": choice,
                                      "current_filter": Variant(Self.filter), "junk": Variant(UInt32(1))]) }
        let outcome = try await portal.request(Interface.fileChooser, "OpenFile", Self.args)
        #expect(outcome.uris == ["file:///srv/a%20b.txt"])
        #expect(outcome.results["choices"] == choice)
        #expect(outcome.results["current_filter"] == Variant(Self.filter))
        #expect(outcome.results["junk"] == nil)
    }

    @Test func savingIsRefusedUnderLockdown() async throws {
        let portal = try await DesktopDaemon(files: ["portals/burrow.portal": DesktopDaemon.burrowPortal,
                                                    "config/burrow/desktop-portal.conf": "[lockdown]\ndisable-save-to-disk=true\n"])
        let backend = try await FakeBackend(bus: portal.bus)
        let error = await #expect(throws: PortalError.self) {
            _ = try await portal.call(Interface.fileChooser, "SaveFile", Self.args + [[String: Variant]().dbusValue])
        }
        #expect(error?.name == ErrorName.notAllowed)
        #expect(error?.message.contains("disable-save-to-disk") == true)
        // Opening is still allowed.
        _ = try await portal.request(Interface.fileChooser, "OpenFile", Self.args)
        #expect(backend.calls.map(\.member) == ["OpenFile"])
    }
}
