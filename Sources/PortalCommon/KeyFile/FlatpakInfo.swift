/// `/.flatpak-info`: who a sandbox is and what it was granted.
///
/// The launcher writes one per sandbox and binds it read-only at
/// `/.flatpak-info`; the portals read it through `/proc/PID/root` to learn a
/// caller's app ID and permissions. It is the identity a portal trusts, so
/// parsing is strict: a file that is not exactly what a launcher writes
/// fails with a `KeyFileError`, and a caller that cannot be parsed is
/// refused, never treated as the host.
///
/// Layout (as Flatpak 1.14 writes it): `[Application]` (or `[Runtime]` for
/// a sandbox running a bare runtime) with `name` and `runtime`; `[Instance]`
/// with paths, commits and whether the buses are proxied; and the granted
/// context, flattened.
public struct FlatpakInfo: Hashable, Sendable, KeyFileDecodable, KeyFileEncodable {
    /// The `[Instance]` group. All optional: Flatpak leaves out what does
    /// not apply (no `app-path` for a runtime, no commit for a build dir).
    public struct Instance: Hashable, Sendable {
        /// Names `$XDG_RUNTIME_DIR/.flatpak/INSTANCE/`; a single safe path element.
        public var instanceID: String?
        /// The app's data directory on the host, `~/.var/app/ID`.
        public var instancePath: String?
        public var appPath: String?
        public var appCommit: String?
        public var runtimePath: String?
        public var runtimeCommit: String?
        public var branch: String?
        public var arch: String?
        public var flatpakVersion: String?
        /// The session bus reaches the sandbox through xdg-dbus-proxy
        /// (written only when true, as Flatpak does).
        public var sessionBusProxy: Bool
        public var systemBusProxy: Bool

        public init(
            instanceID: String? = nil, instancePath: String? = nil,
            appPath: String? = nil, appCommit: String? = nil,
            runtimePath: String? = nil, runtimeCommit: String? = nil,
            branch: String? = nil, arch: String? = nil, flatpakVersion: String? = nil,
            sessionBusProxy: Bool = false, systemBusProxy: Bool = false
        ) {
            self.instanceID = instanceID
            self.instancePath = instancePath
            self.appPath = appPath
            self.appCommit = appCommit
            self.runtimePath = runtimePath
            self.runtimeCommit = runtimeCommit
            self.branch = branch
            self.arch = arch
            self.flatpakVersion = flatpakVersion
            self.sessionBusProxy = sessionBusProxy
            self.systemBusProxy = systemBusProxy
        }
    }

    static let instanceGroup = "Instance"

    /// `.app` for `[Application]`, `.runtime` for `[Runtime]`.
    public let kind: FlatpakRef.Kind
    /// The app (or runtime) ID: the identity portals key permissions on.
    public let appID: AppID
    /// The runtime the sandbox runs on, a full `runtime/…` ref.
    public let runtime: FlatpakRef?
    public let instance: Instance
    /// The permissions the sandbox was started with, always flattened.
    public let context: PermissionContext

    /// Validates `instance` (the same checks as parsing) and flattens `context`.
    public init(
        kind: FlatpakRef.Kind = .app, appID: AppID, runtime: FlatpakRef? = nil,
        instance: Instance = Instance(), context: PermissionContext = PermissionContext()
    ) throws(KeyFileError) {
        if let runtime, runtime.kind != .runtime {
            throw KeyFileError(key: "runtime", message: "expected a runtime ref, got \(runtime.description.debugDescription)")
        }
        try Self.validate(instance)
        self.kind = kind
        self.appID = appID
        self.runtime = runtime
        self.instance = instance
        self.context = context.flattened
    }

}

// MARK: - Reading and writing

extension FlatpakInfo {
    public init(keyFile: KeyFile) throws(KeyFileError) {
        let kind = try keyFile.identityKind()
        let group = kind.metadataGroup
        let appID = try keyFile.requiredAppID(forKey: "name", in: group)
        let runtime = try keyFile.ref(forKey: "runtime", in: group, kind: .runtime)

        let instanceGroup = Self.instanceGroup
        func string(_ key: String) throws(KeyFileError) -> String? {
            try keyFile.string(forKey: key, in: instanceGroup)
        }
        let instance = Instance(
            instanceID: try string("instance-id"),
            instancePath: try string("instance-path"),
            appPath: try string("app-path"),
            appCommit: try string("app-commit"),
            runtimePath: try string("runtime-path"),
            runtimeCommit: try string("runtime-commit"),
            branch: try string("branch"),
            arch: try string("arch"),
            flatpakVersion: try string("flatpak-version"),
            sessionBusProxy: try keyFile.flag(forKey: "session-bus-proxy", in: instanceGroup),
            systemBusProxy: try keyFile.flag(forKey: "system-bus-proxy", in: instanceGroup)
        )
        let context = try PermissionContext(keyFile: keyFile)
        do {
            try self.init(kind: kind, appID: appID, runtime: runtime, instance: instance, context: context)
        } catch {
            throw error.located(fileName: keyFile.fileName, group: instanceGroup, key: nil)
        }
    }

    /// Writes the file as Flatpak does: identity group, `[Instance]`, then
    /// the flattened context.
    public func write(into keyFile: KeyFile) throws(KeyFileError) {
        for kind in FlatpakRef.Kind.allCases {
            keyFile.removeGroup(kind.metadataGroup)
        }
        keyFile.removeGroup(Self.instanceGroup)

        let group = kind.metadataGroup
        try keyFile.set(appID.rawValue, forKey: "name", in: group)
        if let runtime {
            try keyFile.set(runtime.description, forKey: "runtime", in: group)
        }

        let instanceGroup = Self.instanceGroup
        func set(_ value: String?, _ key: String) throws(KeyFileError) {
            if let value { try keyFile.set(value, forKey: key, in: instanceGroup) }
        }
        try set(instance.instanceID, "instance-id")
        try set(instance.instancePath, "instance-path")
        try set(instance.appPath, "app-path")
        try set(instance.appCommit, "app-commit")
        try set(instance.runtimePath, "runtime-path")
        try set(instance.runtimeCommit, "runtime-commit")
        try set(instance.branch, "branch")
        try set(instance.arch, "arch")
        try set(instance.flatpakVersion, "flatpak-version")
        if instance.sessionBusProxy { try keyFile.set(true, forKey: "session-bus-proxy", in: instanceGroup) }
        if instance.systemBusProxy { try keyFile.set(true, forKey: "system-bus-proxy", in: instanceGroup) }

        try context.write(into: keyFile, flattened: true)
    }
}

// MARK: - Validation

extension FlatpakInfo {
    /// Checks every `[Instance]` value; the error names the key.
    static func validate(_ instance: Instance) throws(KeyFileError) {
        func check(_ value: String?, _ key: String, _ reason: (String) -> String?) throws(KeyFileError) {
            guard let value, let problem = reason(value) else { return }
            throw KeyFileError(key: key, message: "\(value.debugDescription): \(problem)")
        }
        try check(instance.instanceID, "instance-id", instanceIDInvalidityReason)
        try check(instance.instancePath, "instance-path", absolutePathInvalidityReason)
        try check(instance.appPath, "app-path", absolutePathInvalidityReason)
        try check(instance.appCommit, "app-commit", commitInvalidityReason)
        try check(instance.runtimePath, "runtime-path", absolutePathInvalidityReason)
        try check(instance.runtimeCommit, "runtime-commit", commitInvalidityReason)
        try check(instance.branch, "branch", FlatpakRef.branchInvalidityReason)
        try check(instance.arch, "arch", FlatpakRef.archInvalidityReason)
        try check(instance.flatpakVersion, "flatpak-version") { version in
            version.isEmpty ? "must not be empty" : PathSyntax.unsafeCharacterReason(version)
        }
    }

    /// Security: the instance ID is joined to `$XDG_RUNTIME_DIR/.flatpak/`
    /// to find the instance's records, so it must be one plain path element;
    /// Flatpak's are decimal numbers, burrow's too.
    static func instanceIDInvalidityReason(_ id: String) -> String? {
        if id.isEmpty { return "must not be empty" }
        if id.utf8.count > 255 { return "is longer than 255 bytes" }
        let allowed = id.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
        return allowed ? nil : "may only contain [A-Za-z0-9_-]"
    }

    /// Host paths recorded for the instance: absolute, no `..`, printable.
    static func absolutePathInvalidityReason(_ path: String) -> String? {
        if !path.hasPrefix("/") { return "must be an absolute path" }
        if let reason = PathSyntax.unsafeCharacterReason(path) { return reason }
        if path.split(separator: "/").contains("..") { return "contains a \"..\" element" }
        return nil
    }

    /// An OSTree commit checksum: 64 lowercase hex digits.
    static func commitInvalidityReason(_ commit: String) -> String? {
        let isHex = commit.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
        }
        return commit.utf8.count == 64 && isHex ? nil : "must be a 64-digit lowercase hex checksum"
    }
}
