/// A Flatpak ref: `app/ID/ARCH/BRANCH` or `runtime/ID/ARCH/BRANCH`.
///
/// `metadata` files name their runtime and SDK as *partial* refs
/// (`org.gnome.Platform/x86_64/46`, kind implied); `/.flatpak-info` and
/// `[ExtensionOf] ref` use *full* refs. Every part is validated like Flatpak
/// does (`flatpak_is_valid_name`/`_arch`/`_branch`) because refs become
/// installation paths (`runtime/ID/ARCH/BRANCH/active`): a `..` or `/` in any
/// part would escape the installation directory.
public struct FlatpakRef: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        case app
        case runtime
    }

    public let kind: Kind
    public let id: AppID
    public let arch: String
    public let branch: String

    public init(kind: Kind, id: AppID, arch: String, branch: String) throws(ValidationError) {
        if let reason = Self.archInvalidityReason(arch) {
            throw ValidationError(value: arch, reason: reason)
        }
        if let reason = Self.branchInvalidityReason(branch) {
            throw ValidationError(value: branch, reason: reason)
        }
        self.kind = kind
        self.id = id
        self.arch = arch
        self.branch = branch
    }

    /// Parses a full ref, `KIND/ID/ARCH/BRANCH`.
    public init(parsing text: String) throws(ValidationError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4 else {
            throw ValidationError(value: text, reason: "a ref must have the form KIND/ID/ARCH/BRANCH")
        }
        guard let kind = Kind(rawValue: parts[0]) else {
            throw ValidationError(value: text, reason: "ref kind must be \"app\" or \"runtime\"")
        }
        try self.init(kind: kind, idText: parts[1], arch: parts[2], branch: parts[3], whole: text)
    }

    /// Parses a partial ref, `ID/ARCH/BRANCH`, of a known kind (the form
    /// `metadata` uses for `runtime=` and `sdk=`).
    public init(parsingPartial text: String, kind: Kind) throws(ValidationError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else {
            throw ValidationError(value: text, reason: "a partial ref must have the form ID/ARCH/BRANCH")
        }
        try self.init(kind: kind, idText: parts[0], arch: parts[1], branch: parts[2], whole: text)
    }

    private init(kind: Kind, idText: String, arch: String, branch: String, whole: String) throws(ValidationError) {
        let id: AppID
        do {
            id = try AppID(idText)
        } catch {
            throw ValidationError(value: whole, reason: error.reason)
        }
        do {
            try self.init(kind: kind, id: id, arch: arch, branch: branch)
        } catch {
            throw ValidationError(value: whole, reason: error.reason)
        }
    }

    /// `KIND/ID/ARCH/BRANCH`.
    public var description: String { "\(kind.rawValue)/\(partial)" }

    /// `ID/ARCH/BRANCH`, the form used inside `metadata`.
    public var partial: String { "\(id.rawValue)/\(arch)/\(branch)" }

    /// Why `arch` is not valid (`[A-Za-z0-9_]+`), or `nil`.
    public static func archInvalidityReason(_ arch: String) -> String? {
        if arch.isEmpty { return "Arch can't be empty" }
        for byte in arch.utf8 where !(isASCIIAlphanumeric(byte) || byte == UInt8(ascii: "_")) {
            return "Arch can't contain \(describe(byte))"
        }
        return nil
    }

    /// Why `branch` is not valid (`[A-Za-z0-9_-][A-Za-z0-9_.-]*`), or `nil`.
    /// A branch may not start with `.`, which rules out `.` and `..`.
    public static func branchInvalidityReason(_ branch: String) -> String? {
        guard let first = branch.utf8.first else { return "Branch can't be empty" }
        func isBranchByte(_ byte: UInt8) -> Bool {
            isASCIIAlphanumeric(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
        if !isBranchByte(first) { return "Branch can't start with \(describe(first))" }
        for byte in branch.utf8.dropFirst() where !(isBranchByte(byte) || byte == UInt8(ascii: ".")) {
            return "Branch can't contain \(describe(byte))"
        }
        return nil
    }

    private static func isASCIIAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    private static func describe(_ byte: UInt8) -> String {
        byte >= 0x21 && byte < 0x7F
            ? "\"\(Character(Unicode.Scalar(byte)))\"" : "byte 0x" + String(byte, radix: 16, uppercase: true)
    }

    /// A ref, or one of its parts, that Flatpak would reject.
    public struct ValidationError: Error, Sendable, Hashable, CustomStringConvertible, PortalErrorConvertible {
        public let value: String
        public let reason: String

        public var description: String { "invalid ref \(value.debugDescription): \(reason)" }
        public var portalError: PortalError { .invalidArgument(description) }
    }
}
