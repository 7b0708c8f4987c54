internal import CGLib
internal import COSTree

/// One value in a commit's metadata dictionary (`a{sv}`): the types OSTree
/// and Flatpak put there.
public enum MetadataValue: Sendable, Hashable {
    case string(String)
    case strings([String])
    case bool(Bool)
    case int32(Int32)
    case uint32(UInt32)
    case uint64(UInt64)
    case bytes([UInt8])
    /// A type burrow has no model for, in GLib's text form. Read-only:
    /// writing one is refused.
    case other(type: String, text: String)

    init(_ variant: Variant) {
        switch variant.typeString {
        case "s": self = .string(variant.string ?? "")
        case "as": self = .strings((0..<variant.childCount).map { variant.child($0).string ?? "" })
        case "b": self = .bool(variant.boolValue!)
        case "i": self = .int32(variant.int32Value!)
        case "u": self = .uint32(variant.uint32Value!)
        case "t": self = .uint64(variant.uint64Value!)
        case "ay": self = .bytes(variant.bytes ?? [])
        default: self = .other(type: variant.typeString, text: variant.text)
        }
    }

    func makeVariant() throws(OSTreeError) -> Variant {
        switch self {
        case .string(let value): return .string(value)
        case .strings(let values): return .strings(values)
        case .bool(let value): return .bool(value)
        case .int32(let value): return .int32(value)
        case .uint32(let value): return .uint32(value)
        case .uint64(let value): return .uint64(value)
        case .bytes(let value):
            return value.withUnsafeBytes { buffer in
                let type = g_variant_type_new("y")
                defer { g_variant_type_free(type) }
                return Variant(taking: g_variant_new_fixed_array(type, buffer.baseAddress, gsize(buffer.count), 1))
            }
        case .other(let type, _):
            throw OSTreeError(
                kind: .failed, operation: "writing commit metadata",
                message: "values of type \(type) cannot be written")
        }
    }
}

/// A commit's metadata dictionary, with accessors for the keys Flatpak
/// defines (`flatpak build-export` writes them; `flatpak install` reads them).
public struct CommitMetadata: Sendable, Hashable {
    public var values: [String: MetadataValue]

    public init(_ values: [String: MetadataValue] = [:]) {
        self.values = values
    }

    public subscript(key: String) -> MetadataValue? {
        get { values[key] }
        set { values[key] = newValue }
    }

    public func string(_ key: String) -> String? {
        if case .string(let value)? = values[key] { return value }
        return nil
    }

    /// `xa.metadata`: the text of the app's or runtime's `metadata` file.
    public var flatpakMetadata: String? { string(Self.flatpakMetadataKey) }
    /// `xa.ref`: the ref the commit was exported for (deprecated by Flatpak
    /// in favour of `ostree.ref-binding`, still written and checked).
    public var flatpakRef: String? { string(Self.flatpakRefKey) }
    /// `xa.installed-size`, stored big-endian by Flatpak.
    public var installedSize: UInt64? { bigEndian(Self.installedSizeKey) }
    /// `xa.download-size`, stored big-endian by Flatpak.
    public var downloadSize: UInt64? { bigEndian(Self.downloadSizeKey) }
    /// `ostree.ref-binding`: the refs this commit may be pulled as.
    public var refBinding: [String]? {
        if case .strings(let value)? = values[Self.refBindingKey] { return value }
        return nil
    }

    private func bigEndian(_ key: String) -> UInt64? {
        if case .uint64(let raw)? = values[key] { return UInt64(bigEndian: raw) }
        return nil
    }

    public static let flatpakMetadataKey = "xa.metadata"
    public static let flatpakRefKey = "xa.ref"
    public static let installedSizeKey = "xa.installed-size"
    public static let downloadSizeKey = "xa.download-size"
    public static let refBindingKey = "ostree.ref-binding"
    public static let collectionBindingKey = "ostree.collection-binding"

    init(_ dictionary: Variant) {
        var values: [String: MetadataValue] = [:]
        for (key, value) in dictionary.dictionaryEntries {
            values[key] = MetadataValue(value)
        }
        self.values = values
    }

    func makeVariant() throws(OSTreeError) -> Variant {
        var entries: [String: Variant] = [:]
        for (key, value) in values {
            entries[key] = try value.makeVariant()
        }
        return Variant.dictionary(entries)
    }
}

/// A commit object as read back from a repository.
public struct OSTreeCommit: Sendable, Hashable {
    /// The commit's SHA-256 checksum (64 hex digits).
    public var checksum: String
    public var parent: String?
    public var subject: String
    public var body: String
    /// Seconds since the epoch (UTC).
    public var timestamp: UInt64
    public var metadata: CommitMetadata

    /// Reads the fields of a commit variant (`(a{sv}aya(say)sstayay)`).
    init(checksum: String, variant: Variant) {
        self.checksum = checksum
        metadata = CommitMetadata(variant.child(0))
        parent = variant.withRaw { ostree_commit_get_parent($0) }.map { pointer in
            defer { g_free(pointer) }
            return String(cString: pointer)
        }
        subject = variant.child(3).string ?? ""
        body = variant.child(4).string ?? ""
        timestamp = UInt64(variant.withRaw { ostree_commit_get_timestamp($0) })
    }
}
