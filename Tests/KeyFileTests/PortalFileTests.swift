import PortalCommon
import Testing

@Suite("PortalFile")
struct PortalFileTests {
    @Test("parses Debian's gtk.portal")
    func gtkPortal() throws {
        let file = try PortalFile(parsing: Array(Fixtures.gtkPortal.utf8), fileName: "gtk.portal")
        #expect(file.dbusName == "org.freedesktop.impl.portal.desktop.gtk")
        #expect(file.interfaces.count == 11)
        #expect(file.interfaces.first == "org.freedesktop.impl.portal.FileChooser")
        #expect(file.implements("org.freedesktop.impl.portal.Print"))
        #expect(!file.implements("org.freedesktop.impl.portal.Screenshot"))
        #expect(file.useIn == ["gnome"])
    }

    @Test("UseIn is optional")
    func withoutUseIn() throws {
        let text = "[portal]\nDBusName=org.freedesktop.impl.portal.desktop.burrow\nInterfaces=org.freedesktop.impl.portal.Access;\n"
        let file = try PortalFile(parsing: Array(text.utf8), fileName: "burrow.portal")
        #expect(file.useIn == [])
        #expect(file.interfaces == ["org.freedesktop.impl.portal.Access"])
    }

    @Test("bad or missing values name the key", arguments: [
        ("Interfaces=org.freedesktop.impl.portal.Access\n", "DBusName"),
        ("DBusName=org.x.Backend\n", "Interfaces"),
        ("DBusName=org.x.Backend\nInterfaces=\n", "Interfaces"),
        ("DBusName=:1.42\nInterfaces=org.freedesktop.impl.portal.Access\n", "DBusName"),
        ("DBusName=backend\nInterfaces=org.freedesktop.impl.portal.Access\n", "DBusName"),
        ("DBusName=org.x.Backend\nInterfaces=org.freedesktop.impl.portal.Access;org.bad-dash.I;\n", "Interfaces"),
        ("DBusName=org.x.Backend\nInterfaces=org.freedesktop.impl.portal.1Access;\n", "Interfaces"),
        ("DBusName=org.x.Backend\nInterfaces=org.freedesktop.portal.FileChooser;\n", "Interfaces"),
    ])
    func errors(body: String, key: String) {
        let error = #expect(throws: KeyFileError.self) {
            try PortalFile(parsing: Array("[portal]\n\(body)".utf8), fileName: "x.portal")
        }
        #expect(error?.fileName == "x.portal")
        #expect(error?.group == "portal")
        #expect(error?.key == key)
    }
}
