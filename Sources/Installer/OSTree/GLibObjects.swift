internal import CGLib
internal import COSTree

// Ownership of the GLib objects the OSTree wrapper passes around. Each class
// holds exactly one strong reference and drops it in deinit, so a reference is
// released once on every path, thrown errors included. None of these is
// Sendable: GObjects here are used by the thread that made them.
//
// The pointer is reachable only inside `withRaw`, which keeps the owner alive
// until the closure returns. Handing out a bare `.raw` would not: Swift may
// release an object right after its last use, so in
// `g_variant_get_uint64(tuple.child(0).raw)` the child would be freed before
// GLib reads it.

/// One reference to a GObject (`GFile`, `OstreeMutableTree`, …).
final class GObjectRef {
    private let pointer: OpaquePointer

    /// Takes over a reference the caller owns (a "transfer full" result).
    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit { g_object_unref(UnsafeMutableRawPointer(pointer)) }

    func withRaw<R, E: Error>(_ body: (OpaquePointer) throws(E) -> R) throws(E) -> R {
        defer { withExtendedLifetime(self) {} }
        return try body(pointer)
    }
}

/// One reference to a GVariant.
final class Variant {
    private let pointer: OpaquePointer

    /// Takes over a new value: a floating one (fresh from `g_variant_new_*`)
    /// is sunk, a full reference (from `get_child_value`, `load_variant`) is
    /// adopted as is — `g_variant_take_ref` does exactly that, never adding a
    /// second reference.
    init(taking pointer: OpaquePointer) {
        self.pointer = g_variant_take_ref(pointer)
    }

    deinit { g_variant_unref(pointer) }

    func withRaw<R, E: Error>(_ body: (OpaquePointer) throws(E) -> R) throws(E) -> R {
        defer { withExtendedLifetime(self) {} }
        return try body(pointer)
    }

    private var raw: OpaquePointer { pointer }

    // Scalars, read only when the type matches (GLib asserts otherwise).
    var boolValue: Bool? { typeString == "b" ? g_variant_get_boolean(pointer) != 0 : nil }
    var int32Value: Int32? { typeString == "i" ? g_variant_get_int32(pointer) : nil }
    var uint32Value: UInt32? { typeString == "u" ? g_variant_get_uint32(pointer) : nil }
    var uint64Value: UInt64? { typeString == "t" ? UInt64(g_variant_get_uint64(pointer)) : nil }

    /// The value inside a `v`.
    var unboxed: Variant? { typeString == "v" ? Variant(taking: g_variant_get_variant(pointer)) : nil }

    /// A `v` holding `value`.
    static func boxing(_ value: Variant) -> Variant {
        value.withRaw { Variant(taking: g_variant_new_variant($0)) }
    }

    static func string(_ value: String) -> Variant { Variant(taking: g_variant_new_string(value)) }
    static func bool(_ value: Bool) -> Variant { Variant(taking: g_variant_new_boolean(value ? 1 : 0)) }
    static func int32(_ value: Int32) -> Variant { Variant(taking: g_variant_new_int32(value)) }
    static func uint32(_ value: UInt32) -> Variant { Variant(taking: g_variant_new_uint32(value)) }
    static func uint64(_ value: UInt64) -> Variant { Variant(taking: g_variant_new_uint64(guint64(value))) }

    var typeString: String { String(cString: g_variant_get_type_string(raw)) }

    func child(_ index: Int) -> Variant {
        Variant(taking: g_variant_get_child_value(raw, gsize(index)))
    }

    var childCount: Int { Int(g_variant_n_children(raw)) }

    /// The string of an `s`, `o` or `g` value.
    var string: String? {
        guard ["s", "o", "g"].contains(typeString) else { return nil }
        return String(cString: g_variant_get_string(raw, nil))
    }

    /// The bytes of an `ay` value.
    var bytes: [UInt8]? {
        guard typeString == "ay" else { return nil }
        var count: gsize = 0
        guard let base = g_variant_get_fixed_array(raw, &count, 1), count > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: Int(count)))
    }

    /// GLib's text form, for values burrow has no model for.
    var text: String {
        let printed = g_variant_print(raw, 0)!
        defer { g_free(printed) }
        return String(cString: printed)
    }

    /// The `a{sv}` entries, unwrapped from their variants.
    var dictionaryEntries: [(key: String, value: Variant)] {
        guard typeString == "a{sv}" else { return [] }
        return (0..<childCount).map { index in
            let entry = child(index)
            let key = entry.child(0).string ?? ""
            // Entries of an a{sv} are (s, v): the value is always boxed.
            return (key, entry.child(1).unboxed!)
        }
    }

    /// The value stored under `key` in an `a{sv}` dictionary.
    func lookup(_ key: String) -> Variant? {
        guard typeString == "a{sv}" else { return nil }
        return g_variant_lookup_value(raw, key, nil).map { Variant(taking: $0) }
    }

    /// A string array as GLib wants it for `g_variant_new_strv`.
    static func strings(_ values: [String]) -> Variant {
        let copies = values.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        return copies.map { UnsafePointer($0) }.withUnsafeBufferPointer { buffer in
            Variant(taking: g_variant_new_strv(buffer.baseAddress, gssize(buffer.count)))
        }
    }

    /// An `ay` holding `bytes`.
    static func byteArray(_ bytes: [UInt8]) -> Variant {
        bytes.withUnsafeBufferPointer { buffer in
            Variant(taking: g_variant_new_fixed_array(g_variant_type_checked_("y"), buffer.baseAddress, gsize(buffer.count), 1))
        }
    }

    /// An `a{sv}` dictionary; keys are sorted so the same entries always
    /// serialize to the same bytes (commit checksums depend on them).
    static func dictionary(_ entries: [String: Variant]) -> Variant {
        let type = g_variant_type_new("a{sv}")
        defer { g_variant_type_free(type) }
        let builder = g_variant_builder_new(type)!
        defer { g_variant_builder_unref(builder) }
        for key in entries.keys.sorted() {
            entries[key]!.withRaw { value in
                g_variant_builder_add_value(builder, g_variant_new_dict_entry(g_variant_new_string(key), g_variant_new_variant(value)))
            }
        }
        return Variant(taking: g_variant_builder_end(builder))
    }
}

/// Strings out of a `GHashTable` of `char*` → `char*` (what
/// `ostree_repo_list_refs_ext` returns), then the table is released.
func takeStringTable(_ table: OpaquePointer?) -> [String: String] {
    defer { if let table { g_hash_table_unref(table) } }
    // A hash table's keys are unique.
    return Dictionary(borrowedStringTable(table), uniquingKeysWith: { first, _ in first })
}

/// `char*` → `char*` entries of a table someone else owns.
func borrowedStringTable(_ table: OpaquePointer?) -> [(String, String)] {
    guard let table else { return [] }
    var result: [(String, String)] = []
    var iterator = GHashTableIter()
    g_hash_table_iter_init(&iterator, table)
    var key: gpointer?
    var value: gpointer?
    while g_hash_table_iter_next(&iterator, &key, &value) != 0 {
        guard let key, let value else { continue }
        result.append((
            String(cString: key.assumingMemoryBound(to: CChar.self)),
            String(cString: value.assumingMemoryBound(to: CChar.self))))
    }
    return result
}

/// Frees a NULL-terminated `char**` that the caller owns, returning its strings.
func takeStringVector(_ vector: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> [String] {
    guard let vector else { return [] }
    defer { g_strfreev(vector) }
    var result: [String] = []
    var index = 0
    while let item = vector[index] {
        result.append(String(cString: item))
        index += 1
    }
    return result
}
