/// One screenful of text, built line by line and drawn in one write.
///
/// Everything that reaches the canvas passes through `Canvas.sanitize`:
/// titles, app ids, file names and labels come from other programs, and a
/// raw escape sequence in them could move the cursor, rewrite lines, or
/// make "Deny" read "Grant". Only the canvas itself emits control codes.
struct Canvas {
    enum Style: Sendable { case plain, bold, dim, highlight, warning }

    /// A piece of a line with one style.
    struct Span {
        var text: String
        var style: Style
        init(_ text: String, _ style: Style = .plain) {
            self.text = text
            self.style = style
        }
    }

    let width: Int
    let height: Int
    private(set) var lines: [[Span]] = []
    /// Where the terminal cursor goes (a text field's caret), if anywhere.
    private(set) var cursor: (row: Int, column: Int)?
    /// Drawn on the last row whatever the lines above it hold.
    var footer: [Span] = []

    init(width: Int, height: Int) {
        self.width = max(width, 20)
        self.height = max(height, 5)
    }

    /// Rows left above the footer.
    var remainingRows: Int { max(height - 1 - lines.count, 0) }

    mutating func line(_ text: String = "", _ style: Style = .plain) {
        lines.append([Span(text, style)])
    }

    mutating func line(_ spans: [Span]) {
        lines.append(spans)
    }

    /// Puts the cursor on the last line added, `column` characters in.
    mutating func placeCursor(column: Int) {
        guard !lines.isEmpty, lines.count < height else { return }
        cursor = (lines.count - 1, min(column, width - 1))
    }

    /// Replaces what could be read by the terminal as a command: C0 and C1
    /// controls and DEL become `?`; bidirectional overrides and isolates
    /// (which can reorder what is shown, "Trojan Source" style) become `?`.
    static func sanitize(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x00...0x1f, 0x7f...0x9f, 0x200e, 0x200f, 0x202a...0x202e, 0x2066...0x2069:
                result.append("?")
            default:
                result.append(scalar)
            }
        }
        return String(result)
    }

    /// The escape sequence that draws the whole canvas: home, every row
    /// (cleared to its end, so nothing from the last frame survives), then
    /// the cursor shown at the caret or hidden.
    func frame() -> String {
        var output = "\u{1b}[?25l\u{1b}[H"
        for row in 0..<height {
            if row == height - 1 {
                output += render(footer)
            } else if row < lines.count {
                output += render(lines[row])
            }
            output += "\u{1b}[0m\u{1b}[K"
            if row < height - 1 { output += "\r\n" }
        }
        if let cursor {
            output += "\u{1b}[\(cursor.row + 1);\(cursor.column + 1)H\u{1b}[?25h"
        }
        return output
    }

    private func render(_ spans: [Span]) -> String {
        var output = ""
        var used = 0
        for span in spans where used < width {
            let text = Self.sanitize(span.text)
            let room = width - used
            // Columns, not characters: a wide character takes two cells.
            let shown = DisplayWidth.of(text) > room ? DisplayWidth.prefix(text, fitting: max(room - 1, 0)) + "…" : text
            used += DisplayWidth.of(shown)
            output += Self.code(span.style) + shown + "\u{1b}[0m"
        }
        return output
    }

    private static func code(_ style: Style) -> String {
        switch style {
        case .plain: ""
        case .bold: "\u{1b}[1m"
        case .dim: "\u{1b}[2m"
        case .highlight: "\u{1b}[7m"
        case .warning: "\u{1b}[1;31m"
        }
    }
}
