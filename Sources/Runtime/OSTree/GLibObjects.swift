internal import CGLib
internal import COSTree

// Ownership of the GLib objects the OSTree wrapper passes around. Each class
// holds exactly one strong reference and drops it in deinit, so a reference is
// released once on every path, thrown errors included. None of these is
// Sendable: GObjects here are used by the thread that made them.

/// One reference to a GObject (`GFile`, `OstreeMutableTree`, …).
final class GObjectRef {
    let raw: OpaquePointer

    /// Takes over a reference the caller owns (a "transfer full" result).
    init(taking raw: OpaquePointer) {
        self.raw = raw
    }

    deinit { g_object_unref(UnsafeMutableRawPointer(raw)) }
}

/// One reference to a GVariant.
final class Variant {
    let raw: OpaquePointer

    /// Takes over a new value: a floating one (fresh from `g_variant_new_*`)
    /// is sunk, a full reference (from `get_child_value`, `load_variant`) is
    /// adopted as is — `g_variant_take_ref` does exactly that, never adding a
    /// second reference.
    init(taking raw: OpaquePointer) {
        self.raw = g_variant_take_ref(raw)
    }

    deinit { g_variant_unref(raw) }

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
            let boxed = entry.child(1)
            return (key, Variant(taking: g_variant_get_variant(boxed.raw)))
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

    /// An `a{sv}` dictionary; keys are sorted so the same entries always
    /// serialize to the same bytes (commit checksums depend on them).
    static func dictionary(_ entries: [String: Variant]) -> Variant {
        let type = g_variant_type_new("a{sv}")
        defer { g_variant_type_free(type) }
        let builder = g_variant_builder_new(type)!
        defer { g_variant_builder_unref(builder) }
        for key in entries.keys.sorted() {
            let entry = g_variant_new_dict_entry(g_variant_new_string(key), g_variant_new_variant(entries[key]!.raw))
            g_variant_builder_add_value(builder, entry)
        }
        return Variant(taking: g_variant_builder_end(builder))
    }
}

/// Strings out of a `GHashTable` of `char*` → `char*` (what
/// `ostree_repo_list_refs_ext` returns), then the table is released.
func takeStringTable(_ table: OpaquePointer?) -> [String: String] {
    guard let table else { return [:] }
    defer { g_hash_table_unref(table) }
    var result: [String: String] = [:]
    var iterator = GHashTableIter()
    g_hash_table_iter_init(&iterator, table)
    var key: gpointer?
    var value: gpointer?
    while g_hash_table_iter_next(&iterator, &key, &value) != 0 {
        guard let key, let value else { continue }
        result[String(cString: key.assumingMemoryBound(to: CChar.self))] =
            String(cString: value.assumingMemoryBound(to: CChar.self))
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
