import Glibc
import PortalCommon

/// A file filter as the portal serializes it, `(sa(us))`: a name and rules,
/// each a glob pattern (0) or a MIME type (1).
///
/// Globs are matched with fnmatch(3), case-sensitively as the portal
/// documentation says. MIME types are matched against GIO's guess from the
/// file *name* (shared-mime-info's glob table, no file is read), with
/// subtypes and wildcards such as `image/*` counting as matches.
struct FileFilter: Sendable, Equatable {
    enum Rule: Sendable, Equatable {
        case glob(String)
        case mimeType(String)
    }

    let name: String
    let rules: [Rule]
    /// The filter exactly as it arrived, for the `current_filter` result:
    /// the frontend and the app compare it with what they sent.
    let value: DBusValue

    static let dbusType = DBusType.structure([.string, .array(.structure([.uint32, .string]))])

    /// Validates as xdg-desktop-portal's frontend does: a non-empty name, at
    /// least one rule, rule types 0 or 1 only, no empty pattern.
    init(_ value: DBusValue) throws(PortalError) {
        guard value.type == Self.dbusType, case .structure(let fields) = value,
              let name = fields[0].stringValue, let rawRules = fields[1].arrayValues
        else { throw .invalidArgument("a filter must be of type (sa(us))") }
        guard !name.isEmpty else { throw .invalidArgument("invalid filter: name is empty") }
        guard !rawRules.isEmpty else { throw .invalidArgument("invalid filter '\(name)': no filters") }
        var rules: [Rule] = []
        for raw in rawRules {
            guard case .structure(let pair) = raw, let kind = pair[0].uint32Value, let pattern = pair[1].stringValue else {
                throw .invalidArgument("invalid filter '\(name)': rules must be of type (us)")
            }
            switch kind {
            case 0:
                guard !pattern.isEmpty else { throw .invalidArgument("invalid filter '\(name)': invalid glob pattern") }
                rules.append(.glob(pattern))
            case 1:
                guard !pattern.isEmpty else { throw .invalidArgument("invalid filter '\(name)': invalid content type") }
                rules.append(.mimeType(pattern))
            default:
                throw .invalidArgument("invalid filter '\(name)': invalid filter type: \(kind)")
            }
        }
        self.name = name
        self.rules = rules
        self.value = value
    }

    /// Whether a file called `fileName` passes.
    func matches(fileName: String) -> Bool {
        var guessed: String?
        for rule in rules {
            switch rule {
            case .glob(let pattern):
                if fnmatch(pattern, fileName, 0) == 0 { return true }
            case .mimeType(let mimeType):
                if guessed == nil { guessed = ContentType.guess(forFileName: fileName) }
                if ContentType.isA(guessed!, mimeType: mimeType) { return true }
            }
        }
        return false
    }

    /// `Text files (*.txt, text/plain)`.
    var display: String {
        let patterns = rules.map { rule in
            switch rule {
            case .glob(let pattern): pattern
            case .mimeType(let type): type
            }
        }
        return "\(name) (\(patterns.joined(separator: ", ")))"
    }

    /// The `filters` and `current_filter` options, validated together:
    /// `current_filter` must be one of `filters` when that list is non-empty
    /// (upstream's rule); with no list it is applied on its own.
    static func options(from options: [String: Variant]) throws(PortalError) -> (filters: [FileFilter], current: Int?) {
        var filters: [FileFilter] = []
        if let variant = options["filters"] {
            guard case .array(let element, let values) = variant.value, element == dbusType else {
                throw .invalidArgument("option 'filters' must be of type 'a(sa(us))', not '\(variant.value.type)'")
            }
            for value in values { filters.append(try FileFilter(value)) }
        }
        guard let variant = options["current_filter"] else { return (filters, filters.isEmpty ? nil : 0) }
        guard variant.value.type == dbusType else {
            throw .invalidArgument("option 'current_filter' must be of type '(sa(us))', not '\(variant.value.type)'")
        }
        let current = try FileFilter(variant.value)
        if filters.isEmpty { return ([current], 0) }
        guard let index = filters.firstIndex(where: { $0.value == current.value }) else {
            throw .invalidArgument("current_filter, if specified, must be present in filters list if list is nonempty")
        }
        return (filters, index)
    }
}
