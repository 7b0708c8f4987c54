import Foundation
import PortalCommon
import Testing
import TestSupport

/// OpenURI with a `Terminal=true` handler: started inside a terminal
/// emulator found on PATH, the URI still one argument; without any
/// terminal, the request ends (response 2) and the log says what to install.
@Suite("Desktop portal: Terminal=true handlers")
struct TerminalHandlerTests {
    static func daemon(path: String) async throws -> DesktopDaemon {
        let portal = try await DesktopDaemon(files: [
            "portals/burrow.portal": DesktopDaemon.burrowPortal,
            "files/record.sh": "#!/bin/sh\nprintf '%s' \"$1\" > \"$(dirname \"$0\")/opened.tmp\" && mv \"$(dirname \"$0\")/opened.tmp\" \"$(dirname \"$0\")/opened\"\n",
            // A terminal emulator stand-in: notes how it was asked to run the
            // command, then runs it.
            "bin/xdg-terminal-exec": "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"@ROOT@/files/terminal\"\nexec \"$@\"\n",
            "data/applications/org.burrow.Console.desktop": """
                [Desktop Entry]
                Type=Application
                Name=Console tool
                Exec=@ROOT@/files/record.sh %u
                Terminal=true
                MimeType=x-scheme-handler/burrowterm;

                """,
            "data/applications/mimeinfo.cache": "[MIME Cache]\nx-scheme-handler/burrowterm=org.burrow.Console.desktop;\n",
        ], environment: ["XDG_DATA_DIRS": "@ROOT@/data:/usr/share", "PATH": path])
        for script in ["files/record.sh", "bin/xdg-terminal-exec"] {
            let file = portal.root.appendingPathComponent(script).path
            try String(contentsOfFile: file, encoding: .utf8).replacing("@ROOT@", with: portal.root.path)
                .write(toFile: file, atomically: false, encoding: .utf8)
            chmod(file, 0o755)
        }
        return portal
    }

    @Test func theHandlerRunsInATerminalWithTheURIAsOneArgument() async throws {
        let portal = try await Self.daemon(path: "@ROOT@/bin:/usr/bin:/bin")
        let uri = "burrowterm:one;$(id)&two=`id`"
        let outcome = try await portal.request(Interface.openURI, "OpenURI", [.string(""), .string(uri)])
        #expect(outcome.response == 0)
        #expect(try await OpenURITests.opened(portal) == uri)
        let terminal = try String(contentsOfFile: portal.filesDirectory + "/terminal", encoding: .utf8)
        #expect(terminal == portal.filesDirectory + "/record.sh\n" + uri + "\n", "\(terminal)")
    }

    @Test func withoutATerminalTheCallFailsSayingWhatToInstall() async throws {
        let portal = try await Self.daemon(path: "@ROOT@/nothing")
        let outcome = try await portal.request(Interface.openURI, "OpenURI", [.string(""), .string("burrowterm:x")])
        #expect(outcome.response == 2)
        #expect(portal.log.contains("no terminal emulator is installed: install one (xterm"), "\(portal.log)")
        #expect(!FileManager.default.fileExists(atPath: portal.filesDirectory + "/opened"))
    }
}
