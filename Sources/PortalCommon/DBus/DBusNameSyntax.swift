/// D-Bus name grammar (D-Bus specification, "Valid Names"), the one place
/// it is written down: `BusName`, `DBusNameRules` and keyfile parsing
/// (bus-policy keys, which become xdg-dbus-proxy `--talk=`/`--own=` rules,
/// and `.portal` files' `DBusName` and `Interfaces`) all ask it, and the
/// reasons it gives end up in error messages.
enum DBusNameSyntax {
    static let maximumLength = 255

    /// Why `name` is not a well-known bus name (`org.example.App`), or `nil`.
    /// Unique names (`:1.42`) are rejected: they are assigned per connection
    /// and mean nothing in a file.
    static func wellKnownNameInvalidityReason(_ name: String) -> String? {
        if name.hasPrefix(":") { return "unique names (starting with \":\") are not allowed here" }
        return dottedNameInvalidityReason(name, allowsDash: true)
    }

    /// Why `name` is not an interface name (`org.freedesktop.impl.portal.Access`), or `nil`.
    static func interfaceNameInvalidityReason(_ name: String) -> String? {
        dottedNameInvalidityReason(name, allowsDash: false)
    }

    /// Why `name` is neither a unique (`:1.42`) nor a well-known bus name, or `nil`.
    static func busNameInvalidityReason(_ name: String) -> String? {
        if name.hasPrefix(":") {
            return dottedNameInvalidityReason(String(name.dropFirst()), allowsDash: true, allowsLeadingDigit: true)
        }
        return dottedNameInvalidityReason(name, allowsDash: true)
    }

    private static func dottedNameInvalidityReason(
        _ name: String, allowsDash: Bool, allowsLeadingDigit: Bool = false
    ) -> String? {
        let bytes = Array(name.utf8)
        if bytes.isEmpty { return "name is empty" }
        if bytes.count > maximumLength { return "name is longer than \(maximumLength) bytes" }
        let elements = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        if elements.count < 2 { return "name must have at least two elements separated by \".\"" }
        for element in elements {
            guard let first = element.first else { return "name has an empty element" }
            if !allowsLeadingDigit && first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9") {
                return "name element starts with a digit"
            }
            for byte in element {
                let allowed = (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                    || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                    || byte == UInt8(ascii: "_")
                    || (allowsDash && byte == UInt8(ascii: "-"))
                if !allowed { return "name contains a character outside [A-Za-z0-9_\(allowsDash ? "-" : "")]" }
            }
        }
        return nil
    }
}
