/// Swift types that map to one D-Bus type. Decoding fails with
/// `org.freedesktop.DBus.Error.InvalidArgs` naming what was expected, so a
/// handler that reads its arguments through this protocol never sees a value
/// of the wrong shape.
public protocol DBusRepresentable: Sendable {
    static var dbusType: DBusType { get }
    init(dbusValue: DBusValue) throws(PortalError)
    var dbusValue: DBusValue { get }
}

@inline(__always)
func mismatch(_ expected: DBusType, _ got: DBusValue) -> PortalError {
    .invalidArgs("expected a value of type '\(expected)', got '\(got.type)'")
}

extension Bool: DBusRepresentable {
    public static var dbusType: DBusType { .bool }
    public init(dbusValue: DBusValue) throws(PortalError) {
        guard case .bool(let v) = dbusValue else { throw mismatch(Self.dbusType, dbusValue) }
        self = v
    }
    public var dbusValue: DBusValue { .bool(self) }
}

extension UInt8: DBusRepresentable {
    public static var dbusType: DBusType { .byte }
    public init(dbusValue: DBusValue) throws(PortalError) {
        guard case .byte(let v) = dbusValue else { throw mismatch(Self.dbusType, dbusValue) }
        self = v
    }
    public var dbusValue: DBusValue { .byte(self) }
}

extension Int16: DBusRepresentable {
    public static var dbusType: DBusType { .int16 }
    public init(dbusValue: DBusValue) throws(PortalError) {
        guard case .int16(let v) = dbusValue else { throw mismatch(Self.dbusType, dbusValue) }
        self = v
    }
    public var dbusValue: DBusValue { .int16(self) }
}

extension UInt16: DBusRepresentable {
    public static var dbusType: DBusType { .uint16 }
    public init(dbusValue: DBusValue) throws(PortalError) {
        guard case .uint16(let v) = dbusValue else { throw mismatch(Self.dbusType, dbusValue) }
        self = v
    }
    public var dbusValue: DBusValue { .uint16(self) }
}

extension Int32: DBusRepresentable {
    public static var dbusType: DBusType { .int32 }
    public init(dbusValue: DBusValue) throws(PortalError) {
        guard case .int32(let v) = dbusValue else { throw mismatch(Self.dbusType, dbusValue) }
        self = v
    }
    public var dbusValue: DBusValue { .int32(self) }
}

extension UInt32: DBusRepresentable {
    public static var dbusType: DBusType { .uint32 }
    public init(dbusValue: DBusValue) throws(PortalError) {
        guard case .uint32(let v) = dbusValue else { throw mismatch(Self.dbusType, dbusValue) }
        self = v
    }
    public var dbusValue: DBusValue { .uint32(self) }
}

extension Int64: DBusRepresentable {
    public static var dbusType: DBusType { .int64 }
    public init(dbusValue: DBusValue) throws(PortalError) {
        guard case .int64(let v) = dbusValue else { throw mismatch(Self.dbusType, dbusValue) }
        self = v
    }
    public var dbusValue: DBusValue { .int64(self) }
}

extension UInt64: DBusRepresentable {
    public static var dbusType: DBusType { .uint64 }
    public init(dbusValue: DBusValue) throws(PortalError) {
        guard case .uint64(let v) = dbusValue else { throw mismatch(Self.dbusType, dbusValue) }
        self = v
    }
    public var dbusValue: DBusValue { .uint64(self) }
}

extension Double: DBusRepresentable {
    public static var dbusType: DBusType { .double }
    public init(dbusValue: DBusValue) throws(PortalError) {
        guard case .double(let v) = dbusValue else { throw mismatch(Self.dbusType, dbusValue) }
        self = v
    }
    public var dbusValue: DBusValue { .double(self) }
}

extension String: DBusRepresentable {
    public static var dbusType: DBusType { .string }
    public init(dbusValue: DBusValue) throws(PortalError) {
        guard case .string(let v) = dbusValue else { throw mismatch(Self.dbusType, dbusValue) }
        self = v
    }
    public var dbusValue: DBusValue { .string(self) }
}

extension ObjectPath: DBusRepresentable {
    public static var dbusType: DBusType { .objectPath }
    public init(dbusValue: DBusValue) throws(PortalError) {
        guard case .objectPath(let v) = dbusValue else { throw mismatch(Self.dbusType, dbusValue) }
        self = v
    }
    public var dbusValue: DBusValue { .objectPath(self) }
}

extension UnixFD: DBusRepresentable {
    public static var dbusType: DBusType { .unixFD }
    public init(dbusValue: DBusValue) throws(PortalError) {
        guard case .unixFD(let fd) = dbusValue else { throw mismatch(Self.dbusType, dbusValue) }
        self = fd
    }
    public var dbusValue: DBusValue { .unixFD(self) }
}

/// A variant (`v`): any value, kept as it arrived.
public struct Variant: DBusRepresentable, Hashable {
    public var value: DBusValue
    public init(_ value: DBusValue) { self.value = value }
    public init<T: DBusRepresentable>(_ value: T) { self.value = value.dbusValue }
    public static var dbusType: DBusType { .variant }
    public init(dbusValue: DBusValue) throws(PortalError) {
        guard case .variant(let inner) = dbusValue else { throw mismatch(Self.dbusType, dbusValue) }
        self.value = inner
    }
    public var dbusValue: DBusValue { .variant(value) }
}

extension Array: DBusRepresentable where Element: DBusRepresentable {
    public static var dbusType: DBusType { .array(Element.dbusType) }
    public init(dbusValue: DBusValue) throws(PortalError) {
        switch dbusValue {
        case .bytes(let bytes) where Element.self == UInt8.self:
            self = bytes as! [Element]  // safe: Element is UInt8 by the check above
        case .array(let element, let values) where element == Element.dbusType:
            var result: [Element] = []
            result.reserveCapacity(values.count)
            for value in values { result.append(try Element(dbusValue: value)) }
            self = result
        default:
            throw mismatch(Self.dbusType, dbusValue)
        }
    }
    public var dbusValue: DBusValue {
        // Test the element type, not the value: an *empty* array of any
        // element type casts to [UInt8], and would go out as 'ay'.
        if Element.self == UInt8.self, let bytes = self as? [UInt8] { return .bytes(bytes) }
        return .array(element: Element.dbusType, map(\.dbusValue))
    }
}

extension Dictionary: DBusRepresentable where Key: DBusRepresentable, Value: DBusRepresentable {
    public static var dbusType: DBusType { .dictionary(key: Key.dbusType, value: Value.dbusType) }
    public init(dbusValue: DBusValue) throws(PortalError) {
        guard case .dictionary(let k, let v, let entries) = dbusValue, k == Key.dbusType, v == Value.dbusType else {
            throw mismatch(Self.dbusType, dbusValue)
        }
        var result: [Key: Value] = [:]
        result.reserveCapacity(entries.count)
        for entry in entries {
            // Later duplicates win, as in GVariant lookups of a{sv}.
            result[try Key(dbusValue: entry.key)] = try Value(dbusValue: entry.value)
        }
        self = result
    }
    /// Entries are sorted by key text so the wire form is deterministic.
    public var dbusValue: DBusValue {
        let entries = map { DBusValue.DictEntry($0.key.dbusValue, $0.value.dbusValue) }
            .sorted { $0.key.description < $1.key.description }
        return .dictionary(key: Key.dbusType, value: Value.dbusType, entries)
    }
}

/// `a{sv}` option dictionaries, the portals' universal extension point.
public typealias VardictValue = [String: Variant]

extension Dictionary where Key == String, Value == Variant {
    /// Reads an option of the expected type; a present value of another
    /// type is an error (upstream portals reject those too).
    public func option<T: DBusRepresentable>(_ key: String, as type: T.Type = T.self) throws(PortalError) -> T? {
        guard let variant = self[key] else { return nil }
        do {
            return try T(dbusValue: variant.value)
        } catch {
            throw .invalidArgument("option '\(key)' must be of type '\(T.dbusType)', not '\(variant.value.type)'")
        }
    }
}

/// A nul-terminated byte string (`ay`), how portals pass file paths.
public struct ByteString: DBusRepresentable, Hashable, CustomStringConvertible {
    /// The bytes without the terminating nul.
    public var bytes: [UInt8]
    public init(_ string: String) { bytes = Array(string.utf8) }
    public init(bytes: [UInt8]) { self.bytes = bytes }
    public static var dbusType: DBusType { .array(.byte) }
    public init(dbusValue: DBusValue) throws(PortalError) {
        guard case .bytes(var raw) = dbusValue else { throw mismatch(Self.dbusType, dbusValue) }
        if raw.last == 0 { raw.removeLast() }
        // An embedded nul would let "a\0b" pass checks as "a" and act as "a\0b".
        guard !raw.contains(0) else { throw .invalidArgument("byte string contains an embedded nul") }
        bytes = raw
    }
    public var dbusValue: DBusValue { .bytes(bytes + [0]) }
    public var string: String { String(decoding: bytes, as: UTF8.self) }
    public var description: String { string }
}
