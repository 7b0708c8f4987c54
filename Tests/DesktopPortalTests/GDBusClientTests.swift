import Foundation
import PortalCommon
import Testing
import TestSupport

/// An unmodified client: `gdbus call` (as an unprivileged host process).
@Suite("Desktop portal: gdbus")
struct GDBusClientTests {
    @Test func gdbusReadsVersionsAndOpensAFileChooserRequest() async throws {
        let portal = try await DesktopDaemon()
        let backend = try await FakeBackend(bus: portal.bus)
        func gdbus(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
            let command = Nobody.command("/usr/bin/gdbus", ["call", "--session", "--dest", "org.freedesktop.portal.Desktop",
                                                             "--object-path", "/org/freedesktop/portal/desktop"] + arguments)
            return try await runProgram(command[0], Array(command.dropFirst()), environment: ["DBUS_SESSION_BUS_ADDRESS": portal.bus.address, "LC_ALL": "C"])
        }
        for (interface, version) in [("FileChooser", 4), ("OpenURI", 5), ("Print", 4)] {
            let result = try await gdbus(["--method", "org.freedesktop.DBus.Properties.Get", "org.freedesktop.portal.\(interface)", "version"])
            #expect(result.stdout == "(<uint32 \(version)>,)\n", "\(interface): \(result.stderr)")
        }
        let opened = try await gdbus(["--method", "org.freedesktop.portal.FileChooser.OpenFile", "", "Pick",
                                      "{'handle_token': <'gdbus'>, 'multiple': <true>}"])
        #expect(opened.status == 0, "\(opened.stderr)")
        #expect(opened.stdout.hasPrefix("(objectpath '/org/freedesktop/portal/desktop/request/"))
        #expect(opened.stdout.hasSuffix("/gdbus',)\n"))
        let calls = try await backend.waitForCalls(1)
        #expect(calls[0].options == ["multiple": Variant(true)])
        let bad = try await gdbus(["--method", "org.freedesktop.portal.FileChooser.OpenFile", "", "Pick", "{'multiple': <'yes'>}"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("org.freedesktop.portal.Error.InvalidArgument"))
    }
}
