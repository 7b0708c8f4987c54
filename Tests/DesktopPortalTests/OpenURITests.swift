import CLinux
import Foundation
import PortalCommon
import Testing
import TestSupport

/// OpenURI v5: handlers found by GIO in the daemon's XDG_DATA_DIRS, launched
/// on the host; the app chooser when asked; choices remembered.
@Suite("Desktop portal: OpenURI")
struct OpenURITests {
    static let app = "org.burrow.Opener"

    /// A daemon whose data dir holds `org.burrow.Recorder.desktop`, a handler
    /// for `burrowtest:` URIs and text files that writes its argument to
    /// `files/opened`, and `org.burrow.Folders.desktop` for folders.
    static func daemon(bus: PrivateBus? = nil) async throws -> DesktopDaemon {
        let portal = try await DesktopDaemon(bus: bus, files: [
            "portals/burrow.portal": DesktopDaemon.burrowPortal,
            "files/record.sh": "#!/bin/sh\nprintf '%s' \"$1\" > \"$(dirname \"$0\")/opened.tmp\" && mv \"$(dirname \"$0\")/opened.tmp\" \"$(dirname \"$0\")/opened\"\n",
            "data/applications/org.burrow.Recorder.desktop": """
                [Desktop Entry]
                Type=Application
                Name=Recorder
                Exec=@ROOT@/files/record.sh %u
                MimeType=x-scheme-handler/burrowtest;text/plain;

                """,
            "data/applications/org.burrow.Folders.desktop": """
                [Desktop Entry]
                Type=Application
                Name=Folders
                Exec=@ROOT@/files/record.sh %u
                MimeType=inode/directory;

                """,
            // What update-desktop-database writes: GIO takes MIME associations from it.
            "data/applications/mimeinfo.cache": """
                [MIME Cache]
                x-scheme-handler/burrowtest=org.burrow.Recorder.desktop;
                text/plain=org.burrow.Recorder.desktop;
                inode/directory=org.burrow.Folders.desktop;

                """,
        ], environment: ["XDG_DATA_DIRS": "@ROOT@/data:/usr/share"])  // /usr/share for the shared MIME database
        chmod(portal.filesDirectory + "/record.sh", 0o755)
        return portal
    }

    /// What the handler received, once it has run.
    static func opened(_ portal: DesktopDaemon) async throws -> String {
        let path = portal.filesDirectory + "/opened"
        for _ in 0..<1000 {
            if let text = try? String(contentsOfFile: path, encoding: .utf8) { return text }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw TestFailure("the handler did not run within 5 s:\n\(portal.log)")
    }

    @Test func theOnlyHandlerIsLaunchedWithTheURI() async throws {
        let portal = try await Self.daemon()
        let backend = try await FakeBackend(bus: portal.bus)
        let outcome = try await portal.request(Interface.openURI, "OpenURI", [.string(""), .string("burrowtest:hello?x=1")])
        #expect(outcome.response == 0)
        #expect(try await Self.opened(portal) == "burrowtest:hello?x=1")
        #expect(backend.calls.isEmpty)  // one candidate: no chooser
    }

    @Test func askGoesToTheAppChooserAndTheChoiceIsRemembered() async throws {
        let portal = try await Self.daemon()
        let store = try await StoreDaemon(.burrow, bus: portal.bus)
        let backend = try await FakeBackend(bus: portal.bus)
        backend.answer { _, _ in (0, ["choice": Variant("org.burrow.Recorder")]) }
        let outcome = try await portal.request(Interface.openURI, "OpenURI", [.string("wayland:1"), .string("burrowtest:asked")],
                                               options: ["ask": Variant(true), "activation_token": Variant("tok")])
        #expect(outcome.response == 0)
        #expect(try await Self.opened(portal) == "burrowtest:asked")
        let call = try #require(backend.calls.first)
        #expect(call.member == "ChooseApplication")
        #expect(call.arguments[3] == ["org.burrow.Recorder"].dbusValue)
        #expect(call.options["content_type"] == Variant("x-scheme-handler/burrowtest"))
        #expect(call.options["uri"] == Variant("burrowtest:asked"))
        #expect(call.options["activation_token"] == Variant("tok"))
        let reply = try await store.call("Lookup", [.string("desktop-used-apps"), .string("x-scheme-handler/burrowtest")])
        let permissions = try [String: [String]](dbusValue: reply[0])
        #expect(permissions[""] == ["org.burrow.Recorder", "1", "3"])
    }

    @Test func aChooserCancelLaunchesNothing() async throws {
        let portal = try await Self.daemon()
        let backend = try await FakeBackend(bus: portal.bus)
        backend.answer { _, _ in (1, [:]) }
        let outcome = try await portal.request(Interface.openURI, "OpenURI", [.string(""), .string("burrowtest:no")],
                                               options: ["ask": Variant(true)])
        #expect(outcome.response == 1)
        try await Task.sleep(for: .milliseconds(200))
        #expect(!FileManager.default.fileExists(atPath: portal.filesDirectory + "/opened"))
    }

    @Test func aSandboxOpensAFileByDescriptorNotByFileURI() async throws {
        let portal = try await Self.daemon()
        let backend = try await FakeBackend(bus: portal.bus)
        // Text files may have other handlers on the host (vim): then the chooser asks.
        backend.answer { _, _ in (0, ["choice": Variant("org.burrow.Recorder")]) }
        let note = try portal.makeFile("note.txt", contents: "plain text\n")
        let sandbox = try await portal.connectSandboxedApp(Self.app)
        defer { sandbox.close() }
        let refused = await #expect(throws: PortalError.self) {
            _ = try await portal.call(Interface.openURI, "OpenURI", [.string(""), .string(FileURI.make(note)),
                                                                     [String: Variant]().dbusValue], as: sandbox)
        }
        #expect(refused?.name == ErrorName.notAllowed)
        let outcome = try await portal.request(Interface.openURI, "OpenFile", [.string(""), .unixFD(portal.open(note, O_RDONLY))],
                                               as: sandbox)
        #expect(outcome.response == 0)
        #expect(try await Self.opened(portal) == FileURI.make(note))
    }

    @Test func aSandboxMayNotHaveExecutablesOrDesktopFilesOpened() async throws {
        let portal = try await Self.daemon()
        let backend = try await FakeBackend(bus: portal.bus)
        defer { backend.stop() }
        let script = try portal.makeFile("run-me.txt", contents: "#!/bin/sh\necho escaped\n", mode: 0o755)
        let launcher = try portal.makeFile("evil.desktop", contents: "[Desktop Entry]\nType=Application\nExec=/bin/true\n")
        let sandbox = try await portal.connectSandboxedApp(Self.app)
        defer { sandbox.close() }
        for path in [script, launcher] {
            let error = await #expect(throws: PortalError.self, "\(path)") {
                _ = try await portal.call(Interface.openURI, "OpenFile", [.string(""), .unixFD(portal.open(path, O_RDONLY)),
                                                                          [String: Variant]().dbusValue], as: sandbox)
            }
            #expect(error?.name == ErrorName.notAllowed, "\(path)")
        }
        #expect(!FileManager.default.fileExists(atPath: portal.filesDirectory + "/opened"))
    }

    @Test func writableMustMatchTheDescriptor() async throws {
        let portal = try await Self.daemon()
        let backend = try await FakeBackend(bus: portal.bus)
        defer { backend.stop() }
        let note = try portal.makeFile("rw.txt", contents: "x")
        let sandbox = try await portal.connectSandboxedApp(Self.app)
        defer { sandbox.close() }
        for (flags, writable) in [(O_RDONLY, true), (O_RDWR, false)] {
            let error = await #expect(throws: PortalError.self) {
                _ = try await portal.call(Interface.openURI, "OpenFile", [.string(""), .unixFD(portal.open(note, flags)),
                                                                          ["writable": Variant(writable)].dbusValue], as: sandbox)
            }
            #expect(error?.name == ErrorName.notAllowed)
        }
    }

    @Test func openDirectoryOpensTheContainingFolder() async throws {
        let portal = try await Self.daemon()
        let backend = try await FakeBackend(bus: portal.bus)
        defer { backend.stop() }
        let note = try portal.makeFile("in-folder.txt")
        let sandbox = try await portal.connectSandboxedApp(Self.app)
        defer { sandbox.close() }
        let outcome = try await portal.request(Interface.openURI, "OpenDirectory", [.string(""), .unixFD(portal.open(note, O_RDONLY))],
                                               as: sandbox)
        #expect(outcome.response == 0)
        #expect(try await Self.opened(portal) == FileURI.make(portal.filesDirectory))
    }

    @Test func schemeSupportedAndBadURIs() async throws {
        let portal = try await Self.daemon()
        #expect(try await portal.call(Interface.openURI, "SchemeSupported", [.string("burrowtest"), [String: Variant]().dbusValue]) == [.bool(true)])
        #expect(try await portal.call(Interface.openURI, "SchemeSupported", [.string("nosuchscheme"), [String: Variant]().dbusValue]) == [.bool(false)])
        for scheme in ["", "1abc", "a b"] {
            let error = await #expect(throws: PortalError.self) {
                _ = try await portal.call(Interface.openURI, "SchemeSupported", [.string(scheme), [String: Variant]().dbusValue])
            }
            #expect(error?.name == ErrorName.invalidArgument, "\(scheme)")
        }
        for uri in ["no scheme here", "burrowtest:", "bad scheme:x", "burrowtest:has space"] {
            let error = await #expect(throws: PortalError.self) {
                _ = try await portal.call(Interface.openURI, "OpenURI", [.string(""), .string(uri), [String: Variant]().dbusValue])
            }
            #expect(error?.name == ErrorName.invalidArgument, "\(uri)")
        }
    }

    @Test func handlersAreRefusedUnderLockdown() async throws {
        let portal = try await DesktopDaemon(files: ["portals/burrow.portal": DesktopDaemon.burrowPortal,
                                                    "config/burrow/desktop-portal.conf": "[lockdown]\ndisable-application-handlers=true\n"])
        let error = await #expect(throws: PortalError.self) {
            _ = try await portal.call(Interface.openURI, "OpenURI", [.string(""), .string("https://example.com"), [String: Variant]().dbusValue])
        }
        #expect(error?.name == ErrorName.notAllowed)
    }
}
