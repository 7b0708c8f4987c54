/// Validated D-Bus names. Anything that came from a peer is checked before it
/// becomes one of these, so code below never handles a malformed path or name.

/// An object path: `/` or `/elem/elem`, elements `[A-Za-z0-9_]+`.
public struct ObjectPath: Sendable, Hashable, Comparable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String

    public init(_ rawValue: String) throws(PortalError) {
        guard ObjectPath.isValid(rawValue) else {
            throw .invalidArgs("'\(rawValue)' is not a valid D-Bus object path")
        }
        self.rawValue = rawValue
    }

    /// For literals in source code; an invalid literal is a programming error.
    public init(stringLiteral value: String) {
        precondition(ObjectPath.isValid(value), "invalid object path literal \(value)")
        self.rawValue = value
    }

    public static func isValid(_ s: String) -> Bool {
        let bytes = Array(s.utf8)
        guard bytes.first == UInt8(ascii: "/") else { return false }
        if bytes.count == 1 { return true }
        guard bytes.last != UInt8(ascii: "/") else { return false }
        var previousSlash = true
        for b in bytes.dropFirst() {
            if b == UInt8(ascii: "/") {
                if previousSlash { return false }
                previousSlash = true
            } else if isPathElementByte(b) {
                previousSlash = false
            } else {
                return false
            }
        }
        return true
    }

    /// A path element made from arbitrary text (a sender name, a token):
    /// `.` and `:` and every other byte outside `[A-Za-z0-9_]` become `_`,
    /// as xdg-desktop-portal does for request and session handles.
    public static func escapeElement(_ text: String) -> String {
        let mapped = text.utf8.map { isPathElementByte($0) ? Character(Unicode.Scalar($0)) : "_" }
        return mapped.isEmpty ? "_" : String(mapped)
    }

    public func appending(_ element: String) throws(PortalError) -> ObjectPath {
        try ObjectPath(rawValue == "/" ? "/" + element : rawValue + "/" + element)
    }

    public var description: String { rawValue }
    public static func < (a: ObjectPath, b: ObjectPath) -> Bool { a.rawValue < b.rawValue }

    static func isPathElementByte(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
            || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "_")
    }
}

/// A bus name: unique (`:1.42`) or well-known (`org.example.App`).
public struct BusName: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String

    public init(_ rawValue: String) throws(PortalError) {
        if let reason = DBusNameSyntax.busNameInvalidityReason(rawValue) {
            throw .invalidArgs("'\(rawValue)' is not a valid D-Bus bus name: \(reason)")
        }
        self.rawValue = rawValue
    }

    public init(stringLiteral value: String) {
        precondition(BusName.isValid(value), "invalid bus name literal \(value)")
        self.rawValue = value
    }

    public var isUnique: Bool { rawValue.hasPrefix(":") }
    public var description: String { rawValue }

    /// The D-Bus rules (see `DBusNameSyntax`): ≤255 bytes, ≥2 elements
    /// separated by `.`, elements `[A-Za-z0-9_-]+`, and for well-known names
    /// no element starts with a digit.
    public static func isValid(_ s: String) -> Bool {
        DBusNameSyntax.busNameInvalidityReason(s) == nil
    }
}

/// Interface and member names, checked before they reach sd-bus.
public enum DBusNameRules {
    /// Interface names: like well-known bus names but without `-`.
    public static func isValidInterface(_ s: String) -> Bool {
        DBusNameSyntax.interfaceNameInvalidityReason(s) == nil
    }

    /// Member names: `[A-Za-z_][A-Za-z0-9_]*`, ≤255 bytes.
    public static func isValidMember(_ s: String) -> Bool {
        let bytes = Array(s.utf8)
        guard let first = bytes.first, bytes.count <= 255 else { return false }
        guard !(first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")) else { return false }
        return bytes.allSatisfy(ObjectPath.isPathElementByte)
    }
}
