/// Choosing a printer and the number of copies (impl.portal.Print).
///
/// The printers are CUPS's destinations (`lpstat -e`). When CUPS lists
/// none — no scheduler running, say — the user may type a destination
/// name instead, and the dialog says why the list is empty.
struct PrintDialog: PromptDialog {
    struct Answer: Sendable, Equatable {
        var printer: String
        var copies: Int
    }

    let printers: [String]
    /// Why the list is empty or incomplete (lpstat's complaint).
    let problem: String?
    /// "print" or "use for printing", completing "Enter: …".
    let verb: String
    private(set) var highlight: Int
    private(set) var copies: Int
    private(set) var typed = TextField()
    private(set) var message: String?

    init(printers: [String], preferred: String?, copies: Int, problem: String?, verb: String) {
        self.printers = printers
        self.problem = problem
        self.verb = verb
        self.copies = min(max(copies, 1), 999)
        highlight = preferred.flatMap { printers.firstIndex(of: $0) } ?? 0
        if printers.isEmpty, let preferred { typed.text = preferred }
    }

    mutating func handle(_ key: Key) -> DialogStep<Answer> {
        message = nil
        // With a list, ↑/↓ pick the printer and +/- set the copies; when a
        // name is typed instead, + and - are part of it and ↑/↓ set copies.
        let typing = printers.isEmpty
        switch key {
        case .escape: return .cancel
        case .up where typing, .character("+") where !typing: copies = min(copies + 1, 999)
        case .down where typing, .character("-") where !typing: copies = max(copies - 1, 1)
        case .up: highlight = max(highlight - 1, 0)
        case .down: highlight = min(highlight + 1, max(printers.count - 1, 0))
        case .enter:
            let name = printers.isEmpty ? typed.text : printers[highlight]
            guard Self.isValidDestination(name) else {
                message = name.isEmpty
                    ? "Type the name of a CUPS destination."
                    : "“\(name)” is not a printer name: 1–127 printable characters, no spaces, / or #."
                return .stay
            }
            return .answer(Answer(printer: name, copies: copies))
        default:
            if typing { _ = typed.handle(key) }
        }
        return .stay
    }

    /// CUPS's rule for destination names (lpadmin(8)): 1–127 printable
    /// characters without spaces, `/` or `#`. The name reaches `lp` as one
    /// argument of its own, never through a shell.
    static func isValidDestination(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 127 && !name.hasPrefix("-")
            && name.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value != 0x7f && $0 != "/" && $0 != "#" }
    }

    var keyHelp: String {
        printers.isEmpty
            ? "type a destination · ↑/↓ copies · Enter \(verb) · Esc cancel"
            : "↑/↓ printer · +/- copies · Enter \(verb) · Esc cancel"
    }

    func render(into canvas: inout Canvas) {
        if printers.isEmpty {
            canvas.line("CUPS lists no printers" + (problem.map { " (\($0))" } ?? "") + ".", .warning)
            let label = "Destination: "
            let field = typed.visible(width: canvas.width - label.count)
            canvas.line([.init(label, .bold), .init(field.text)])
            canvas.placeCursor(column: label.count + field.caret)
        } else {
            canvas.line("Printer:", .bold)
            for (index, printer) in printers.enumerated() where canvas.remainingRows > 4 {
                let isCurrent = index == highlight
                canvas.line([.init(isCurrent ? " ▸ " : "   "), .init(printer, isCurrent ? .highlight : .plain)])
            }
            if let problem { canvas.line(problem, .dim) }
        }
        canvas.line()
        canvas.line([.init("Copies: ", .bold), .init("\(copies)")])
        if let message { canvas.line(message, .warning) }
    }
}
