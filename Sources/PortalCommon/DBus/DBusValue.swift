/// A D-Bus value of any type the portals use.
///
/// Containers remember their element types so that empty arrays and
/// dictionaries still marshal with the right signature. Byte arrays (`ay`,
/// used for paths) have their own compact case; `DBusValue.array` never holds
/// bytes, which keeps equality canonical.
public indirect enum DBusValue: Sendable, Hashable {
    case byte(UInt8)
    case bool(Bool)
    case int16(Int16)
    case uint16(UInt16)
    case int32(Int32)
    case uint32(UInt32)
    case int64(Int64)
    case uint64(UInt64)
    case double(Double)
    case string(String)
    case objectPath(ObjectPath)
    case signature(String)
    case unixFD(UnixFD)
    case variant(DBusValue)
    case bytes([UInt8])
    case array(element: DBusType, [DBusValue])
    case dictionary(key: DBusType, value: DBusType, [DictEntry])
    case structure([DBusValue])

    public struct DictEntry: Sendable, Hashable {
        public var key: DBusValue
        public var value: DBusValue
        public init(_ key: DBusValue, _ value: DBusValue) {
            self.key = key
            self.value = value
        }
    }

    /// An array; byte elements become the compact `.bytes` form.
    public static func array(of element: DBusType, _ values: [DBusValue]) -> DBusValue {
        if element == .byte {
            let bytes = values.compactMap { value -> UInt8? in if case .byte(let b) = value { b } else { nil } }
            // A mismatched element stays in `.array`, where `validate()` reports it.
            if bytes.count == values.count { return .bytes(bytes) }
        }
        return .array(element: element, values)
    }

    public var type: DBusType {
        switch self {
        case .byte: .byte
        case .bool: .bool
        case .int16: .int16
        case .uint16: .uint16
        case .int32: .int32
        case .uint32: .uint32
        case .int64: .int64
        case .uint64: .uint64
        case .double: .double
        case .string: .string
        case .objectPath: .objectPath
        case .signature: .signature
        case .unixFD: .unixFD
        case .variant: .variant
        case .bytes: .array(.byte)
        case .array(let element, _): .array(element)
        case .dictionary(let key, let value, _): .dictionary(key: key, value: value)
        case .structure(let fields): .structure(fields.map(\.type))
        }
    }

    /// True when the value (at any depth) holds a file descriptor.
    public var containsFileDescriptor: Bool {
        switch self {
        case .unixFD: true
        case .variant(let inner): inner.containsFileDescriptor
        case .array(_, let values), .structure(let values): values.contains { $0.containsFileDescriptor }
        case .dictionary(_, _, let entries): entries.contains { $0.key.containsFileDescriptor || $0.value.containsFileDescriptor }
        default: false
        }
    }

    /// Checks that container contents match their declared element types, so
    /// a value built by hand cannot make sd-bus write a malformed message.
    public func validate() throws(PortalError) {
        switch self {
        case .variant(let inner):
            try inner.validate()
        case .array(let element, let values):
            for value in values {
                guard value.type == element else {
                    throw .invalidArgs("array of '\(element)' holds a '\(value.type)'")
                }
                try value.validate()
            }
        case .dictionary(let key, let valueType, let entries):
            guard key.isBasic else { throw .invalidArgs("dictionary key '\(key)' is not basic") }
            for entry in entries {
                guard entry.key.type == key, entry.value.type == valueType else {
                    throw .invalidArgs("dictionary of '{\(key)\(valueType)}' holds '{\(entry.key.type)\(entry.value.type)}'")
                }
                try entry.value.validate()
            }
        case .structure(let fields):
            guard !fields.isEmpty else { throw .invalidArgs("empty struct") }
            for field in fields { try field.validate() }
        default:
            break
        }
    }
}

// Typed views used by handlers and tests.
extension DBusValue {
    public var stringValue: String? {
        switch self {
        case .string(let s), .signature(let s): s
        case .objectPath(let p): p.rawValue
        default: nil
        }
    }
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var uint32Value: UInt32? { if case .uint32(let v) = self { v } else { nil } }
    /// The elements of a non-byte array.
    public var arrayValues: [DBusValue]? { if case .array(_, let values) = self { values } else { nil } }
    /// The value inside a variant (or the value itself when not a variant).
    public var unwrappingVariant: DBusValue { if case .variant(let inner) = self { inner.unwrappingVariant } else { self } }
}

extension DBusValue: CustomStringConvertible {
    /// GVariant-like text, for logs and test failures.
    public var description: String {
        switch self {
        case .byte(let v): "byte \(v)"
        case .bool(let v): "\(v)"
        case .int16(let v): "int16 \(v)"
        case .uint16(let v): "uint16 \(v)"
        case .int32(let v): "\(v)"
        case .uint32(let v): "uint32 \(v)"
        case .int64(let v): "int64 \(v)"
        case .uint64(let v): "uint64 \(v)"
        case .double(let v): "\(v)"
        case .string(let v): "'\(v)'"
        case .objectPath(let v): "objectpath '\(v.rawValue)'"
        case .signature(let v): "signature '\(v)'"
        case .unixFD(let fd): "handle \(fd)"
        case .variant(let inner): "<\(inner)>"
        case .bytes(let b): "b'\(String(decoding: b, as: UTF8.self))'"
        case .array(_, let values): "[" + values.map(\.description).joined(separator: ", ") + "]"
        case .dictionary(_, _, let entries):
            "{" + entries.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
        case .structure(let fields): "(" + fields.map(\.description).joined(separator: ", ") + ")"
        }
    }
}
