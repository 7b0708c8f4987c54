/// A grant/deny question (impl.portal.Access): yes or no for this time,
/// or always / never, which the caller may store as a permission.
///
/// Keys: y, n, a (always), v (never); ←/→ and Enter pick a button;
/// ↑/↓ reach the options, Space or ←/→ change one; Esc or Ctrl-C cancel.
/// Nothing is granted by accident: the highlighted button starts on
/// "deny", and Enter alone never grants unless "grant" was chosen.
struct AccessDialog: PromptDialog {
    struct Answer: Sendable, Equatable {
        var granted: Bool
        /// Always/never rather than this once.
        var remember: Bool
        var choices: [Choice]
    }

    enum Button: Int, CaseIterable, Sendable {
        case grant, deny, always, never
    }

    let subtitle: String
    let body: String
    let grantLabel: String
    let denyLabel: String
    private(set) var choices: [Choice]
    private(set) var button: Button = .deny
    /// The focused option, or nil for the buttons.
    private(set) var focusedChoice: Int?

    init(subtitle: String, body: String, grantLabel: String?, denyLabel: String?, choices: [Choice]) {
        self.subtitle = subtitle
        self.body = body
        self.grantLabel = (grantLabel?.isEmpty == false ? grantLabel! : "Grant Access").replacingUnderscores()
        self.denyLabel = (denyLabel?.isEmpty == false ? denyLabel! : "Deny Access").replacingUnderscores()
        self.choices = choices
    }

    mutating func handle(_ key: Key) -> DialogStep<Answer> {
        if let index = focusedChoice {
            switch key {
            case .left: choices[index].step(by: -1); return .stay
            case .right, .character(" "): choices[index].step(by: 1); return .stay
            case .up: focusedChoice = max(index - 1, 0); return .stay
            case .down, .tab, .enter:
                focusedChoice = index + 1 < choices.count ? index + 1 : nil
                return .stay
            default: break
            }
        }
        switch key {
        case .escape: return .cancel
        case .character("y"), .character("Y"): return press(.grant)
        case .character("n"), .character("N"): return press(.deny)
        case .character("a"), .character("A"): return press(.always)
        case .character("v"), .character("V"): return press(.never)
        // With an option focused these keys were handled above, so here
        // they act on the buttons.
        case .left: button = Button(rawValue: max(button.rawValue - 1, 0))!
        case .right, .tab: button = Button(rawValue: min(button.rawValue + 1, Button.allCases.count - 1))!
        case .up where !choices.isEmpty: focusedChoice = choices.count - 1
        case .enter: return press(button)
        default: break
        }
        return .stay
    }

    private func press(_ button: Button) -> DialogStep<Answer> {
        switch button {
        case .grant: .answer(Answer(granted: true, remember: false, choices: choices))
        case .deny: .answer(Answer(granted: false, remember: false, choices: choices))
        case .always: .answer(Answer(granted: true, remember: true, choices: choices))
        case .never: .answer(Answer(granted: false, remember: true, choices: choices))
        }
    }

    private func label(_ button: Button) -> String {
        switch button {
        case .grant: "y: \(grantLabel)"
        case .deny: "n: \(denyLabel)"
        case .always: "a: Always"
        case .never: "v: Never"
        }
    }

    var keyHelp: String {
        focusedChoice == nil
            ? "y/n once · a always · v never · ←/→ + Enter pick · \(choices.isEmpty ? "" : "↑ options · ")Esc cancel"
            : "←/→/Space change · ↑/↓ move · Enter back to the buttons · Esc cancel"
    }

    func render(into canvas: inout Canvas) {
        if !subtitle.isEmpty { canvas.line(subtitle, .bold) }
        if !body.isEmpty {
            for paragraph in body.split(separator: "\n", omittingEmptySubsequences: false) {
                canvas.line(String(paragraph))
            }
        }
        canvas.line()
        canvas.choices(choices, focused: focusedChoice)
        if !choices.isEmpty { canvas.line() }
        var spans: [Canvas.Span] = []
        for candidate in Button.allCases {
            let isCurrent = candidate == button && focusedChoice == nil
            spans.append(.init(" [\(label(candidate))] ", isCurrent ? .highlight : .plain))
            spans.append(.init("  "))
        }
        canvas.line(spans)
        canvas.line()
        canvas.line("Always and Never are remembered for this app where the caller keeps permissions.", .dim)
    }
}
