import Testing
@testable import launcher

/// Columns, not characters: what lines the prompt's screen up for names in
/// Chinese, Japanese or Korean, and for emoji.
@Suite("burrow prompt: display width")
struct DisplayWidthTests {
    @Test func wideCharactersTakeTwoColumnsAndCombiningMarksNone() {
        #expect(DisplayWidth.of("report.txt") == 10)
        #expect(DisplayWidth.of("報告書.txt") == 10)
        #expect(DisplayWidth.of("한국어") == 6)
        #expect(DisplayWidth.of("👍 ok") == 5)
        #expect(DisplayWidth.of("e\u{301}te\u{301}") == 3, "é as e + combining acute is one cell")
        #expect(DisplayWidth.prefix("日本語のファイル", fitting: 7) == "日本語")
    }

    @Test func aLineOfWideCharactersIsCutByColumns() {
        var canvas = Canvas(width: 20, height: 5)
        canvas.line(String(repeating: "語", count: 30))
        // Nine wide characters (18 columns) and the ellipsis: 19 of 20.
        #expect(canvas.frame().contains(String(repeating: "語", count: 9) + "…\u{1b}[0m"))
    }

    @Test func theTextFieldScrollsAndPlacesTheCaretByColumns() {
        let field = TextField("ファイル名.txt")
        let shown = field.visible(width: 9)
        #expect(DisplayWidth.of(shown.text) <= 8)
        #expect(shown.caret == DisplayWidth.of(shown.text), "the caret sits after the last shown character")
        #expect(TextField("日本").visible(width: 20) == (text: "日本", caret: 4))
    }
}
