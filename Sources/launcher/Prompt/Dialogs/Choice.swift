import PortalCommon

/// One entry of a `choices a(ssa(ss)s)` option: a combo box (id, label,
/// options, initial selection) or, with no options, a check box whose
/// values are "true" and "false".
struct Choice: Sendable, Equatable {
    struct Option: Sendable, Equatable {
        let id: String
        let label: String
    }

    let id: String
    let label: String
    let options: [Option]
    /// The selected option id ("true"/"false" for a check box).
    private(set) var selected: String

    var isCheckBox: Bool { options.isEmpty }

    /// Parses and validates one choice the way xdg-desktop-portal's frontend
    /// does: id, label and every option id and label non-empty; the initial
    /// selection "" or a known option ("true"/"false" for a check box).
    init(_ value: DBusValue) throws(PortalError) {
        guard case .structure(let fields) = value, fields.count == 4,
              let id = fields[0].stringValue, let label = fields[1].stringValue,
              let rawOptions = fields[2].arrayValues, let initial = fields[3].stringValue
        else { throw .invalidArgument("a choice must be of type (ssa(ss)s)") }
        guard !id.isEmpty else { throw .invalidArgument("invalid choice: id is empty") }
        guard !label.isEmpty else { throw .invalidArgument("invalid choice '\(id)': label is empty") }
        var options: [Option] = []
        for raw in rawOptions {
            guard case .structure(let pair) = raw, pair.count == 2,
                  let optionID = pair[0].stringValue, let optionLabel = pair[1].stringValue
            else { throw .invalidArgument("invalid choice '\(id)': options must be of type a(ss)") }
            guard !optionID.isEmpty else { throw .invalidArgument("invalid choice '\(id)': option id is empty") }
            guard !optionLabel.isEmpty else { throw .invalidArgument("invalid choice '\(id)': option label is empty") }
            options.append(Option(id: optionID, label: optionLabel))
        }
        self.id = id
        self.label = label
        self.options = options
        if options.isEmpty {
            guard ["", "true", "false"].contains(initial) else {
                throw .invalidArgument("invalid choice '\(id)': bad current option '\(initial)'")
            }
            selected = initial == "true" ? "true" : "false"
        } else {
            guard initial.isEmpty || options.contains(where: { $0.id == initial }) else {
                throw .invalidArgument("invalid choice '\(id)': bad current option '\(initial)'")
            }
            selected = initial.isEmpty ? options[0].id : initial
        }
    }

    /// Reads the `choices` option (absent means none).
    static func list(from options: [String: Variant]) throws(PortalError) -> [Choice] {
        guard let variant = options["choices"] else { return [] }
        guard case .array(let element, let values) = variant.value,
              element == .structure([.string, .string, .array(.structure([.string, .string])), .string])
        else { throw .invalidArgument("option 'choices' must be of type 'a(ssa(ss)s)', not '\(variant.value.type)'") }
        var choices: [Choice] = []
        for value in values { choices.append(try Choice(value)) }
        return choices
    }

    /// The `choices a(ss)` result: each id with its selected option.
    static func result(_ choices: [Choice]) -> DBusValue {
        .array(element: .structure([.string, .string]),
               choices.map { .structure([.string($0.id), .string($0.selected)]) })
    }

    /// Steps to the next (or previous) option; a check box flips.
    mutating func step(by offset: Int) {
        if isCheckBox {
            selected = selected == "true" ? "false" : "true"
            return
        }
        let index = options.firstIndex(where: { $0.id == selected }) ?? 0
        let count = options.count
        selected = options[((index + offset) % count + count) % count].id
    }

    /// How the choice reads on screen, e.g. `[x] Reencode` or
    /// `Encoding: ‹Western›`.
    var display: String {
        if isCheckBox { return "[\(selected == "true" ? "x" : " ")] \(label)" }
        let shown = options.first(where: { $0.id == selected })?.label ?? selected
        return "\(label): ‹\(shown)›"
    }
}

extension Canvas {
    /// Draws choices one per line, the focused one highlighted.
    mutating func choices(_ choices: [Choice], focused: Int?) {
        guard !choices.isEmpty else { return }
        line("Options:", .bold)
        for (index, choice) in choices.enumerated() {
            let isFocused = index == focused
            line([.init(isFocused ? " ▸ " : "   "), .init(choice.display, isFocused ? .highlight : .plain)])
        }
    }
}
