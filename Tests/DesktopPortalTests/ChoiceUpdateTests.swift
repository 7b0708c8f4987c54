import Foundation
import PortalCommon
import Testing
import TestSupport

/// AppChooser's UpdateChoices: a handler installed while the chooser is
/// open is offered in it, and can be the one chosen.
@Suite("Desktop portal: app chooser updates")
struct ChoiceUpdateTests {
    @Test func aHandlerInstalledWhileTheChooserIsOpenIsOffered() async throws {
        let portal = try await OpenURITests.daemon()
        let backend = try await FakeBackend(bus: portal.bus)
        // The person waits for the new app to show up, then picks it.
        backend.answer { _, backend in
            for _ in 0..<400 where !backend.calls.contains(where: { $0.member == "UpdateChoices" }) {
                try? await Task.sleep(for: .milliseconds(25))
            }
            return (0, ["choice": Variant("org.burrow.Second")])
        }
        let request = Task { try await portal.request(Interface.openURI, "OpenURI", [.string(""), .string("burrowtest:late")],
                                                      options: ["ask": Variant(true)]) }
        for _ in 0..<400 where !backend.calls.contains(where: { $0.member == "ChooseApplication" }) {
            try await Task.sleep(for: .milliseconds(10))
        }
        let shown = try #require(backend.calls.first { $0.member == "ChooseApplication" })
        #expect(shown.arguments[3] == ["org.burrow.Recorder"].dbusValue)

        // Installed as a package would: the desktop file, then the cache.
        let applications = portal.root.appendingPathComponent("data/applications").path
        try """
            [Desktop Entry]
            Type=Application
            Name=Second
            Exec=\(portal.filesDirectory)/record.sh %u
            MimeType=x-scheme-handler/burrowtest;

            """.write(toFile: applications + "/org.burrow.Second.desktop", atomically: false, encoding: .utf8)
        try "[MIME Cache]\nx-scheme-handler/burrowtest=org.burrow.Recorder.desktop;org.burrow.Second.desktop;\n"
            .write(toFile: applications + "/mimeinfo.cache", atomically: false, encoding: .utf8)

        let outcome = try await request.value
        let update = try #require(backend.calls.first { $0.member == "UpdateChoices" }, "no UpdateChoices:\n\(portal.log)")
        #expect(update.handle == shown.handle)
        #expect(Set((try? [String](dbusValue: update.arguments[1])) ?? []) == ["org.burrow.Recorder", "org.burrow.Second"])
        #expect(outcome.response == 0)
        #expect(try await OpenURITests.opened(portal) == "burrowtest:late")
    }
}
