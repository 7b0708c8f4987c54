import PortalCommon
import Testing

@Suite("Sandbox paths mapped to host paths")
struct AppInfoPathTests {
    static let context = AppInfo.PathContext(documentMount: "/run/user/1000/doc")

    static func sandboxed(appPath: String? = "/var/lib/burrow/app/org.x.App/x86_64/stable/abc/files",
                          runtimePath: String? = "/var/lib/burrow/runtime/org.x.Platform/x86_64/1/def/files") throws -> AppInfo {
        var text = "[Application]\nname=org.x.App\n[Instance]\ninstance-id=7\n"
        if let appPath { text += "app-path=\(appPath)\n" }
        if let runtimePath { text += "runtime-path=\(runtimePath)\n" }
        let info = try FlatpakInfo(parsing: Array(text.utf8), fileName: "test")
        return .flatpak(.init(appID: info.appID, instanceID: "7", info: info, pidfd: nil))
    }

    @Test(arguments: [
        ("/app/share/icons/a.png", "/var/lib/burrow/app/org.x.App/x86_64/stable/abc/files/share/icons/a.png"),
        ("/app", "/var/lib/burrow/app/org.x.App/x86_64/stable/abc/files"),
        ("/usr/share/fonts", "/var/lib/burrow/runtime/org.x.Platform/x86_64/1/def/files/share/fonts"),
        ("/run/host/usr/share/fonts", "/usr/share/fonts"),
        ("/run/host/etc/passwd", "/etc/passwd"),
        ("/run/flatpak/doc/1a2b3c/report.pdf", "/run/user/1000/doc/by-app/org.x.App/1a2b3c/report.pdf"),
        ("/home/user//Documents/", "/home/user/Documents"),
        ("/application/x", "/application/x"),
    ])
    func sandboxPrefixesMapToTheirHostLocations(inside: String, host: String) throws {
        #expect(try Self.sandboxed().hostPath(for: inside, context: Self.context) == host)
    }

    @Test(arguments: ["relative/path", "", "/app/../etc/shadow", "/home/./user", "/run/flatpak/doc/.."])
    func ambiguousPathsAreRefused(path: String) throws {
        #expect(try Self.sandboxed().hostPath(for: path, context: Self.context) == nil)
        #expect(AppInfo.host(.init()).hostPath(for: path, context: Self.context) == nil)
    }

    @Test func unknownLocationsAreNotGuessed() throws {
        // Without runtime-path, /usr inside the sandbox has no host location;
        // it must not silently become the host's /usr.
        let app = try Self.sandboxed(runtimePath: nil)
        #expect(app.hostPath(for: "/usr/bin/sh", context: Self.context) == nil)
        #expect(app.hostPath(for: "/run/flatpak/doc/x", context: .init(documentMount: nil)) == nil)
    }

    @Test func hostPathsStayAsTheyAre() {
        #expect(AppInfo.host(.init()).hostPath(for: "/usr/share", context: Self.context) == "/usr/share")
    }
}
