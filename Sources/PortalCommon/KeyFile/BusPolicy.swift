/// A `[Session Bus Policy]` or `[System Bus Policy]` group: bus name (or
/// `prefix.*` wildcard) → `none`/`see`/`talk`/`own`.
///
/// These rules become xdg-dbus-proxy `--see=`/`--talk=`/`--own=` arguments,
/// and `allowsTalk(to:)` answers the same question the proxy does, with the
/// same matching: the effective level for a name is the *highest* of its
/// exact rule and every wildcard rule covering it, where `org.foo.*` covers
/// `org.foo` itself and every name below it (`org.foo.Bar`, `org.foo.Bar.Baz`).
/// A `none` rule therefore never lowers a wildcard within one layer; it only
/// replaces a lower layer's rule for the same key when contexts are merged.
public struct BusPolicy: Hashable, Sendable {
    /// Ordered so that `max` gives the proxy's effective level.
    public enum Level: Int, Hashable, Sendable, Comparable, CaseIterable, CustomStringConvertible {
        case none
        case see
        case talk
        case own

        /// `none`, `see`, `talk` or `own`, as in the keyfile.
        public var description: String {
            switch self {
            case .none: "none"
            case .see: "see"
            case .talk: "talk"
            case .own: "own"
            }
        }

        public init?(_ text: String) {
            guard let level = Self.allCases.first(where: { $0.description == text }) else { return nil }
            self = level
        }

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// Rule key (a well-known name, or `prefix.*`) → level. Keys are
    /// validated on the way in, so every key here is safe to hand to the proxy.
    public private(set) var rules: [String: Level] = [:]

    public init() {}

    /// Validates every key; the error names the first bad one.
    public init(_ rules: [String: Level]) throws(KeyFileError) {
        for (pattern, level) in rules.sorted(by: { $0.key < $1.key }) {
            try setLevel(level, for: pattern)
        }
    }

    public var isEmpty: Bool { rules.isEmpty }

    /// Sets the rule for `pattern` (`org.example.Service` or `org.example.*`).
    ///
    /// Security: the key becomes a proxy argument and is matched against
    /// names on the bus, so it must be a well-known name; unique names
    /// (`:1.42`) are refused because they are reassigned as peers come and
    /// go. A wildcard must cover at least a two-element name: `org.*` would
    /// be `org` plus `.*`, and `org` is not a bus name (Flatpak refuses it too).
    public mutating func setLevel(_ level: Level, for pattern: String) throws(KeyFileError) {
        if let reason = Self.patternInvalidityReason(pattern) {
            throw KeyFileError(key: pattern, message: "invalid D-Bus name \(pattern.debugDescription): \(reason)")
        }
        rules[pattern] = level
    }

    /// Removes the rule for exactly `pattern`; `nil` if there was none.
    @discardableResult
    public mutating func removeRule(for pattern: String) -> Level? {
        rules.removeValue(forKey: pattern)
    }

    /// The effective level for a bus name: the highest of its exact rule and
    /// all wildcard rules covering it; `nil` when no rule mentions it (the
    /// proxy then hides the name).
    public func level(for busName: String) -> Level? {
        // A unique name, a wildcard or garbage is never covered by a rule:
        // answering `nil` here is the safe default for any caller.
        guard DBusNameSyntax.wellKnownNameInvalidityReason(busName) == nil else { return nil }
        var best = rules[busName]
        var prefix = Substring(busName)
        while true {
            if let level = rules[String(prefix) + ".*"] {
                best = max(best ?? level, level)
            }
            guard let dot = prefix.lastIndex(of: ".") else { break }
            prefix = prefix[..<dot]
        }
        return best
    }

    /// Whether a sandboxed peer may call methods on `busName`: its effective
    /// level is `talk` or `own` (owning a name implies talking to it).
    public func allowsTalk(to busName: String) -> Bool {
        guard let level = level(for: busName) else { return false }
        return level >= .talk
    }

    /// `other` laid over `self`: a rule in `other` replaces the rule for the
    /// same key, including with `none`; other keys are kept.
    public func merging(_ other: BusPolicy) -> BusPolicy {
        var merged = self
        merged.rules.merge(other.rules) { _, later in later }
        return merged
    }

    /// Without `none` rules, which only matter while layering.
    public var flattened: BusPolicy {
        var flat = self
        flat.rules = rules.filter { $0.value != .none }
        return flat
    }

    /// Why `pattern` cannot be a rule key, or `nil`.
    static func patternInvalidityReason(_ pattern: String) -> String? {
        let name = pattern.hasSuffix(".*") ? String(pattern.dropLast(2)) : pattern
        return DBusNameSyntax.wellKnownNameInvalidityReason(name)
    }
}

extension BusPolicy {
    /// Reads one policy group; a missing group is an empty policy.
    ///
    /// An unknown level is refused, where Flatpak ignores the line: a policy
    /// file burrow cannot fully understand is not one it should half-apply.
    init(keyFile: KeyFile, group: String) throws(KeyFileError) {
        self.init()
        for key in try keyFile.keys(in: group) {
            let text = try keyFile.requiredString(forKey: key, in: group)
            guard let level = Level(text) else {
                throw keyFile.error(
                    group: group, key: key,
                    "unknown bus policy \(text.debugDescription), valid policies are: none, see, talk, own")
            }
            try keyFile.locating(group: group, key: key) { () throws(KeyFileError) in
                try setLevel(level, for: key)
            }
        }
    }

    /// Replaces `group` with these rules (sorted, so output is stable); an
    /// empty policy leaves no group behind.
    func write(into keyFile: KeyFile, group: String) throws(KeyFileError) {
        keyFile.removeGroup(group)
        for (pattern, level) in rules.sorted(by: { $0.key < $1.key }) {
            try keyFile.set(level.description, forKey: pattern, in: group)
        }
    }
}
