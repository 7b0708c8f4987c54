/// A value read from a `KeyFile`: `metadata`, `/.flatpak-info`, overrides,
/// `.portal` files. The models are `Sendable` values, so the non-thread-safe
/// `KeyFile` they come from never has to leave the thread that parsed it.
public protocol KeyFileDecodable: Sendable {
    /// Reads and validates the groups this type owns; other groups and
    /// unknown keys are ignored, as Flatpak ignores them (newer Flatpak
    /// versions add keys, and one file can hold several models).
    init(keyFile: KeyFile) throws(KeyFileError)
}

/// A value burrow writes into a `KeyFile` (and so must read back unchanged).
public protocol KeyFileEncodable: Sendable {
    /// Writes this value's groups, replacing whatever `keyFile` held for them
    /// and leaving other groups alone.
    func write(into keyFile: KeyFile) throws(KeyFileError)
}

extension KeyFileDecodable {
    /// Parses keyfile bytes (e.g. read from an fd); `fileName` names the
    /// source in every error.
    public init(parsing bytes: [UInt8], fileName: String) throws(KeyFileError) {
        try self.init(keyFile: KeyFile(parsing: bytes, fileName: fileName))
    }
}

extension KeyFileEncodable {
    /// The value alone, as keyfile text.
    public func serialized(fileName: String = "<keyfile>") throws(KeyFileError) -> String {
        let keyFile = KeyFile(fileName: fileName)
        try write(into: keyFile)
        return keyFile.serialized()
    }
}

// MARK: - Validated reads shared by the models

extension KeyFile {
    func appID(forKey key: String, in group: String) throws(KeyFileError) -> AppID? {
        guard let text = try string(forKey: key, in: group) else { return nil }
        do {
            return try AppID(text)
        } catch {
            throw self.error(group: group, key: key, error.description)
        }
    }

    func requiredAppID(forKey key: String, in group: String) throws(KeyFileError) -> AppID {
        guard let id = try appID(forKey: key, in: group) else {
            throw error(group: group, key: key, "required key is missing")
        }
        return id
    }

    /// A full ref, `KIND/ID/ARCH/BRANCH`; with `kind`, any other kind is an error.
    func ref(forKey key: String, in group: String, kind: FlatpakRef.Kind? = nil) throws(KeyFileError) -> FlatpakRef? {
        guard let text = try string(forKey: key, in: group) else { return nil }
        let ref: FlatpakRef
        do {
            ref = try FlatpakRef(parsing: text)
        } catch {
            throw self.error(group: group, key: key, error.description)
        }
        if let kind, ref.kind != kind {
            throw self.error(group: group, key: key, "expected a \(kind.rawValue) ref, got \(text.debugDescription)")
        }
        return ref
    }

    /// A partial ref, `ID/ARCH/BRANCH`, whose kind the key implies.
    func partialRef(forKey key: String, in group: String, kind: FlatpakRef.Kind) throws(KeyFileError) -> FlatpakRef? {
        guard let text = try string(forKey: key, in: group) else { return nil }
        do {
            return try FlatpakRef(parsingPartial: text, kind: kind)
        } catch {
            throw self.error(group: group, key: key, error.description)
        }
    }

    /// Which identity group a `metadata` or `/.flatpak-info` file has:
    /// `[Application]` or `[Runtime]` (a file with neither reads as an app,
    /// so the missing `name` is reported in `[Application]`).
    ///
    /// Security: Flatpak writes exactly one. With both, xdg-desktop-portal
    /// would pick `[Application]`; which identity the writer meant is a
    /// guess, and identity is not guessed.
    func identityKind() throws(KeyFileError) -> FlatpakRef.Kind {
        let hasApplication = hasGroup(FlatpakRef.Kind.app.metadataGroup)
        let hasRuntime = hasGroup(FlatpakRef.Kind.runtime.metadataGroup)
        if hasApplication && hasRuntime {
            throw error(group: nil, key: nil, "has both [Application] and [Runtime] groups")
        }
        return hasRuntime ? .runtime : .app
    }

    /// A boolean that Flatpak writes only when true: absent means `false`.
    func flag(forKey key: String, in group: String) throws(KeyFileError) -> Bool {
        try bool(forKey: key, in: group) ?? false
    }

    /// Runs a value check that throws an unlocated `KeyFileError` and places
    /// the error in this file's `group`/`key`.
    func locating<T>(group: String, key: String?, _ body: () throws(KeyFileError) -> T) throws(KeyFileError) -> T {
        do {
            return try body()
        } catch {
            throw error.located(fileName: fileName, group: group, key: key)
        }
    }
}

extension FlatpakRef.Kind {
    /// The group naming an app (`Application`) or runtime (`Runtime`) in
    /// `metadata` and `/.flatpak-info`.
    var metadataGroup: String { self == .app ? "Application" : "Runtime" }
}

// MARK: - Path text checks shared by the models

/// Checks for path-like values (filesystem grants, persistent directories,
/// extension directories) that end up as bind-mount sources or targets.
enum PathSyntax {
    /// Why `text` holds a character Flatpak refuses in paths, or `nil`.
    ///
    /// Security: permissions are shown to people (`burrow info`, consent
    /// prompts). A control character, an escape sequence or a bidi override
    /// (Unicode "format" characters such as U+202E) could make a grant read
    /// as something else (cf. CVE-2023-28101), so only graphic characters and
    /// the plain space are accepted, as `flatpak_validate_path_characters`.
    static func unsafeCharacterReason(_ text: String) -> String? {
        for scalar in text.unicodeScalars where scalar != " " {
            switch scalar.properties.generalCategory {
            case .control, .format, .unassigned, .surrogate,
                 .spaceSeparator, .lineSeparator, .paragraphSeparator:
                let code = String(scalar.value, radix: 16, uppercase: true)
                return "contains the non-graphical character U+\(String(repeating: "0", count: max(0, 4 - code.count)))\(code)"
            default:
                continue
            }
        }
        return nil
    }

    /// The elements of a relative path with empty and `.` elements dropped
    /// (`a//./b/` → `["a", "b"]`).
    ///
    /// Security: a `..` element anywhere is refused rather than resolved. The
    /// result is joined onto a host directory (home, an XDG directory,
    /// `~/.var/app/ID`, `/app`) to make a bind mount, and `..` would climb out
    /// of it; Flatpak itself only looks for `..` after the first `/`, we look
    /// everywhere.
    static func relativeElements(_ path: Substring) throws(KeyFileError) -> [Substring] {
        let elements = path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        if elements.contains("..") {
            throw KeyFileError(message: "path \(String(path).debugDescription) contains a \"..\" element")
        }
        return elements
    }

    /// Validates a path that must stay relative to the directory it is
    /// joined to; returns it normalized (`a//./b/` → `a/b`). With
    /// `allowsSelf`, a path naming the directory itself (`.`) is kept as `.`.
    static func normalizedRelativePath(_ text: String, allowsSelf: Bool = false) throws(KeyFileError) -> String {
        if let reason = unsafeCharacterReason(text) {
            throw KeyFileError(message: "path \(text.debugDescription) \(reason)")
        }
        if text.hasPrefix("/") {
            throw KeyFileError(message: "path \(text.debugDescription) must be relative")
        }
        let elements = try relativeElements(Substring(text))
        if elements.isEmpty {
            if allowsSelf && !text.isEmpty { return "." }
            throw KeyFileError(message: "path \(text.debugDescription) is empty")
        }
        return elements.joined(separator: "/")
    }
}
