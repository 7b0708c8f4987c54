/// What a sandbox may reach: Flatpak's `[Context]`, `[Session Bus Policy]`,
/// `[System Bus Policy]` and `[Environment]` groups, as found in a `metadata`
/// file, an override file and `/.flatpak-info`.
///
/// Contexts are layers. The launcher computes runtime metadata < app
/// metadata < system overrides < user overrides with `merging(_:)`, then
/// writes the result `flattened` into `/.flatpak-info`. Until flattened, a
/// context keeps negations (`!network`, `!home`, `org.foo=none`,
/// `!host:reset`) because they are what cancels a lower layer's grant.
///
/// Parsing is stricter than Flatpak's: where Flatpak logs and skips an entry
/// it does not understand, burrow refuses the whole file with a
/// `KeyFileError` naming file, group and key. An entry skipped is a
/// permission nobody reviewed, and `.flatpak-info` that cannot be fully read
/// must mean "refuse", never "host".
public struct PermissionContext: Hashable, Sendable, KeyFileDecodable, KeyFileEncodable {
    /// An `[Environment]` entry: a value, or `unset-environment` removing the
    /// variable (also from lower layers and the host's environment).
    public enum EnvironmentValue: Hashable, Sendable {
        case set(String)
        case unset
    }

    static let contextGroup = "Context"
    static let sessionBusGroup = "Session Bus Policy"
    static let systemBusGroup = "System Bus Policy"
    static let environmentGroup = "Environment"
    static let filesystemsKey = "filesystems"
    static let persistentKey = "persistent"
    static let unsetEnvironmentKey = "unset-environment"

    public var shared: FlagSet<Share> = []
    public var sockets: FlagSet<Socket> = []
    public var devices: FlagSet<Device> = []
    public var features: FlagSet<Feature> = []
    /// Location → mode; `.none` entries are negations kept for layering.
    public var filesystems: [Filesystem: FilesystemMode] = [:]
    /// `!host:reset`: this layer discards every filesystem entry below it.
    public var resetsHostFilesystems = false
    /// Home-relative directories kept per app (`.mozilla` → `~/.var/app/ID/.mozilla`
    /// appears as `~/.mozilla`); validated, so set through `addPersistent(_:)`.
    public private(set) var persistent: Set<String> = []
    public var environment: [String: EnvironmentValue] = [:]
    public var sessionBusPolicy = BusPolicy()
    public var systemBusPolicy = BusPolicy()

    public init() {}

    /// Adds a `persistent=` directory.
    ///
    /// Security: the path is joined to both `~/.var/app/ID` and `~` to make a
    /// bind mount, so it must be relative and free of `..` (Flatpak only
    /// checks its characters); it is stored normalized.
    public mutating func addPersistent(_ path: String) throws(KeyFileError) {
        persistent.insert(try PathSyntax.normalizedRelativePath(path))
    }

    /// Whether the sandbox may call methods on `busName` on the session bus:
    /// it has the unfiltered bus (`sockets=session-bus`), or the session bus
    /// policy gives the name `talk` or `own` (see `BusPolicy.allowsTalk(to:)`).
    ///
    /// Only the context's own rules: the rules the launcher adds at run time
    /// (the app owning `ID.*`, talking to the portals) are not part of it.
    public func allowsTalk(to busName: String) -> Bool {
        sockets.contains(.sessionBus) || sessionBusPolicy.allowsTalk(to: busName)
    }

    /// `other` laid over `self` (Flatpak's `flatpak_context_merge`): every
    /// flag, filesystem, bus rule and variable `other` mentions replaces
    /// this layer's, negations included; `!host:reset` in `other` first
    /// drops all of this layer's filesystems; persistent directories add up.
    public func merging(_ other: PermissionContext) -> PermissionContext {
        var merged = self
        merged.shared = shared.merging(other.shared)
        merged.sockets = sockets.merging(other.sockets)
        merged.devices = devices.merging(other.devices)
        merged.features = features.merging(other.features)
        if other.resetsHostFilesystems {
            merged.filesystems = [:]
        }
        merged.filesystems.merge(other.filesystems) { _, later in later }
        // Flatpak carries the reset marker up, so the merged layer still
        // resets whatever it is later laid over.
        merged.resetsHostFilesystems = resetsHostFilesystems || other.resetsHostFilesystems
        merged.persistent.formUnion(other.persistent)
        merged.environment.merge(other.environment) { _, later in later }
        merged.sessionBusPolicy = sessionBusPolicy.merging(other.sessionBusPolicy)
        merged.systemBusPolicy = systemBusPolicy.merging(other.systemBusPolicy)
        return merged
    }

    /// The final form, as written to `/.flatpak-info`: only grants; revoked
    /// flags, `.none` filesystems, `none` bus rules and the reset marker go.
    /// Unset variables stay: they still unset the host's value.
    public var flattened: PermissionContext {
        var flat = self
        flat.shared = shared.flattened
        flat.sockets = sockets.flattened
        flat.devices = devices.flattened
        flat.features = features.flattened
        flat.filesystems = filesystems.filter { $0.value != .none }
        flat.resetsHostFilesystems = false
        flat.sessionBusPolicy = sessionBusPolicy.flattened
        flat.systemBusPolicy = systemBusPolicy.flattened
        return flat
    }
}

// MARK: - Reading

extension PermissionContext {
    public init(keyFile: KeyFile) throws(KeyFileError) {
        self.init()
        let group = Self.contextGroup
        shared = try Self.flags(in: keyFile)
        sockets = try Self.flags(in: keyFile)
        devices = try Self.flags(in: keyFile)
        features = try Self.flags(in: keyFile)

        for text in try keyFile.stringList(forKey: Self.filesystemsKey, in: group) ?? [] {
            let entry = try keyFile.locating(group: group, key: Self.filesystemsKey) { () throws(KeyFileError) in
                try FilesystemEntry(parsing: text)
            }
            if entry.resetsHost { resetsHostFilesystems = true }
            filesystems[entry.location] = entry.mode
        }

        for path in try keyFile.stringList(forKey: Self.persistentKey, in: group) ?? [] {
            try keyFile.locating(group: group, key: Self.persistentKey) { () throws(KeyFileError) in
                try addPersistent(path)
            }
        }

        sessionBusPolicy = try BusPolicy(keyFile: keyFile, group: Self.sessionBusGroup)
        systemBusPolicy = try BusPolicy(keyFile: keyFile, group: Self.systemBusGroup)

        for name in try keyFile.keys(in: Self.environmentGroup) {
            // `FOO[de]=` is a GKeyFile translation, not a variable named
            // `FOO[de]`; Flatpak drops it or not depending on its locale.
            if name.contains("[") {
                throw keyFile.error(
                    group: Self.environmentGroup, key: name, "translated keys have no meaning in [Environment]")
            }
            environment[name] = .set(try keyFile.requiredString(forKey: name, in: Self.environmentGroup))
        }
        // After [Environment], as in Flatpak: writers put an unset variable
        // in both places (`FOO=` for old readers), and the unset must win.
        for name in try keyFile.stringList(forKey: Self.unsetEnvironmentKey, in: group) ?? [] {
            if name.isEmpty || name.contains("=") {
                throw keyFile.error(
                    group: group, key: Self.unsetEnvironmentKey,
                    "invalid environment variable name \(name.debugDescription)")
            }
            environment[name] = .unset
        }
    }

    private static func flags<Flag: ContextFlag>(in keyFile: KeyFile) throws(KeyFileError) -> FlagSet<Flag> {
        guard let entries = try keyFile.stringList(forKey: Flag.key, in: contextGroup) else { return [] }
        return try keyFile.locating(group: contextGroup, key: Flag.key) { () throws(KeyFileError) in
            try FlagSet<Flag>(entries: entries)
        }
    }
}

// MARK: - Writing

extension PermissionContext {
    /// Writes this layer as is, negations included (the form of `metadata`
    /// and override files).
    public func write(into keyFile: KeyFile) throws(KeyFileError) {
        try write(into: keyFile, flattened: false)
    }

    /// Replaces the context keys and groups in `keyFile` with this context
    /// (`flattened` first if asked), in a stable order so that the same
    /// context always gives the same bytes.
    public func write(into keyFile: KeyFile, flattened: Bool) throws(KeyFileError) {
        let context = flattened ? self.flattened : self
        let group = Self.contextGroup
        for key in [
            Share.key, Socket.key, Device.key, Feature.key,
            Self.filesystemsKey, Self.persistentKey, Self.unsetEnvironmentKey,
        ] {
            keyFile.removeKey(key, in: group)
        }

        try Self.write(context.shared, into: keyFile)
        try Self.write(context.sockets, into: keyFile)
        try Self.write(context.devices, into: keyFile)
        try Self.write(context.features, into: keyFile)

        var filesystemEntries = context.resetsHostFilesystems ? ["!host:reset"] : []
        for (location, mode) in context.filesystems.sorted(by: { $0.key < $1.key }) {
            filesystemEntries.append(FilesystemEntry(location: location, mode: mode, resetsHost: false).text)
        }
        if !filesystemEntries.isEmpty {
            try keyFile.set(filesystemEntries, forKey: Self.filesystemsKey, in: group)
        }
        if !context.persistent.isEmpty {
            try keyFile.set(context.persistent.sorted(), forKey: Self.persistentKey, in: group)
        }

        try context.sessionBusPolicy.write(into: keyFile, group: Self.sessionBusGroup)
        try context.systemBusPolicy.write(into: keyFile, group: Self.systemBusGroup)

        keyFile.removeGroup(Self.environmentGroup)
        var unset: [String] = []
        for (name, value) in context.environment.sorted(by: { $0.key < $1.key }) {
            switch value {
            case .set(let text):
                try keyFile.set(text, forKey: name, in: Self.environmentGroup)
            case .unset:
                // Both forms, as Flatpak writes them: older Flatpak
                // reads `FOO=` as "unset", newer readers use unset-environment.
                try keyFile.set("", forKey: name, in: Self.environmentGroup)
                unset.append(name)
            }
        }
        if !unset.isEmpty {
            try keyFile.set(unset, forKey: Self.unsetEnvironmentKey, in: group)
        }
    }

    private static func write<Flag: ContextFlag>(_ flags: FlagSet<Flag>, into keyFile: KeyFile) throws(KeyFileError) {
        let entries = flags.entries
        if !entries.isEmpty {
            try keyFile.set(entries, forKey: Flag.key, in: contextGroup)
        }
    }
}
