import PortalCommon
import Testing
@testable import launcher

/// The prompt's plain values: paths and URIs, filters, choices, drawing.
@Suite("burrow prompt: models")
struct PromptModelTests {
    @Test func urisAreEscapedExactlyAsGLibDoes() {
        // The expected text is g_filename_to_uri's output for the same path.
        #expect(LocalFiles.uri(for: "/tmp/a b;c#d%e?f[g]ü~!$&'()*+,=:@\"<>{|}^`\\x")
            == "file:///tmp/a%20b%3Bc%23d%25e%3Ff%5Bg%5D%C3%BC~!$&'()*+,=:@%22%3C%3E%7B%7C%7D%5E%60%5Cx")
    }

    @Test func typedPathsResolve() {
        #expect(LocalFiles.resolve("notes.txt", in: "/home/u/docs", home: "/home/u") == "/home/u/docs/notes.txt")
        #expect(LocalFiles.resolve("../x/./y", in: "/home/u/docs", home: "/home/u") == "/home/u/x/y")
        #expect(LocalFiles.resolve("~", in: "/srv", home: "/home/u") == "/home/u")
        #expect(LocalFiles.resolve("~/a", in: "/srv", home: "/home/u") == "/home/u/a")
        #expect(LocalFiles.resolve("~other", in: "/srv", home: "/home/u") == "/srv/~other")
        #expect(LocalFiles.resolve("//etc//passwd/", in: "/srv", home: "/") == "/etc/passwd")
        #expect(LocalFiles.normalize("/../..") == "/")
        #expect(LocalFiles.parent(of: "/a/b") == "/a")
        #expect(LocalFiles.commonPrefix(["report-2023", "report-2024", "rep"]) == "rep")
    }

    static func filter(_ name: String, _ rules: [(UInt32, String)]) -> DBusValue {
        .structure([.string(name), .array(element: .structure([.uint32, .string]),
                                          rules.map { .structure([.uint32($0.0), .string($0.1)]) })])
    }

    @Test func filtersMatchGlobsCaseSensitivelyAndMimeTypesByName() throws {
        let text = try FileFilter(Self.filter("Text", [(0, "*.txt")]))
        #expect(text.matches(fileName: "a.txt"))
        #expect(!text.matches(fileName: "A.TXT"), "patterns are case-sensitive, as the portal documents")
        let images = try FileFilter(Self.filter("Images", [(1, "image/*")]))
        #expect(images.matches(fileName: "photo.png") && images.matches(fileName: "scan.JPG"))
        #expect(!images.matches(fileName: "notes.txt"))
        let plain = try FileFilter(Self.filter("Plain", [(1, "text/plain")]))
        #expect(plain.matches(fileName: "readme.txt"))
        #expect(throws: PortalError.self) { try FileFilter(Self.filter("Bad", [(2, "*.x")])) }
        #expect(throws: PortalError.self) { try FileFilter(Self.filter("", [(0, "*.x")])) }
        #expect(throws: PortalError.self) { try FileFilter(Self.filter("Empty", [])) }
    }

    @Test func choicesStepAndReport() throws {
        let options = DBusValue.array(element: .structure([.string, .string]), [
            .structure([.string("a"), .string("A")]), .structure([.string("b"), .string("B")]),
        ])
        var combo = try Choice(.structure([.string("c"), .string("Combo"), options, .string("")]))
        #expect(combo.selected == "a", "an empty initial selection picks the first option")
        combo.step(by: -1)
        #expect(combo.selected == "b", "stepping wraps")
        var check = try Choice(.structure([.string("k"), .string("Check"), .array(element: .structure([.string, .string]), []),
                                           .string("")]))
        #expect(check.display == "[ ] Check")
        check.step(by: 1)
        #expect(check.display == "[x] Check")
        #expect(Choice.result([combo, check]) == .array(element: .structure([.string, .string]), [
            .structure([.string("c"), .string("b")]), .structure([.string("k"), .string("true")]),
        ]))
        #expect(throws: PortalError.self) { try Choice(.structure([.string("c"), .string("C"), options, .string("zzz")])) }
    }

    @Test func theCanvasNeutralizesControlsAndKeepsItsFooter() {
        #expect(Canvas.sanitize("a\u{1b}[2Jb\u{7}c\u{9b}d\u{202e}e") == "a?[2Jb?c?d?e")
        var canvas = Canvas(width: 20, height: 5)
        canvas.line(String(repeating: "x", count: 50))
        for _ in 0..<10 { canvas.line("filler") }
        canvas.footer = [.init("keys")]
        let frame = canvas.frame()
        #expect(frame.contains(String(repeating: "x", count: 19) + "…"), "long lines are cut to the width")
        #expect(frame.hasSuffix("keys\u{1b}[0m\u{1b}[0m\u{1b}[K"), "the footer is the last row, whatever came before")
        #expect(!frame.contains("\u{1b}[2J"))
    }

    @Test func textFieldEditing() {
        var field = TextField("hello")
        for key in [Key.home, .delete, .character("j"), .end, .backspace, .control("a"), .right] { _ = field.handle(key) }
        #expect(field.text == "jell")
        #expect(field.caret == 1)
        _ = field.handle(.control("u"))
        #expect(field.text == "ell" && field.caret == 0)
        let long = TextField(String(repeating: "a", count: 100) + "b")
        let shown = long.visible(width: 10)
        #expect(shown.text.hasSuffix("b") && shown.caret == 9, "the caret stays in view")
    }

    @Test func printerNamesFollowCupsRules() {
        #expect(PrintDialog.isValidDestination("office-2"))
        for bad in ["", "has space", "a/b", "a#b", "-d", String(repeating: "p", count: 128), "tab\there"] {
            #expect(!PrintDialog.isValidDestination(bad), "\(bad)")
        }
    }
}
