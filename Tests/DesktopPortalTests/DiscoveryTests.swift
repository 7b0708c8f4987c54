import Foundation
import PortalCommon
import Testing
import TestSupport

/// Backend discovery, end to end: which backend a call reaches, and the
/// immediate error when there is none.
@Suite("Desktop portal: backend discovery")
struct DiscoveryTests {
    static func portal(_ name: String, _ interfaces: [String] = ["FileChooser"], useIn: String? = nil) -> String {
        "[portal]\nDBusName=org.burrow.test.\(name)\nInterfaces=\(interfaces.map { "org.freedesktop.impl.portal.\($0);" }.joined())\n"
            + (useIn.map { "UseIn=\($0)\n" } ?? "")
    }
    static let args: [DBusValue] = [.string(""), .string("t"), [String: Variant]().dbusValue]
    /// "At once" without timing the call: a portal that waited for a backend
    /// (25 s for D-Bus activation, a day for a dialog) would leave this
    /// client's call to time out with NoReply instead of the named error.
    static let atOnce: Duration = .seconds(15)

    @Test func noConfiguredBackendFailsAtOnce() async throws {
        let portal = try await DesktopDaemon(files: [:])
        let error = await #expect(throws: PortalError.self) {
            _ = try await portal.call(Interface.fileChooser, "OpenFile", Self.args, timeout: Self.atOnce)
        }
        #expect(error?.name == ErrorName.failed)
        #expect(error?.message.contains("no portal backend is configured for FileChooser") == true, "\(String(describing: error))")
    }

    @Test func aBackendThatIsNotRunningFailsAtOnceNamingWhatToStart() async throws {
        let portal = try await DesktopDaemon()
        let error = await #expect(throws: PortalError.self) {
            _ = try await portal.call(Interface.fileChooser, "OpenFile", Self.args, timeout: Self.atOnce)
        }
        #expect(error?.name == ErrorName.failed)
        #expect(error?.message.contains("org.freedesktop.impl.portal.desktop.burrow") == true)
        #expect(error?.message.contains("burrow prompt") == true)
        // Once the backend is on the bus, the same call goes through.
        let backend = try await FakeBackend(bus: portal.bus)
        _ = try await portal.request(Interface.fileChooser, "OpenFile", [.string(""), .string("t")])
        #expect(backend.calls.count == 1)
    }

    @Test func portalsConfBeatsUseInWhichBeatsTheRest() async throws {
        let files = ["portals/a.portal": Self.portal("A", useIn: "desk"), "portals/b.portal": Self.portal("B")]
        let withConf = files.merging(["portals/desk-portals.conf": "[preferred]\ndefault=a\norg.freedesktop.impl.portal.FileChooser=b\n"]) { a, _ in a }
        for (files, expected) in [(withConf, "B"), (files, "A")] {
            let portal = try await DesktopDaemon(files: files, environment: ["XDG_CURRENT_DESKTOP": "Other:Desk"])
            let a = try await FakeBackend(bus: portal.bus, name: "org.burrow.test.A")
            let b = try await FakeBackend(bus: portal.bus, name: "org.burrow.test.B")
            _ = try await portal.request(Interface.fileChooser, "OpenFile", [.string(""), .string("t")])
            #expect((expected == "A" ? a : b).calls.count == 1, "expected \(expected)")
            #expect((expected == "A" ? b : a).calls.isEmpty, "expected \(expected)")
        }
    }

    @Test func withoutXDGDesktopPortalDirTheXDGDirectoriesAreSearched() async throws {
        let portal = try await DesktopDaemon(files: [
            "data/xdg-desktop-portal/portals/a.portal": Self.portal("A"),
            "home/.local/share/xdg-desktop-portal/portals/b.portal": Self.portal("B"),
            "config/xdg-desktop-portal/portals.conf": "[preferred]\ndefault=a\n",
            "home/.config/xdg-desktop-portal/portals.conf": "[preferred]\ndefault=b\n",
        ], portalDirectory: false)
        let b = try await FakeBackend(bus: portal.bus, name: "org.burrow.test.B")
        _ = try await portal.request(Interface.fileChooser, "OpenFile", [.string(""), .string("t")])
        #expect(b.calls.count == 1)
    }
}

/// `PortalConfiguration` on its own: upstream's precedence rules.
@Suite("PortalConfiguration")
struct PortalConfigurationTests {
    let root: URL
    init() throws { root = try TemporaryDirectory.make(prefix: "burrow-portals") }

    func write(_ files: [String: String]) throws {
        for (relative, text) in files {
            let url = root.appendingPathComponent(relative)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: false, encoding: .utf8)
        }
    }

    func configuration(desktops: [String] = [], portalDirectory: Bool = false) -> PortalConfiguration {
        let path = root.path
        return PortalConfiguration(locations: .init(
            portalDirectory: portalDirectory ? path + "/only" : nil, dataHome: path + "/home", dataDirectories: [path + "/data1", path + "/data2"],
            configHome: path + "/config-home", configDirectories: [path + "/config"], sysconfDirectory: path + "/etc",
            dataDirectory: path + "/builtin", currentDesktops: desktops))
    }

    static let chooser = "org.freedesktop.impl.portal.FileChooser"
    static let print = "org.freedesktop.impl.portal.Print"

    @Test func theFirstFileOfANameWinsAndBrokenFilesAreSkipped() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try write([
            "home/xdg-desktop-portal/portals/x.portal": DiscoveryTests.portal("Home"),
            "data1/xdg-desktop-portal/portals/x.portal": DiscoveryTests.portal("Data"),
            "data2/xdg-desktop-portal/portals/broken.portal": "[portal]\nDBusName=org.x.Y\nInterfaces=org.freedesktop.portal.FileChooser;\n",
        ])
        let config = configuration()
        #expect(config.backends.map(\.file.dbusName) == ["org.burrow.test.Home"])
        #expect(config.problems.count == 1)
        #expect(config.backend(for: Self.chooser) == nil)  // no config, no UseIn match, no gtk/burrow backend
    }

    @Test func interfaceKeysBeatDefaultNoneStopsAndStarTakesAny() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try write([
            "data1/xdg-desktop-portal/portals/a.portal": DiscoveryTests.portal("A", ["FileChooser", "Print"]),
            "data1/xdg-desktop-portal/portals/b.portal": DiscoveryTests.portal("B", ["FileChooser"]),
            "config/xdg-desktop-portal/portals.conf": "[preferred]\ndefault=missing;a\n\(Self.chooser)=b\n",
        ])
        #expect(configuration().backend(for: Self.chooser)?.name == "b")
        #expect(configuration().backend(for: Self.print)?.name == "a")
        try write(["config-home/xdg-desktop-portal/kde-portals.conf": "[preferred]\ndefault=*\n\(Self.print)=none\n"])
        #expect(configuration(desktops: ["kde"]).backend(for: Self.print) == nil)
        #expect(configuration(desktops: ["kde"]).backend(for: Self.chooser)?.name == "a")  // '*': the first by name
        #expect(configuration(desktops: ["gnome"]).backend(for: Self.chooser)?.name == "b")  // kde's file is not read
    }

    @Test func useInThenGtkThenBurrowAsLastResorts() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try write([
            "data1/xdg-desktop-portal/portals/z.portal": DiscoveryTests.portal("Z", useIn: "Sway"),
            "data1/xdg-desktop-portal/portals/burrow.portal": "[portal]\nDBusName=org.freedesktop.impl.portal.desktop.burrow\nInterfaces=\(Self.chooser);\(Self.print);\n",
            "data1/xdg-desktop-portal/portals/gtk.portal": "[portal]\nDBusName=org.freedesktop.impl.portal.desktop.gtk\nInterfaces=\(Self.chooser);\n",
        ])
        #expect(configuration(desktops: ["sway"]).backend(for: Self.chooser)?.name == "z")
        #expect(configuration(desktops: ["x"]).backend(for: Self.chooser)?.name == "gtk")
        #expect(configuration(desktops: ["x"]).backend(for: Self.print)?.name == "burrow")
    }

    @Test func xdgDesktopPortalDirIsTheOnlyPlaceSearched() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try write([
            "data1/xdg-desktop-portal/portals/a.portal": DiscoveryTests.portal("A"),
            "config/xdg-desktop-portal/portals.conf": "[preferred]\ndefault=a\n",
            "only/b.portal": DiscoveryTests.portal("B"),
            "only/portals.conf": "[preferred]\ndefault=b\n",
        ])
        let config = configuration(portalDirectory: true)
        #expect(config.backends.map(\.name) == ["b"])
        #expect(config.backend(for: Self.chooser)?.name == "b")
    }
}
