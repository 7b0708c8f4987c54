internal import CGLib

/// A GLib keyfile (`[Group]` / `key=value`), the format of Flatpak's
/// `metadata`, `/.flatpak-info`, overrides and xdg-desktop-portal's `.portal`
/// files.
///
/// It wraps `GKeyFile` so that burrow reads and writes exactly what Flatpak
/// does: the same escapes (`\s`, `\n`, `\;`), the same `;`-separated lists
/// with a trailing separator, the same booleans. Missing groups or keys read
/// as `nil`; values that are present but unreadable throw a `KeyFileError`
/// naming the file, group and key.
///
/// **Not `Sendable`.** `GKeyFile` has no locking and a `KeyFile` is meant to
/// live for one parse or one write on one thread. What crosses threads are
/// the immutable-by-value models built from it (`PermissionContext`,
/// `AppMetadata`, `FlatpakInfo`, `PortalFile`), which are `Sendable`; a lock
/// here would only invite sharing a mutable parser.
public final class KeyFile {
    /// Owned reference; released exactly once in `deinit`.
    private let handle: OpaquePointer

    /// Without `KEEP_TRANSLATIONS`, GLib drops `key[xx]=` lines whose locale
    /// is not the process's at load time, so the same bytes would list
    /// different keys under `LANG=de_DE` and `LANG=C`. Keeping them makes
    /// parsing locale-independent: `keys(in:)` returns every key as written,
    /// and the models refuse translated keys where a key is a name.
    /// (`string(forKey:in:)` never reads translations either way.)
    private static let loadFlags = G_KEY_FILE_KEEP_TRANSLATIONS
    /// Path or caller-chosen name used in every error this file produces.
    public let fileName: String

    /// An empty keyfile, to be filled with `set` and then `serialized()`.
    public init(fileName: String = "<keyfile>") {
        handle = g_key_file_new()
        self.fileName = fileName
    }

    deinit {
        g_key_file_unref(handle)
    }

    /// Parses keyfile text held in memory (e.g. read from an fd).
    public convenience init(parsing text: String, fileName: String = "<data>") throws(KeyFileError) {
        try self.init(parsing: Array(text.utf8), fileName: fileName)
    }

    /// Parses keyfile bytes held in memory (e.g. read from an fd).
    public convenience init(parsing bytes: [UInt8], fileName: String = "<data>") throws(KeyFileError) {
        self.init(fileName: fileName)
        // GKeyFile's line parser works on C strings: a NUL inside a line would
        // silently cut the value short (`name=org.a.b\0…` reads as `org.a.b`).
        // Refuse such data instead of reading something other than was sent.
        if let offset = bytes.firstIndex(of: 0) {
            throw KeyFileError(fileName: fileName, message: "contains a NUL byte at offset \(offset)")
        }
        let handle = self.handle
        _ = try perform(group: nil, key: nil, missingIsNil: false) { error in
            bytes.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { chars in
                    g_key_file_load_from_data(handle, chars.baseAddress, gsize(chars.count), Self.loadFlags, error)
                }
            }
        }
    }

    /// Loads and parses the file at `path`; errors name the path.
    public convenience init(contentsOfFile path: String) throws(KeyFileError) {
        self.init(fileName: path)
        let handle = self.handle
        _ = try perform(group: nil, key: nil, missingIsNil: false) { error in
            g_key_file_load_from_file(handle, path, Self.loadFlags, error)
        }
    }

    // MARK: Structure

    /// Group names in file order.
    public var groups: [String] {
        get throws(KeyFileError) {
            var length: gsize = 0
            return try strings(consuming: g_key_file_get_groups(handle, &length), group: nil, key: nil)
        }
    }

    /// The first group, or `nil` for an empty keyfile.
    public var startGroup: String? {
        get throws(KeyFileError) {
            try string(consuming: g_key_file_get_start_group(handle), group: nil, key: nil)
        }
    }

    public func hasGroup(_ group: String) -> Bool {
        g_key_file_has_group(handle, group) != 0
    }

    public func hasKey(_ key: String, in group: String) -> Bool {
        // NULL error: a missing group is simply "no such key" here.
        hasGroup(group) && g_key_file_has_key(handle, group, key, nil) != 0
    }

    /// Keys of `group` in file order; empty when the group does not exist.
    public func keys(in group: String) throws(KeyFileError) -> [String] {
        let handle = self.handle
        var length: gsize = 0
        let list = try perform(group: group, key: nil, missingIsNil: true) { error in
            g_key_file_get_keys(handle, group, &length, error)
        }
        guard let list else { return [] }
        return try strings(consuming: list, group: group, key: nil)
    }

    // MARK: Reading values

    /// The unescaped string value, or `nil` when the group or key is absent.
    public func string(forKey key: String, in group: String) throws(KeyFileError) -> String? {
        let handle = self.handle
        let value = try perform(group: group, key: key, missingIsNil: true) { error in
            g_key_file_get_string(handle, group, key, error)
        }
        guard let value else { return nil }
        return try string(consuming: value, group: group, key: key)
    }

    /// Like `string(forKey:in:)`, but a missing key is an error.
    public func requiredString(forKey key: String, in group: String) throws(KeyFileError) -> String {
        guard let value = try string(forKey: key, in: group) else {
            throw error(group: group, key: key, "required key is missing")
        }
        return value
    }

    /// A `;`-separated list with GKeyFile semantics (`\;` escapes a separator,
    /// a trailing `;` is optional), or `nil` when absent.
    public func stringList(forKey key: String, in group: String) throws(KeyFileError) -> [String]? {
        let handle = self.handle
        var length: gsize = 0
        let list = try perform(group: group, key: key, missingIsNil: true) { error in
            g_key_file_get_string_list(handle, group, key, &length, error)
        }
        guard let list else { return nil }
        return try strings(consuming: list, group: group, key: key)
    }

    /// `true`/`false` (GLib also accepts `1`/`0`), or `nil` when absent.
    public func bool(forKey key: String, in group: String) throws(KeyFileError) -> Bool? {
        let handle = self.handle
        let value = try perform(group: group, key: key, missingIsNil: true) { error in
            g_key_file_get_boolean(handle, group, key, error)
        }
        return value.map { $0 != 0 }
    }

    /// A decimal integer, or `nil` when absent.
    public func integer(forKey key: String, in group: String) throws(KeyFileError) -> Int? {
        let handle = self.handle
        let value = try perform(group: group, key: key, missingIsNil: true) { error in
            g_key_file_get_int64(handle, group, key, error)
        }
        return value.map { Int($0) }
    }

    // MARK: Writing values

    /// Sets a string value; GLib escapes newlines, tabs and leading spaces.
    public func set(_ value: String, forKey key: String, in group: String) throws(KeyFileError) {
        try validateForWriting(group: group, key: key, values: [value])
        g_key_file_set_string(handle, group, key, value)
    }

    /// Sets a `;`-separated list (written with a trailing `;`, as Flatpak does).
    public func set(_ values: [String], forKey key: String, in group: String) throws(KeyFileError) {
        try validateForWriting(group: group, key: key, values: values)
        let copies = values.map { g_strdup($0) }
        defer { copies.forEach { g_free($0) } }
        let pointers = copies.map { UnsafePointer($0) }
        pointers.withUnsafeBufferPointer { buffer in
            g_key_file_set_string_list(handle, group, key, buffer.baseAddress, gsize(buffer.count))
        }
    }

    public func set(_ value: Bool, forKey key: String, in group: String) throws(KeyFileError) {
        try validateForWriting(group: group, key: key, values: [])
        g_key_file_set_boolean(handle, group, key, value ? 1 : 0)
    }

    public func set(_ value: Int, forKey key: String, in group: String) throws(KeyFileError) {
        try validateForWriting(group: group, key: key, values: [])
        g_key_file_set_int64(handle, group, key, gint64(value))
    }

    /// Removes a key; `false` if there was nothing to remove.
    @discardableResult
    public func removeKey(_ key: String, in group: String) -> Bool {
        // NULL error: "not found" is the only failure and is the answer itself.
        g_key_file_remove_key(handle, group, key, nil) != 0
    }

    /// Removes a group and its keys; `false` if there was nothing to remove.
    @discardableResult
    public func removeGroup(_ group: String) -> Bool {
        g_key_file_remove_group(handle, group, nil) != 0
    }

    /// The keyfile as text, groups and keys in insertion order.
    public func serialized() -> String {
        var length: gsize = 0
        // g_key_file_to_data cannot fail (its GError is documented unused).
        guard let data = g_key_file_to_data(handle, &length, nil) else { return "" }
        defer { g_free(data) }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// An error located in this file; used by the typed models' validation.
    func error(group: String?, key: String?, _ message: String) -> KeyFileError {
        KeyFileError(fileName: fileName, group: group, key: key, message: message)
    }
}

@available(*, unavailable, message: "GKeyFile is not thread-safe; share the parsed models instead")
extension KeyFile: Sendable {}

// MARK: - GLib plumbing

extension KeyFile {
    /// Runs one GLib call with a fresh `GError*` slot and turns any error into
    /// a `KeyFileError`, freeing the `GError` on every path. With
    /// `missingIsNil`, "group/key not found" is not an error but `nil`.
    private func perform<Result>(
        group: String?, key: String?, missingIsNil: Bool,
        _ body: (UnsafeMutablePointer<UnsafeMutablePointer<GError>?>) -> Result
    ) throws(KeyFileError) -> Result? {
        var gError: UnsafeMutablePointer<GError>? = nil
        let result = withUnsafeMutablePointer(to: &gError) { body($0) }
        guard let gError else { return result }
        if missingIsNil && Self.isNotFound(gError) {
            g_error_free(gError)
            return nil
        }
        throw KeyFileError(consuming: gError, fileName: fileName, group: group, key: key)
    }

    private static func isNotFound(_ error: UnsafeMutablePointer<GError>) -> Bool {
        guard error.pointee.domain == g_key_file_error_quark() else { return false }
        let code = error.pointee.code
        return code == Int32(G_KEY_FILE_ERROR_KEY_NOT_FOUND.rawValue)
            || code == Int32(G_KEY_FILE_ERROR_GROUP_NOT_FOUND.rawValue)
            || code == Int32(G_KEY_FILE_ERROR_NOT_FOUND.rawValue)
    }

    /// Takes ownership of a `g_malloc`ed C string.
    private func string(
        consuming pointer: UnsafeMutablePointer<CChar>?, group: String?, key: String?
    ) throws(KeyFileError) -> String? {
        guard let pointer else { return nil }
        defer { g_free(pointer) }
        guard let value = String(validatingCString: pointer) else {
            throw error(group: group, key: key, "value is not valid UTF-8")
        }
        return value
    }

    /// Takes ownership of a NULL-terminated `g_malloc`ed string vector.
    private func strings(
        consuming vector: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, group: String?, key: String?
    ) throws(KeyFileError) -> [String] {
        guard let vector else { return [] }
        defer { g_strfreev(vector) }
        var result: [String] = []
        var index = 0
        while let element = vector[index] {
            guard let value = String(validatingCString: element) else {
                throw error(group: group, key: key, "value is not valid UTF-8")
            }
            result.append(value)
            index += 1
        }
        return result
    }

    /// GLib refuses (with a critical warning, writing nothing) group and key
    /// names it could not read back, and C strings end at NUL. Check here so
    /// a bad name is an error, never a silently missing or truncated entry.
    private func validateForWriting(group: String, key: String, values: [String]) throws(KeyFileError) {
        func isControl(_ scalar: Unicode.Scalar) -> Bool { scalar.value < 0x20 || scalar.value == 0x7F }
        if group.isEmpty || group.unicodeScalars.contains(where: { $0 == "[" || $0 == "]" || isControl($0) }) {
            throw error(group: group, key: key, "invalid group name")
        }
        if key.isEmpty || key.first == " " || key.last == " "
            || key.unicodeScalars.contains(where: { $0 == "=" || $0 == "[" || $0 == "]" || isControl($0) }) {
            throw error(group: group, key: key, "invalid key name")
        }
        if values.contains(where: { $0.utf8.contains(0) }) {
            throw error(group: group, key: key, "value contains a NUL character")
        }
    }
}

extension KeyFileError {
    /// The one GError → Swift conversion for GLib keyfiles. Frees the GError,
    /// so no caller can leak it or read it after it is gone.
    fileprivate init(
        consuming gError: UnsafeMutablePointer<GError>, fileName: String, group: String?, key: String?
    ) {
        defer { g_error_free(gError) }
        let message = gError.pointee.message.map { String(cString: $0) } ?? "unknown GLib error"
        self.init(fileName: fileName, group: group, key: key, message: message)
    }
}
