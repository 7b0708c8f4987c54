import PortalCommon

/// The options FileChooser accepts, checked as upstream's `file-chooser.c`
/// checks them. Anything not listed here is dropped before the backend sees
/// it; `current_folder`, `current_file` and `files` are paths and are
/// handled by `FileChooserPortal` (mapped to host paths).
enum FileChooserOptions {
    static let openFile: [OptionKey] = [
        OptionKey("accept_label", "s"), OptionKey("modal", "b"), OptionKey("multiple", "b"), OptionKey("directory", "b"),
        OptionKey("filters", "a(sa(us))", check: checkFilters),
        OptionKey("current_filter", "(sa(us))", check: checkCurrentFilter),
        OptionKey("choices", "a(ssa(ss)s)", check: checkChoices),
    ]
    static let saveFile: [OptionKey] = [
        OptionKey("accept_label", "s"), OptionKey("modal", "b"),
        OptionKey("filters", "a(sa(us))", check: checkFilters),
        OptionKey("current_filter", "(sa(us))", check: checkCurrentFilter),
        OptionKey("current_name", "s"),
        OptionKey("choices", "a(ssa(ss)s)", check: checkChoices),
    ]
    static let saveFiles: [OptionKey] = [
        OptionKey("accept_label", "s"), OptionKey("modal", "b"), OptionKey("current_name", "s"),
        OptionKey("files", "aay", check: checkFiles),
        OptionKey("choices", "a(ssa(ss)s)", check: checkChoices),
    ]

    /// One filter `(sa(us))`: a name and at least one pattern, each a
    /// non-empty glob (0) or MIME type (1).
    static func checkFilter(_ filter: DBusValue) throws(PortalError) {
        guard case .structure(let fields) = filter, fields.count == 2, case .string(let name) = fields[0],
              let patterns = fields[1].arrayValues
        else { throw .invalidArgument("invalid filter: expected (sa(us))") }
        guard !name.isEmpty else { throw .invalidArgument("invalid filter: the name is empty") }
        guard !patterns.isEmpty else { throw .invalidArgument("invalid filter '\(name)': it has no patterns") }
        for pattern in patterns {
            guard case .structure(let parts) = pattern, parts.count == 2, case .uint32(let kind) = parts[0],
                  case .string(let text) = parts[1]
            else { throw .invalidArgument("invalid filter '\(name)': a pattern is not (us)") }
            switch kind {
            case 0 where text.isEmpty: throw .invalidArgument("invalid filter '\(name)': empty glob pattern")
            case 1 where text.isEmpty: throw .invalidArgument("invalid filter '\(name)': empty content type")
            case 0, 1: continue
            default: throw .invalidArgument("invalid filter '\(name)': pattern type \(kind) is neither 0 (glob) nor 1 (MIME type)")
            }
        }
    }

    @Sendable static func checkFilters(_ value: DBusValue, _ options: [String: Variant]) throws(PortalError) {
        for filter in value.arrayValues ?? [] { try checkFilter(filter) }
    }

    /// A valid filter, and one of `filters` when that list is non-empty.
    @Sendable static func checkCurrentFilter(_ value: DBusValue, _ options: [String: Variant]) throws(PortalError) {
        try checkFilter(value)
        guard let filters = options["filters"]?.value, filters.type == DBusArgument("f", "a(sa(us))").type,
              let list = filters.arrayValues, !list.isEmpty
        else { return }
        guard list.contains(value) else {
            throw .invalidArgument("current_filter must be one of the filters when filters are given")
        }
    }

    /// Each choice `(ssa(ss)s)`: id and label non-empty; without options it
    /// is a boolean ("", "true" or "false"); with options, every option has
    /// an id and a label, and the current one is among them (or "").
    @Sendable static func checkChoices(_ value: DBusValue, _ options: [String: Variant]) throws(PortalError) {
        for choice in value.arrayValues ?? [] {
            guard case .structure(let fields) = choice, fields.count == 4, case .string(let id) = fields[0],
                  case .string(let label) = fields[1], let choices = fields[2].arrayValues, case .string(let current) = fields[3]
            else { throw .invalidArgument("invalid choice: expected (ssa(ss)s)") }
            guard !id.isEmpty else { throw .invalidArgument("invalid choice: the id is empty") }
            guard !label.isEmpty else { throw .invalidArgument("invalid choice '\(id)': the label is empty") }
            if choices.isEmpty {
                guard ["", "true", "false"].contains(current) else {
                    throw .invalidArgument("invalid choice '\(id)': a choice without options is boolean, so its current value must be \"true\" or \"false\", not \(current.debugDescription)")
                }
                continue
            }
            var ids: [String] = []
            for option in choices {
                guard case .structure(let pair) = option, pair.count == 2, case .string(let optionID) = pair[0],
                      case .string(let optionLabel) = pair[1]
                else { throw .invalidArgument("invalid choice '\(id)': an option is not (ss)") }
                guard !optionID.isEmpty else { throw .invalidArgument("invalid choice '\(id)': an option id is empty") }
                guard !optionLabel.isEmpty else { throw .invalidArgument("invalid choice '\(id)': option '\(optionID)' has an empty label") }
                ids.append(optionID)
            }
            guard current.isEmpty || ids.contains(current) else {
                throw .invalidArgument("invalid choice '\(id)': current option \(current.debugDescription) is not one of \(ids)")
            }
        }
    }

    /// SaveFiles' names: plain file names, nul-terminated.
    @Sendable static func checkFiles(_ value: DBusValue, _ options: [String: Variant]) throws(PortalError) {
        for entry in value.arrayValues ?? [] {
            guard case .bytes(let raw) = entry, raw.last == 0 else {
                throw .invalidArgument("files: every name must be a nul-terminated byte string")
            }
            let name = try ByteString(dbusValue: entry).string
            guard !name.isEmpty, name != ".", name != "..", !name.contains("/"), name.utf8.count <= 255 else {
                throw .invalidArgument("files: invalid file name \(name.debugDescription) (a plain name: no '/', not '.' or '..')")
            }
        }
    }
}
