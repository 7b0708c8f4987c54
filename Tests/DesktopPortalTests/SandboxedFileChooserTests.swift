import CLinux
import Foundation
import PortalCommon
import Testing
import TestSupport

/// A sandboxed caller's chosen files arrive as documents it can use inside
/// its sandbox, through the real document portal (FUSE) and real bwrap.
@Suite("Desktop portal: FileChooser for sandboxed apps")
struct SandboxedFileChooserTests {
    static let app = "org.burrow.Chooser"

    /// Reads (or runs `script` on) the app's view of its documents inside a
    /// sandbox, where it is bound at /run/flatpak/doc as `burrow run` binds it.
    static func inSandbox(_ documents: DocumentDaemon, _ script: String) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await TestSandbox.run("/bin/sh", ["-c", script], bus: documents.bus, info: .none, extraArguments: [
            "--bind", documents.mountPoint + "/by-app/" + app, "/run/flatpak/doc",
        ])
    }

    @Test func openFileReturnsADocumentTheAppCanReadInItsSandbox() async throws {
        let documents = try await DocumentDaemon()
        let portal = try await DesktopDaemon(bus: documents.bus)
        let backend = try await FakeBackend(bus: documents.bus)
        let chosen = try documents.makeFile("chosen notes.txt", contents: "from the host")
        backend.answer { _, _ in (0, ["uris": Variant([FileURI.make(chosen)])]) }
        let sandbox = try await portal.connectSandboxedApp(Self.app)
        defer { sandbox.close() }

        let outcome = try await portal.request(Interface.fileChooser, "OpenFile", FileChooserTests.args, as: sandbox)
        #expect(outcome.response == 0)
        #expect(backend.calls.first?.appID == Self.app)
        let uri = try #require(outcome.uris.first)
        #expect(uri.hasPrefix("file:///run/flatpak/doc/"))
        #expect(uri.hasSuffix("/chosen%20notes.txt"))
        let id = String(uri.dropFirst("file:///run/flatpak/doc/".count).prefix { $0 != "/" })
        let info = try await documents.info(id)
        #expect(info.path == chosen)
        #expect(info.apps[Self.app]?.sorted() == ["grant-permissions", "read", "write"])

        let read = try await Self.inSandbox(documents, "cat '/run/flatpak/doc/\(id)/chosen notes.txt'")
        #expect(read.status == 0, "\(read.stderr)")
        #expect(read.stdout == "from the host")
    }

    @Test func aReadOnlyChoiceGrantsNoWrite() async throws {
        let documents = try await DocumentDaemon()
        let portal = try await DesktopDaemon(bus: documents.bus)
        let backend = try await FakeBackend(bus: documents.bus)
        let chosen = try documents.makeFile("ro.txt", contents: "keep")
        backend.answer { _, _ in (0, ["uris": Variant([FileURI.make(chosen)]), "writable": Variant(false)]) }
        let sandbox = try await portal.connectSandboxedApp(Self.app)
        defer { sandbox.close() }
        let outcome = try await portal.request(Interface.fileChooser, "OpenFile", FileChooserTests.args, as: sandbox)
        let id = String(try #require(outcome.uris.first).dropFirst("file:///run/flatpak/doc/".count).prefix { $0 != "/" })
        #expect(try await documents.info(id).apps[Self.app]?.sorted() == ["grant-permissions", "read"])
        let write = try await Self.inSandbox(documents, "printf changed > /run/flatpak/doc/\(id)/ro.txt")
        #expect(write.status != 0)
        #expect((try? String(contentsOfFile: chosen, encoding: .utf8)) == "keep")
    }

    @Test func saveFileCreatesTheFileThroughTheDocumentPortal() async throws {
        let documents = try await DocumentDaemon()
        let portal = try await DesktopDaemon(bus: documents.bus)
        let backend = try await FakeBackend(bus: documents.bus)
        let target = documents.filesDirectory + "/saved.txt"
        backend.answer { _, _ in (0, ["uris": Variant([FileURI.make(target)])]) }
        let sandbox = try await portal.connectSandboxedApp(Self.app)
        defer { sandbox.close() }
        let outcome = try await portal.request(Interface.fileChooser, "SaveFile", FileChooserTests.args,
                                               options: ["current_name": Variant("saved.txt")], as: sandbox)
        let uri = try #require(outcome.uris.first)
        #expect(uri.hasSuffix("/saved.txt"))
        let id = String(uri.dropFirst("file:///run/flatpak/doc/".count).prefix { $0 != "/" })
        let write = try await Self.inSandbox(documents, "printf 'saved from the sandbox' > /run/flatpak/doc/\(id)/saved.txt")
        #expect(write.status == 0, "\(write.stderr)")
        #expect((try? String(contentsOfFile: target, encoding: .utf8)) == "saved from the sandbox")
    }

    @Test func aDocumentFolderIsShownAsItsHostFolder() async throws {
        let documents = try await DocumentDaemon()
        let portal = try await DesktopDaemon(bus: documents.bus)
        let backend = try await FakeBackend(bus: documents.bus)
        let file = try documents.makeFile("inside.txt")
        let id = try await documents.addFull([documents.open(file, burrow_o_path)], flags: 0, app: Self.app, permissions: ["read"]).ids[0]
        let sandbox = try await portal.connectSandboxedApp(Self.app)
        defer { sandbox.close() }
        _ = try await portal.request(Interface.fileChooser, "SaveFile", FileChooserTests.args, options: [
            "current_file": Variant(.bytes(Array("/run/flatpak/doc/\(id)/inside.txt".utf8) + [0])),
            "current_folder": Variant(.bytes(Array("/run/flatpak/doc/\(id)".utf8) + [0])),
        ], as: sandbox)
        let options = try #require(backend.calls.first).options
        #expect(options["current_file"] == Variant(.bytes(Array(file.utf8) + [0])))
        #expect(options["current_folder"] == Variant(.bytes(Array(documents.filesDirectory.utf8) + [0])))
    }
}
