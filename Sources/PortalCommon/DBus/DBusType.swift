/// A single complete D-Bus type, parsed from a signature.
///
/// Signatures arrive from peers (variants carry their own), so parsing
/// enforces the specification's limits: 255 bytes, 32 levels of array and of
/// struct nesting, dict entries only directly inside arrays with a basic key.
public indirect enum DBusType: Sendable, Hashable, CustomStringConvertible {
    case byte, bool, int16, uint16, int32, uint32, int64, uint64, double
    case string, objectPath, signature, unixFD
    case variant
    case array(DBusType)
    case dictionary(key: DBusType, value: DBusType)
    case structure([DBusType])

    /// The type's signature, e.g. `a{sv}`.
    public var signature: String {
        switch self {
        case .byte: "y"
        case .bool: "b"
        case .int16: "n"
        case .uint16: "q"
        case .int32: "i"
        case .uint32: "u"
        case .int64: "x"
        case .uint64: "t"
        case .double: "d"
        case .string: "s"
        case .objectPath: "o"
        case .signature: "g"
        case .unixFD: "h"
        case .variant: "v"
        case .array(let element): "a" + element.signature
        case .dictionary(let key, let value): "a{" + key.signature + value.signature + "}"
        case .structure(let fields): "(" + fields.map(\.signature).joined() + ")"
        }
    }

    public var description: String { signature }

    /// Basic types may be dictionary keys and are appended/read in one call.
    public var isBasic: Bool {
        switch self {
        case .variant, .array, .dictionary, .structure: false
        default: true
        }
    }

    /// The type code sd-bus expects for reading/appending this type: the
    /// signature's first byte, except structs, which sd-bus names `r`.
    var code: CChar {
        switch self {
        case .structure: CChar(UInt8(ascii: "r"))
        case .array, .dictionary: CChar(UInt8(ascii: "a"))
        default: CChar(signature.utf8.first ?? UInt8(ascii: "v"))
        }
    }

    /// Parses a signature of zero or more complete types.
    public static func parse(_ signature: String) throws(PortalError) -> [DBusType] {
        let bytes = Array(signature.utf8)
        guard bytes.count <= 255 else {
            throw .invalidArgs("signature is longer than 255 bytes")
        }
        var parser = SignatureParser(bytes: bytes)
        var types: [DBusType] = []
        while !parser.atEnd {
            types.append(try parser.parseComplete(arrayDepth: 0, structDepth: 0))
        }
        return types
    }

    /// Parses a signature that must hold exactly one complete type.
    public static func parseSingle(_ signature: String) throws(PortalError) -> DBusType {
        let types = try parse(signature)
        guard types.count == 1, let only = types.first else {
            throw .invalidArgs("signature '\(signature)' is not a single complete type")
        }
        return only
    }
}

private struct SignatureParser {
    let bytes: [UInt8]
    var index = 0
    static let maxDepth = 32

    var atEnd: Bool { index >= bytes.count }

    mutating func parseComplete(arrayDepth: Int, structDepth: Int) throws(PortalError) -> DBusType {
        guard index < bytes.count else { throw .invalidArgs("signature ends inside a type") }
        let code = bytes[index]
        index += 1
        switch code {
        case UInt8(ascii: "y"): return .byte
        case UInt8(ascii: "b"): return .bool
        case UInt8(ascii: "n"): return .int16
        case UInt8(ascii: "q"): return .uint16
        case UInt8(ascii: "i"): return .int32
        case UInt8(ascii: "u"): return .uint32
        case UInt8(ascii: "x"): return .int64
        case UInt8(ascii: "t"): return .uint64
        case UInt8(ascii: "d"): return .double
        case UInt8(ascii: "s"): return .string
        case UInt8(ascii: "o"): return .objectPath
        case UInt8(ascii: "g"): return .signature
        case UInt8(ascii: "h"): return .unixFD
        case UInt8(ascii: "v"): return .variant
        case UInt8(ascii: "a"):
            guard arrayDepth < Self.maxDepth else { throw .invalidArgs("signature nests arrays deeper than 32") }
            if index < bytes.count, bytes[index] == UInt8(ascii: "{") {
                index += 1
                let key = try parseComplete(arrayDepth: arrayDepth + 1, structDepth: structDepth)
                guard key.isBasic else { throw .invalidArgs("dictionary key must be a basic type, not '\(key)'") }
                let value = try parseComplete(arrayDepth: arrayDepth + 1, structDepth: structDepth)
                guard index < bytes.count, bytes[index] == UInt8(ascii: "}") else {
                    throw .invalidArgs("dictionary entry must hold exactly a key and a value")
                }
                index += 1
                return .dictionary(key: key, value: value)
            }
            return .array(try parseComplete(arrayDepth: arrayDepth + 1, structDepth: structDepth))
        case UInt8(ascii: "("):
            guard structDepth < Self.maxDepth else { throw .invalidArgs("signature nests structs deeper than 32") }
            var fields: [DBusType] = []
            while index < bytes.count, bytes[index] != UInt8(ascii: ")") {
                fields.append(try parseComplete(arrayDepth: arrayDepth, structDepth: structDepth + 1))
            }
            guard index < bytes.count else { throw .invalidArgs("unterminated struct in signature") }
            guard !fields.isEmpty else { throw .invalidArgs("empty struct in signature") }
            index += 1
            return .structure(fields)
        default:
            throw .invalidArgs("invalid type code '\(Unicode.Scalar(code))' in signature")
        }
    }
}
