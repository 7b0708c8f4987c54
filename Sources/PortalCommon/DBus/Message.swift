internal import CSystemd
import Glibc

/// An `sd_bus_message`, referenced while this object lives. Only the bus
/// thread touches messages that belong to a live connection.
final class Message: @unchecked Sendable {
    // @unchecked: the pointer is only dereferenced on the owning bus thread;
    // the object may be carried across threads (e.g. an async reply's call)
    // but is not used there.
    let raw: OpaquePointer

    init(retaining raw: OpaquePointer) {
        self.raw = raw
        burrow_sd_bus_message_ref(raw)
    }

    init(adopting raw: OpaquePointer) {
        self.raw = raw
    }

    deinit { burrow_sd_bus_message_unref(raw) }

    var sender: String? { burrow_sd_bus_message_get_sender(raw).map { String(cString: $0) } }
    var member: String? { burrow_sd_bus_message_get_member(raw).map { String(cString: $0) } }
    var interface: String? { burrow_sd_bus_message_get_interface(raw).map { String(cString: $0) } }
    var path: String? { burrow_sd_bus_message_get_path(raw).map { String(cString: $0) } }
    var signature: String { burrow_sd_bus_message_get_signature(raw, 1).map { String(cString: $0) } ?? "" }

    /// The error carried by a method-error reply, if this is one.
    var error: PortalError? {
        guard let e = burrow_sd_bus_message_get_error(raw), let name = e.pointee.name else { return nil }
        return PortalError(name: String(cString: name), message: e.pointee.message.map { String(cString: $0) } ?? "")
    }

    // MARK: Reading

    /// Reads every argument of the message body.
    func readAll() throws(PortalError) -> [DBusValue] {
        let types = try DBusType.parse(signature)
        var values: [DBusValue] = []
        values.reserveCapacity(types.count)
        for type in types { values.append(try read(type)) }
        return values
    }

    func read(_ type: DBusType) throws(PortalError) -> DBusValue {
        switch type {
        case .byte: return .byte(try readBasic(type, UInt8.self))
        case .bool: return .bool(try readBasic(type, Int32.self) != 0)
        case .int16: return .int16(try readBasic(type, Int16.self))
        case .uint16: return .uint16(try readBasic(type, UInt16.self))
        case .int32: return .int32(try readBasic(type, Int32.self))
        case .uint32: return .uint32(try readBasic(type, UInt32.self))
        case .int64: return .int64(try readBasic(type, Int64.self))
        case .uint64: return .uint64(try readBasic(type, UInt64.self))
        case .double: return .double(try readBasic(type, Double.self))
        case .string:
            return .string(String(cString: try readBasic(type, UnsafePointer<CChar>.self)))
        case .objectPath:
            return .objectPath(try ObjectPath(String(cString: try readBasic(type, UnsafePointer<CChar>.self))))
        case .signature:
            return .signature(String(cString: try readBasic(type, UnsafePointer<CChar>.self)))
        case .unixFD:
            // The message owns its fd; we keep our own duplicate.
            return .unixFD(try UnixFD.duplicating(try readBasic(type, Int32.self)))
        case .variant:
            var contents: UnsafePointer<CChar>?
            try check(burrow_sd_bus_message_peek_type(raw, nil, &contents), "reading a variant")
            guard let contents else { throw .invalidArgs("variant without a contained signature") }
            let inner = try DBusType.parseSingle(String(cString: contents))
            try check(burrow_sd_bus_message_enter_container(raw, CChar(UInt8(ascii: "v")), contents), "entering a variant")
            let value = try read(inner)
            try check(burrow_sd_bus_message_exit_container(raw), "leaving a variant")
            return .variant(value)
        case .array(.byte):
            var pointer: UnsafeRawPointer?
            var size = 0
            try check(burrow_sd_bus_message_read_array(raw, CChar(UInt8(ascii: "y")), &pointer, &size), "reading a byte array")
            let bytes = pointer.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
            return .bytes(bytes)
        case .array(let element):
            var values: [DBusValue] = []
            try readContainer(CChar(UInt8(ascii: "a")), element.signature) { () throws(PortalError) in
                values.append(try read(element))
            }
            return .array(element: element, values)
        case .dictionary(let key, let value):
            var entries: [DBusValue.DictEntry] = []
            let entrySignature = key.signature + value.signature
            try readContainer(CChar(UInt8(ascii: "a")), "{" + entrySignature + "}") { () throws(PortalError) in
                try check(burrow_sd_bus_message_enter_container(raw, CChar(UInt8(ascii: "e")), entrySignature), "entering a dict entry")
                let k = try read(key)
                let v = try read(value)
                try check(burrow_sd_bus_message_exit_container(raw), "leaving a dict entry")
                entries.append(.init(k, v))
            }
            return .dictionary(key: key, value: value, entries)
        case .structure(let fields):
            let contents = fields.map(\.signature).joined()
            try check(burrow_sd_bus_message_enter_container(raw, CChar(UInt8(ascii: "r")), contents), "entering a struct")
            var values: [DBusValue] = []
            for field in fields { values.append(try read(field)) }
            try check(burrow_sd_bus_message_exit_container(raw), "leaving a struct")
            return .structure(values)
        }
    }

    private func readBasic<T>(_ type: DBusType, _: T.Type) throws(PortalError) -> T {
        let storage = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
        defer { storage.deallocate() }
        try check(burrow_sd_bus_message_read_basic(raw, type.code, storage), "reading '\(type)'")
        return storage.load(as: T.self)
    }

    private func readContainer(_ code: CChar, _ contents: String, element: () throws(PortalError) -> Void) throws(PortalError) {
        try check(burrow_sd_bus_message_enter_container(raw, code, contents), "entering an array of '\(contents)'")
        while true {
            let atEnd = burrow_sd_bus_message_at_end(raw, 0)
            try check(atEnd, "reading an array of '\(contents)'")
            if atEnd > 0 { break }
            try element()
        }
        try check(burrow_sd_bus_message_exit_container(raw), "leaving an array of '\(contents)'")
    }

    // MARK: Appending

    func append(_ values: [DBusValue]) throws(PortalError) {
        for value in values { try append(value) }
    }

    func append(_ value: DBusValue) throws(PortalError) {
        switch value {
        case .byte(var v): try appendBasic(value.type, &v)
        case .bool(let b):
            var v: Int32 = b ? 1 : 0
            try appendBasic(value.type, &v)
        case .int16(var v): try appendBasic(value.type, &v)
        case .uint16(var v): try appendBasic(value.type, &v)
        case .int32(var v): try appendBasic(value.type, &v)
        case .uint32(var v): try appendBasic(value.type, &v)
        case .int64(var v): try appendBasic(value.type, &v)
        case .uint64(var v): try appendBasic(value.type, &v)
        case .double(var v): try appendBasic(value.type, &v)
        case .string(let s), .signature(let s):
            // sd-bus validates UTF-8 and signatures itself and refuses bad ones.
            let r = s.withCString { burrow_sd_bus_message_append_basic(raw, value.type.code, $0) }
            try check(r, "appending '\(value.type)'")
        case .objectPath(let path):
            let r = path.rawValue.withCString { burrow_sd_bus_message_append_basic(raw, value.type.code, $0) }
            try check(r, "appending an object path")
        case .unixFD(let fd):
            // sd-bus duplicates the descriptor into the message.
            try fd.withRawDescriptor { raw throws(PortalError) in
                var v = raw
                try appendBasic(.unixFD, &v)
            }
        case .variant(let inner):
            try inContainer(CChar(UInt8(ascii: "v")), inner.type.signature) { () throws(PortalError) in try append(inner) }
        case .bytes(let bytes):
            let r = bytes.withUnsafeBytes { burrow_sd_bus_message_append_array(raw, CChar(UInt8(ascii: "y")), $0.baseAddress, $0.count) }
            try check(r, "appending a byte array")
        case .array(let element, let values):
            try inContainer(CChar(UInt8(ascii: "a")), element.signature) { () throws(PortalError) in
                for v in values { try append(v) }
            }
        case .dictionary(let key, let valueType, let entries):
            let entrySignature = key.signature + valueType.signature
            try inContainer(CChar(UInt8(ascii: "a")), "{" + entrySignature + "}") { () throws(PortalError) in
                for entry in entries {
                    try inContainer(CChar(UInt8(ascii: "e")), entrySignature) { () throws(PortalError) in
                        try append(entry.key)
                        try append(entry.value)
                    }
                }
            }
        case .structure(let fields):
            try inContainer(CChar(UInt8(ascii: "r")), fields.map(\.type.signature).joined()) { () throws(PortalError) in
                for field in fields { try append(field) }
            }
        }
    }

    private func appendBasic<T>(_ type: DBusType, _ value: inout T) throws(PortalError) {
        let r = withUnsafePointer(to: &value) { burrow_sd_bus_message_append_basic(raw, type.code, UnsafeRawPointer($0)) }
        try check(r, "appending '\(type)'")
    }

    private func inContainer(_ code: CChar, _ contents: String, body: () throws(PortalError) -> Void) throws(PortalError) {
        try check(burrow_sd_bus_message_open_container(raw, code, contents), "opening a container of '\(contents)'")
        try body()
        try check(burrow_sd_bus_message_close_container(raw), "closing a container of '\(contents)'")
    }
}

/// The one conversion of sd-bus's negative-errno results into an error.
/// Reading or writing a malformed body is the peer's fault: InvalidArgs.
@inline(__always)
func check(_ result: Int32, _ what: @autoclosure () -> String) throws(PortalError) {
    if result < 0 {
        throw .invalidArgs("\(what()): \(String(cString: strerror(-result)))")
    }
}
