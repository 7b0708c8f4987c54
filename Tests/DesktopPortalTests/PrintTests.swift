import CLinux
import Foundation
import PortalCommon
import Testing
import TestSupport

/// Print v4: the backend's impl Print receives the document's descriptor.
@Suite("Desktop portal: Print")
struct PrintTests {
    static let pdf = "%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"

    @Test func printHandsTheDocumentAndTheTokenToTheBackend() async throws {
        let portal = try await DesktopDaemon()
        let backend = try await FakeBackend(bus: portal.bus)
        let document = try portal.makeFile("doc.pdf", contents: Self.pdf)
        nonisolated(unsafe) var received = ""
        backend.answer { call, _ in
            // Read through the very descriptor that was passed along.
            if case .unixFD(let fd)? = call.arguments.dropLast().last {
                received = fd.withRawDescriptor { raw in
                    var bytes = [UInt8](repeating: 0, count: 4096)
                    let n = bytes.withUnsafeMutableBytes { pread(raw, $0.baseAddress, $0.count, 0) }
                    return String(decoding: bytes.prefix(max(n, 0)), as: UTF8.self)
                }
            }
            return (0, [:])
        }
        let outcome = try await portal.request(Interface.print, "Print", [.string(""), .string("Report"), .unixFD(portal.open(document, O_RDONLY))],
                                               options: ["token": Variant(UInt32(7)), "modal": Variant(true), "other": Variant("x")])
        #expect(outcome.response == 0)
        let call = try #require(backend.calls.first)
        #expect(call.member == "Print")
        #expect(call.arguments[3] == .string("Report"))
        #expect(call.options == ["token": Variant(UInt32(7)), "modal": Variant(true)])
        #expect(received == Self.pdf)
    }

    @Test func preparePrintPassesSettingsAndReturnsOnlyItsResults() async throws {
        let portal = try await DesktopDaemon()
        let backend = try await FakeBackend(bus: portal.bus)
        let settings: [String: Variant] = ["n-copies": Variant("2"), "orientation": Variant("landscape")]
        let setup: [String: Variant] = ["PPDName": Variant("A4"), "MarginTop": Variant(10.0)]
        backend.answer { _, _ in (0, ["settings": Variant(settings.dbusValue), "page-setup": Variant(setup.dbusValue),
                                      "token": Variant(UInt32(42)), "printer-secret": Variant("no")]) }
        let outcome = try await portal.request(Interface.print, "PreparePrint",
                                               [.string(""), .string("Report"), settings.dbusValue, setup.dbusValue],
                                               options: ["supported_output_file_formats": Variant(["pdf", "ps"]), "has_current_page": Variant(true)])
        #expect(outcome.response == 0)
        #expect(outcome.results.keys.sorted() == ["page-setup", "settings", "token"])
        #expect(outcome.results["token"] == Variant(UInt32(42)))
        let call = try #require(backend.calls.first)
        #expect(call.arguments[4] == settings.dbusValue)
        #expect(call.arguments[5] == setup.dbusValue)
        #expect(call.options["supported_output_file_formats"] == Variant(["pdf", "ps"]))
    }

    @Test func badDocumentsAndFormatsAreRefused() async throws {
        let portal = try await DesktopDaemon()
        let backend = try await FakeBackend(bus: portal.bus)
        let text = try portal.makeFile("notes.txt", contents: "just text")
        let pdf = try portal.makeFile("ok.pdf", contents: Self.pdf)
        let cases: [(String, DBusValue, [String: Variant])] = [
            ("not PDF or PostScript", .unixFD(try portal.open(text, O_RDONLY)), [:]),
            ("a directory", .unixFD(try portal.open(portal.filesDirectory, O_RDONLY | O_DIRECTORY)), [:]),
            ("write-only", .unixFD(try portal.open(pdf, O_WRONLY)), [:]),
            ("unknown format", .unixFD(try portal.open(pdf, O_RDONLY)), ["supported_output_file_formats": Variant(["docx"])]),
            ("token of the wrong type", .unixFD(try portal.open(pdf, O_RDONLY)), ["token": Variant("7")]),
        ]
        for (what, fd, options) in cases {
            let error = await #expect(throws: PortalError.self, "\(what)") {
                _ = try await portal.call(Interface.print, "Print", [.string(""), .string("x"), fd, options.dbusValue])
            }
            #expect(error?.name == ErrorName.invalidArgument, "\(what): \(String(describing: error))")
        }
        #expect(backend.calls.isEmpty)
    }

    @Test func printingIsRefusedUnderLockdown() async throws {
        let portal = try await DesktopDaemon(files: ["portals/burrow.portal": DesktopDaemon.burrowPortal,
                                                    "config/burrow/desktop-portal.conf": "[lockdown]\ndisable-printing=true\n"])
        let backend = try await FakeBackend(bus: portal.bus)
        let pdf = try portal.makeFile("ok.pdf", contents: Self.pdf)
        for (member, arguments) in [("Print", [DBusValue.string(""), .string("x"), .unixFD(try portal.open(pdf, O_RDONLY))]),
                                    ("PreparePrint", [.string(""), .string("x"), [String: Variant]().dbusValue, [String: Variant]().dbusValue])] {
            let error = await #expect(throws: PortalError.self) {
                _ = try await portal.call(Interface.print, member, arguments + [[String: Variant]().dbusValue])
            }
            #expect(error?.name == ErrorName.notAllowed, "\(member)")
            #expect(error?.message.contains("disable-printing") == true)
        }
        #expect(backend.calls.isEmpty)
    }
}
