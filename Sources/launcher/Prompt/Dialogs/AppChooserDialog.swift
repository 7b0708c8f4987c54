/// Choosing an application (impl.portal.AppChooser): a list of desktop
/// ids, the last choice highlighted. ↑/↓ move, Enter chooses, Esc cancels.
/// The frontend may replace the list while it is shown (UpdateChoices).
struct AppChooserDialog: PromptDialog {
    typealias Answer = String

    /// What is being opened, for the user: content type, file name, URI.
    let subject: [String]
    private(set) var choices: [String]
    private(set) var highlight: Int

    init(choices: [String], lastChoice: String?, subject: [String]) {
        self.choices = choices
        self.subject = subject
        highlight = lastChoice.flatMap { choices.firstIndex(of: $0) } ?? 0
    }

    /// New choices from UpdateChoices; the highlighted app stays
    /// highlighted if it is still offered.
    mutating func update(choices newChoices: [String]) {
        let current = choices.indices.contains(highlight) ? choices[highlight] : nil
        choices = newChoices
        highlight = current.flatMap { newChoices.firstIndex(of: $0) } ?? 0
    }

    mutating func handle(_ key: Key) -> DialogStep<Answer> {
        switch key {
        case .escape: return .cancel
        case .up: highlight = max(highlight - 1, 0)
        case .down: highlight = min(highlight + 1, max(choices.count - 1, 0))
        case .home: highlight = 0
        case .end: highlight = max(choices.count - 1, 0)
        case .enter: if choices.indices.contains(highlight) { return .answer(choices[highlight]) }
        default: break
        }
        return .stay
    }

    var keyHelp: String { "↑/↓ move · Enter open with it · Esc cancel" }

    func render(into canvas: inout Canvas) {
        for line in subject { canvas.line(line) }
        if !subject.isEmpty { canvas.line() }
        guard !choices.isEmpty else {
            canvas.line("No application can open this; Esc to cancel.", .warning)
            return
        }
        canvas.line("Open with:", .bold)
        let rows = max(canvas.remainingRows - 1, 1)
        let shown = min(rows, choices.count)
        let first = min(max(highlight - shown / 2, 0), choices.count - shown)
        for index in first..<(first + shown) {
            let isCurrent = index == highlight
            canvas.line([.init(isCurrent ? " ▸ " : "   "), .init(choices[index], isCurrent ? .highlight : .plain)])
        }
    }
}
