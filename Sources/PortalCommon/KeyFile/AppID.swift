/// A Flatpak application (or runtime, or extension) ID such as
/// `org.gnome.Calculator`, validated with Flatpak's own rules
/// (`flatpak_is_valid_name` in `common/flatpak-ref-utils.c`).
///
/// App IDs end up in paths (`~/.var/app/ID`, `/run/flatpak/doc/by-app/ID`),
/// D-Bus names (`ID.*` ownership) and permission-store keys, so an
/// unvalidated one is a path-traversal or bus-policy hole waiting to happen.
/// The rules guarantee there is no `/`, no `..`, no leading `.`, nothing but
/// ASCII letters, digits, `_` and `-`, and that every app ID is also a valid
/// D-Bus well-known name.
public struct AppID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The longest ID Flatpak accepts (also the D-Bus name limit).
    public static let maximumLength = 255

    public let rawValue: String

    /// Validates `string`; the error says which rule it breaks.
    public init(_ string: String) throws(ValidationError) {
        if let reason = Self.invalidityReason(string) {
            throw ValidationError(value: string, reason: reason)
        }
        rawValue = string
    }

    /// `nil` when `rawValue` is not a valid app ID.
    public init?(rawValue: String) {
        guard Self.invalidityReason(rawValue) == nil else { return nil }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    /// The dot-separated elements (`["org", "gnome", "Calculator"]`).
    public var elements: [Substring] { rawValue.split(separator: ".") }

    public static func < (lhs: AppID, rhs: AppID) -> Bool {
        lhs.rawValue.utf8.lexicographicallyPrecedes(rhs.rawValue.utf8)
    }

    /// Why `string` is not a valid app ID, or `nil` if it is one.
    ///
    /// Flatpak's rules: 3 or more elements separated by `.`; each element
    /// non-empty, made of `[A-Za-z0-9_-]` and not starting with a digit; `-`
    /// only in the last element; at most 255 bytes. (Two-element names such
    /// as `org.example` are valid D-Bus names but not valid Flatpak IDs.)
    public static func invalidityReason(_ string: String) -> String? {
        let bytes = Array(string.utf8)
        if bytes.isEmpty { return "Name can't be empty" }
        if bytes.count > maximumLength { return "Name can't be longer than \(maximumLength) characters" }
        if bytes.first == UInt8(ascii: ".") { return "Name can't start with a period" }
        if bytes.last == UInt8(ascii: ".") { return "Name can't end with a period" }

        let lastDot = bytes.lastIndex(of: UInt8(ascii: "."))
        var dotCount = 0
        var atElementStart = true
        for (index, byte) in bytes.enumerated() {
            if byte == UInt8(ascii: ".") {
                if atElementStart { return "Name can't contain an empty segment" }
                dotCount += 1
                atElementStart = true
                continue
            }
            let inLastElement = lastDot.map { index > $0 } ?? true
            let isLetter = (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            let isDigit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
            let isUnderscore = byte == UInt8(ascii: "_")
            let isDash = byte == UInt8(ascii: "-")

            if isDash && !inLastElement { return "Only last name segment can contain -" }
            if atElementStart && isDigit {
                return index == 0 ? "Name can't start with a digit" : "Name segment can't start with a digit"
            }
            if !(isLetter || isDigit || isUnderscore || isDash) {
                return "Name can't contain \(describe(byte))"
            }
            atElementStart = false
        }
        if dotCount < 2 { return "Names must contain at least 2 periods" }
        return nil
    }

    /// Shows the offending character quoted when printable, as a code
    /// otherwise, so error messages never carry control characters.
    private static func describe(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F { return "\"\(Character(Unicode.Scalar(byte)))\"" }
        if byte == 0x20 { return "a space" }
        return "byte 0x" + String(byte, radix: 16, uppercase: true)
    }

    /// An app ID that breaks Flatpak's naming rules.
    public struct ValidationError: Error, Sendable, Hashable, CustomStringConvertible, PortalErrorConvertible {
        /// The rejected text.
        public let value: String
        /// Which rule it breaks, in Flatpak's words.
        public let reason: String

        public var description: String { "invalid application ID \(value.debugDescription): \(reason)" }
        public var portalError: PortalError { .invalidArgument(description) }
    }
}
