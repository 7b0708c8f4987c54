import PortalCommon
import Testing

@Suite("AppID and FlatpakRef")
struct AppIDTests {
    static let valid = [
        "org.gnome.Calculator",
        "org.example.App",
        "com.example.my_app",
        "org.example.last-element-may-have-dashes",
        "org.example.-leading-dash-in-last",
        "_a._b._c",
        "a.b.c",
        "org.example.App2",
        "org.example." + String(repeating: "a", count: 243),  // exactly 255 bytes
    ]

    static let invalid: [(String, String)] = [
        ("", "empty"),
        ("org.example", "only two elements"),
        ("org", "one element"),
        ("org..example.App", "empty element, i.e. `..`"),
        ("org.example..", "ends with `..`"),
        ("..", "just `..`"),
        (".org.example.App", "leading period"),
        ("org.example.App.", "trailing period"),
        ("org.my-example.App", "`-` in a non-last element"),
        ("my-org.example.App", "`-` in the first element"),
        ("org.example.1App", "element starts with a digit"),
        ("1org.example.App", "starts with a digit"),
        ("org.example/../App", "slash"),
        ("org.exa mple.App", "space"),
        ("org.example.Äpp", "non-ASCII"),
        ("org.example.App\n", "newline"),
        ("org.example.*", "wildcard"),
        ("org.example." + String(repeating: "a", count: 244), "256 bytes"),
    ]

    @Test("valid IDs", arguments: valid)
    func validIDs(_ text: String) throws {
        #expect(AppID.invalidityReason(text) == nil)
        #expect(AppID(rawValue: text)?.rawValue == text)
        #expect(try AppID(text).description == text)
    }

    @Test("invalid IDs", arguments: invalid)
    func invalidIDs(_ text: String, _ why: String) {
        #expect(AppID.invalidityReason(text) != nil, "\(why) should be refused")
        #expect(AppID(rawValue: text) == nil)
        let error = #expect(throws: AppID.ValidationError.self) { try AppID(text) }
        #expect(error?.value == text)
        #expect(error.map { PortalError($0).name } == "org.freedesktop.portal.Error.InvalidArgument")
    }

    @Test("the length limit counts bytes, and reasons name the rule")
    func reasons() {
        #expect(AppID.invalidityReason("org.example") == "Names must contain at least 2 periods")
        #expect(AppID.invalidityReason("org.my-example.App") == "Only last name segment can contain -")
        // 2-byte characters: 128 × "é" is 256 bytes but only 128 characters.
        #expect(AppID.invalidityReason("o.e." + String(repeating: "é", count: 126))?.contains("255") == true)
    }

    @Test("full refs parse into kind, ID, arch and branch")
    func fullRefs() throws {
        let app = try FlatpakRef(parsing: "app/org.test.App/x86_64/stable")
        #expect(app.kind == .app)
        #expect(app.id.rawValue == "org.test.App")
        #expect(app.arch == "x86_64")
        #expect(app.branch == "stable")
        #expect(app.description == "app/org.test.App/x86_64/stable")
        #expect(app.partial == "org.test.App/x86_64/stable")

        let runtime = try FlatpakRef(parsing: "runtime/org.freedesktop.Platform.GL.default/aarch64/23.08-extra")
        #expect(runtime.kind == .runtime)
        #expect(runtime.branch == "23.08-extra")
    }

    @Test("partial refs take their kind from the caller")
    func partialRefs() throws {
        let ref = try FlatpakRef(parsingPartial: "org.test.Platform/x86_64/1", kind: .runtime)
        #expect(ref.description == "runtime/org.test.Platform/x86_64/1")
        #expect(throws: FlatpakRef.ValidationError.self) {
            try FlatpakRef(parsingPartial: "runtime/org.test.Platform/x86_64/1", kind: .runtime)
        }
    }

    @Test("bad refs", arguments: [
        "app/org.test.App/x86_64",
        "app/org.test.App/x86_64/1/extra",
        "extension/org.test.App/x86_64/1",
        "app/org.test/x86_64/1",
        "app/../x86_64/1",
        "app/org.test.App/x86-64/1",
        "app/org.test.App//1",
        "app/org.test.App/x86_64/",
        "app/org.test.App/x86_64/..",
        "app/org.test.App/x86_64/.hidden",
        "app/org.test.App/x86_64/a/b",
        "app/org.test.App/x86_64/br anch",
        "/org.test.App/x86_64/1",
    ])
    func badRefs(_ text: String) {
        let error = #expect(throws: FlatpakRef.ValidationError.self) { try FlatpakRef(parsing: text) }
        #expect(error?.value == text)
    }
}
