internal import CGLib

/// `DBusValue` ⇄ GVariant's serialized form.
///
/// The permission store keeps each entry's opaque `data` as the bytes of a
/// GVariant of type `v`: the same canonical encoding xdg-permission-store
/// writes into its GVDB tables, self-describing (the type travels with the
/// value) and readable by `g_variant_print` for people. Serialized data read
/// back from disk is treated as untrusted: GLib validates it on access and
/// never reads outside the buffer.
public enum GVariantCoding {
    /// The bytes of `value` wrapped in a variant. File descriptors are refused:
    /// an fd number is meaningless once the message that carried it is gone.
    public static func serialize(_ value: DBusValue) throws(PortalError) -> [UInt8] {
        if value.containsFileDescriptor {
            throw .invalidArgument("values containing file descriptors (type 'h') cannot be stored")
        }
        let variant = g_variant_ref_sink(g_variant_new_variant(makeGVariant(value)))!
        defer { g_variant_unref(variant) }
        let size = g_variant_get_size(variant)
        var bytes = [UInt8](repeating: 0, count: Int(size))
        bytes.withUnsafeMutableBytes { g_variant_store(variant, $0.baseAddress) }
        return bytes
    }

    /// The value stored by `serialize`, or `nil` when `bytes` do not hold one.
    public static func deserialize(_ bytes: [UInt8]) -> DBusValue? {
        let type = g_variant_type_new("v")
        defer { g_variant_type_free(type) }
        // g_bytes_new copies: the GVariant owns its memory, whatever happens to `bytes`.
        let data = bytes.withUnsafeBytes { g_bytes_new($0.baseAddress, gsize($0.count)) }
        defer { g_bytes_unref(data) }
        guard let variant = g_variant_new_from_bytes(type, data, 0) else { return nil }
        g_variant_ref_sink(variant)
        defer { g_variant_unref(variant) }
        let inner = g_variant_get_variant(variant)!
        defer { g_variant_unref(inner) }
        return makeValue(inner)
    }

    /// GLib's text form (`{'a': <1>}`), for command-line output.
    public static func text(of value: DBusValue) -> String {
        guard !value.containsFileDescriptor else { return value.description }
        let variant = g_variant_ref_sink(makeGVariant(value))!
        defer { g_variant_unref(variant) }
        let printed = g_variant_print(variant, 0)!
        defer { g_free(printed) }
        return String(cString: printed)
    }

    /// The value written in GLib's text form (`g_variant_parse`, the syntax
    /// `flatpak permission-set --data` and `gdbus call` take), e.g.
    /// `{'a': <1>}` or `uint32 7`. The whole text must be one value.
    ///
    /// GVariant types D-Bus has no wire form for are refused rather than
    /// approximated: maybe types (`m…`, GVariant-only) and handles (`h`, an
    /// fd index that means nothing outside the message that carried it).
    public static func parse(_ text: String) throws(PortalError) -> DBusValue {
        var error: UnsafeMutablePointer<GError>? = nil
        // No expected type (inferred from the text); NULL limit and endptr:
        // the text is NUL-terminated and trailing garbage is an error.
        guard let parsed = g_variant_parse(nil, text, nil, nil, &error) else {
            throw parseError(text, error)
        }
        // g_variant_parse returns a full (non-floating) reference.
        defer { g_variant_unref(parsed) }
        guard let value = makeValue(parsed) else {
            let type = String(cString: g_variant_get_type_string(parsed))
            throw .invalidArgument(
                "'\(text)' is a GVariant of type '\(type)', which D-Bus cannot carry "
                + "(maybe 'm' and handle 'h' types have no stored form); write a D-Bus type instead.")
        }
        return value
    }

    /// The one GError → PortalError conversion for GVariant text; frees the
    /// GError. The wording is flatpak's (`Failed to parse '…' as GVariant:
    /// OFFSET:REASON`), so scripts matching on it keep working.
    private static func parseError(_ text: String, _ error: UnsafeMutablePointer<GError>?) -> PortalError {
        guard let error else { return .invalidArgument("Failed to parse '\(text)' as GVariant") }
        defer { g_error_free(error) }
        return .invalidArgument("Failed to parse '\(text)' as GVariant: \(String(cString: error.pointee.message))")
    }

    /// A new floating GVariant for `value` (no fds: checked by callers).
    private static func makeGVariant(_ value: DBusValue) -> OpaquePointer {
        switch value {
        case .byte(let v): return g_variant_new_byte(v)
        case .bool(let v): return g_variant_new_boolean(v ? 1 : 0)
        case .int16(let v): return g_variant_new_int16(v)
        case .uint16(let v): return g_variant_new_uint16(v)
        case .int32(let v): return g_variant_new_int32(v)
        case .uint32(let v): return g_variant_new_uint32(v)
        case .int64(let v): return g_variant_new_int64(gint64(v))
        case .uint64(let v): return g_variant_new_uint64(guint64(v))
        case .double(let v): return g_variant_new_double(v)
        case .string(let v): return g_variant_new_string(v)
        case .objectPath(let v): return g_variant_new_object_path(v.rawValue)
        case .signature(let v): return g_variant_new_signature(v)
        case .unixFD: return g_variant_new_handle(-1)
        case .variant(let inner): return g_variant_new_variant(makeGVariant(inner))
        case .bytes(let bytes):
            return bytes.withUnsafeBytes { g_variant_new_fixed_array(byteType, $0.baseAddress, gsize($0.count), 1) }
        case .array(let element, let values):
            return container(element, values.map(makeGVariant))
        case .dictionary(let key, let valueType, let entries):
            let children = entries.map { g_variant_new_dict_entry(makeGVariant($0.key), makeGVariant($0.value))! }
            return container(.structure([key, valueType]), children, dictionary: true)
        case .structure(let fields):
            var children: [OpaquePointer?] = fields.map(makeGVariant)
            return g_variant_new_tuple(&children, gsize(children.count))
        }
    }

    nonisolated(unsafe) private static let byteType = g_variant_type_new("y")

    private static func container(_ element: DBusType, _ children: [OpaquePointer], dictionary: Bool = false) -> OpaquePointer {
        // A dict entry's GVariant type is "{kv}", not the "(kv)" DBusType uses internally.
        let signature: String
        if dictionary, case .structure(let kv) = element {
            signature = "{" + kv.map(\.signature).joined() + "}"
        } else {
            signature = element.signature
        }
        let type = g_variant_type_new(signature)
        defer { g_variant_type_free(type) }
        var pointers: [OpaquePointer?] = children
        return g_variant_new_array(type, &pointers, gsize(pointers.count))
    }

    private static func makeValue(_ variant: OpaquePointer) -> DBusValue? {
        let signature = String(cString: g_variant_get_type_string(variant))
        guard let type = try? DBusType.parseSingle(signature) else { return nil }
        switch type {
        case .byte: return .byte(g_variant_get_byte(variant))
        case .bool: return .bool(g_variant_get_boolean(variant) != 0)
        case .int16: return .int16(g_variant_get_int16(variant))
        case .uint16: return .uint16(g_variant_get_uint16(variant))
        case .int32: return .int32(g_variant_get_int32(variant))
        case .uint32: return .uint32(g_variant_get_uint32(variant))
        case .int64: return .int64(Int64(g_variant_get_int64(variant)))
        case .uint64: return .uint64(UInt64(g_variant_get_uint64(variant)))
        case .double: return .double(g_variant_get_double(variant))
        case .string: return .string(String(cString: g_variant_get_string(variant, nil)))
        case .objectPath: return (try? ObjectPath(String(cString: g_variant_get_string(variant, nil)))).map(DBusValue.objectPath)
        case .signature: return .signature(String(cString: g_variant_get_string(variant, nil)))
        case .unixFD: return nil
        case .variant:
            let inner = g_variant_get_variant(variant)!
            defer { g_variant_unref(inner) }
            return makeValue(inner).map(DBusValue.variant)
        case .array(.byte):
            var count = 0
            guard let base = g_variant_get_fixed_array(variant, &count, 1) else { return .bytes([]) }
            return .bytes(Array(UnsafeRawBufferPointer(start: base, count: count)))
        case .array(let element):
            guard let children = self.children(of: variant) else { return nil }
            return .array(element: element, children)
        case .dictionary(let key, let value):
            guard let children = self.children(of: variant) else { return nil }
            var entries: [DBusValue.DictEntry] = []
            for child in children {
                guard case .structure(let kv) = child, kv.count == 2 else { return nil }
                entries.append(.init(kv[0], kv[1]))
            }
            return .dictionary(key: key, value: value, entries)
        case .structure:
            return children(of: variant).map(DBusValue.structure)
        }
    }

    /// Children of a container; dict entries come back as two-field structures.
    private static func children(of variant: OpaquePointer) -> [DBusValue]? {
        var result: [DBusValue] = []
        let count = g_variant_n_children(variant)
        result.reserveCapacity(Int(count))
        for index in 0..<count {
            let child = g_variant_get_child_value(variant, index)!
            defer { g_variant_unref(child) }
            if g_variant_is_of_type(child, entryType) != 0 {
                let key = g_variant_get_child_value(child, 0)!, value = g_variant_get_child_value(child, 1)!
                defer { g_variant_unref(key); g_variant_unref(value) }
                guard let k = makeValue(key), let v = makeValue(value) else { return nil }
                result.append(.structure([k, v]))
            } else {
                guard let value = makeValue(child) else { return nil }
                result.append(value)
            }
        }
        return result
    }

    /// GLib's indefinite "any dict entry" type.
    nonisolated(unsafe) private static let entryType = g_variant_type_new("{?*}")
}
