/// The `metadata` file at the top of an app or runtime deployment (and in
/// a commit's `xa.metadata`): what it is, what it runs on, what it may do,
/// and which extensions plug into it.
///
/// `[Application]` (or `[Runtime]`) holds `name`, `runtime` and `sdk` as
/// partial refs (`ID/ARCH/BRANCH`, kind implied), and `command`; the
/// permission groups are a `PermissionContext` layer; each
/// `[Extension NAME]` group declares an extension point; `[ExtensionOf]`
/// says what an extension extends. Other groups and keys are ignored.
public struct AppMetadata: Hashable, Sendable, KeyFileDecodable, KeyFileEncodable {
    /// One `[Extension NAME]` group: an extension point the launcher mounts
    /// matching runtimes at.
    public struct Extension: Hashable, Sendable {
        /// The extension point's ID (`org.freedesktop.Platform.GL`).
        public var name: AppID
        /// From `[Extension NAME@TAG]`: the same point declared once per tag.
        public var tag: String?
        /// Where it is mounted, relative to `/app` (or `/usr` for a runtime).
        /// Flatpak ignores an extension point without one.
        public var directory: String?
        /// The branch to look for (`version`), or several (`versions`).
        public var version: String?
        public var versions: [String]?
        /// A directory inside the extension added to the library path.
        public var addLDPath: String?
        /// Mount `NAME.*` extensions into subdirectories of `directory`.
        public var subdirectories: Bool
        public var noAutodownload: Bool
        public var autodelete: Bool

        public init(
            name: AppID, tag: String? = nil, directory: String? = nil,
            version: String? = nil, versions: [String]? = nil, addLDPath: String? = nil,
            subdirectories: Bool = false, noAutodownload: Bool = false, autodelete: Bool = false
        ) {
            self.name = name
            self.tag = tag
            self.directory = directory
            self.version = version
            self.versions = versions
            self.addLDPath = addLDPath
            self.subdirectories = subdirectories
            self.noAutodownload = noAutodownload
            self.autodelete = autodelete
        }

        /// `Extension NAME` or `Extension NAME@TAG`.
        var groupName: String {
            "Extension " + name.rawValue + (tag.map { "@" + $0 } ?? "")
        }
    }

    /// `[ExtensionOf]`: present in an extension's own metadata.
    public struct ExtensionOf: Hashable, Sendable {
        /// The full ref it extends (`runtime/org.freedesktop.Platform/x86_64/23.08`).
        public var ref: FlatpakRef?
        /// Mount order among extensions of the same point.
        public var priority: Int?

        public init(ref: FlatpakRef? = nil, priority: Int? = nil) {
            self.ref = ref
            self.priority = priority
        }
    }

    static let extensionGroupPrefix = "Extension "
    static let extensionOfGroup = "ExtensionOf"

    /// `.app` for `[Application]`, `.runtime` for `[Runtime]`.
    public var kind: FlatpakRef.Kind
    public var name: AppID
    /// The runtime to run on; always present for an app.
    public var runtime: FlatpakRef?
    public var sdk: FlatpakRef?
    /// The program started by default (in `/app/bin` unless absolute).
    public var command: String?
    /// This layer's permissions (negations kept, see `PermissionContext`).
    public var context: PermissionContext
    /// Extension points, in file order.
    public var extensions: [Extension]
    public var extensionOf: ExtensionOf?

    public init(
        kind: FlatpakRef.Kind = .app, name: AppID, runtime: FlatpakRef? = nil, sdk: FlatpakRef? = nil,
        command: String? = nil, context: PermissionContext = PermissionContext(),
        extensions: [Extension] = [], extensionOf: ExtensionOf? = nil
    ) {
        self.kind = kind
        self.name = name
        self.runtime = runtime
        self.sdk = sdk
        self.command = command
        self.context = context
        self.extensions = extensions
        self.extensionOf = extensionOf
    }

}

// MARK: - Reading

extension AppMetadata {
    public init(keyFile: KeyFile) throws(KeyFileError) {
        let kind = try keyFile.identityKind()
        let group = kind.metadataGroup
        self.init(kind: kind, name: try keyFile.requiredAppID(forKey: "name", in: group))
        runtime = try keyFile.partialRef(forKey: "runtime", in: group, kind: .runtime)
        sdk = try keyFile.partialRef(forKey: "sdk", in: group, kind: .runtime)
        command = try keyFile.string(forKey: "command", in: group)
        context = try PermissionContext(keyFile: keyFile)

        for groupName in try keyFile.groups where groupName.hasPrefix(Self.extensionGroupPrefix) {
            extensions.append(try Self.readExtension(from: keyFile, group: groupName))
        }
        if keyFile.hasGroup(Self.extensionOfGroup) {
            extensionOf = ExtensionOf(
                ref: try keyFile.ref(forKey: "ref", in: Self.extensionOfGroup),
                priority: try keyFile.integer(forKey: "priority", in: Self.extensionOfGroup))
        }
        try validate(in: keyFile)
    }

    private static func readExtension(from keyFile: KeyFile, group: String) throws(KeyFileError) -> Extension {
        let fullName = group.dropFirst(extensionGroupPrefix.count)
        let nameText = fullName.prefix { $0 != "@" }
        let tag = nameText.count < fullName.count ? String(fullName.dropFirst(nameText.count + 1)) : nil
        let name: AppID
        do {
            name = try AppID(String(nameText))
        } catch {
            throw keyFile.error(group: group, key: nil, "invalid extension point: \(error.description)")
        }
        return Extension(
            name: name, tag: tag,
            directory: try keyFile.string(forKey: "directory", in: group),
            version: try keyFile.string(forKey: "version", in: group),
            versions: try keyFile.stringList(forKey: "versions", in: group),
            addLDPath: try keyFile.string(forKey: "add-ld-path", in: group),
            subdirectories: try keyFile.flag(forKey: "subdirectories", in: group),
            noAutodownload: try keyFile.flag(forKey: "no-autodownload", in: group),
            autodelete: try keyFile.flag(forKey: "autodelete", in: group))
    }
}

// MARK: - Writing

extension AppMetadata {
    /// Writes the file in `flatpak build-finish`'s layout. Validates first,
    /// so burrow never publishes metadata it would refuse to read.
    public func write(into keyFile: KeyFile) throws(KeyFileError) {
        try validate(in: keyFile)
        for groupName in try keyFile.groups
        where groupName.hasPrefix(Self.extensionGroupPrefix) || groupName == Self.extensionOfGroup {
            keyFile.removeGroup(groupName)
        }
        for kind in FlatpakRef.Kind.allCases {
            keyFile.removeGroup(kind.metadataGroup)
        }

        let group = kind.metadataGroup
        try keyFile.set(name.rawValue, forKey: "name", in: group)
        if let runtime { try keyFile.set(runtime.partial, forKey: "runtime", in: group) }
        if let sdk { try keyFile.set(sdk.partial, forKey: "sdk", in: group) }
        if let command { try keyFile.set(command, forKey: "command", in: group) }

        try context.write(into: keyFile)

        for point in extensions {
            let group = point.groupName
            func set(_ value: String?, _ key: String) throws(KeyFileError) {
                if let value { try keyFile.set(value, forKey: key, in: group) }
            }
            try set(point.directory, "directory")
            try set(point.version, "version")
            if let versions = point.versions { try keyFile.set(versions, forKey: "versions", in: group) }
            try set(point.addLDPath, "add-ld-path")
            if point.subdirectories { try keyFile.set(true, forKey: "subdirectories", in: group) }
            if point.noAutodownload { try keyFile.set(true, forKey: "no-autodownload", in: group) }
            if point.autodelete { try keyFile.set(true, forKey: "autodelete", in: group) }
        }
        if let extensionOf {
            if let ref = extensionOf.ref { try keyFile.set(ref.description, forKey: "ref", in: Self.extensionOfGroup) }
            if let priority = extensionOf.priority {
                try keyFile.set(priority, forKey: "priority", in: Self.extensionOfGroup)
            }
        }
    }

    /// The checks shared by reading and writing; errors name `keyFile`'s file.
    func validate(in keyFile: KeyFile) throws(KeyFileError) {
        let group = kind.metadataGroup
        if kind == .app && runtime == nil {
            throw keyFile.error(group: group, key: "runtime", "required key is missing")
        }
        if let command, command.isEmpty || PathSyntax.unsafeCharacterReason(command) != nil {
            throw keyFile.error(group: group, key: "command", "invalid command \(command.debugDescription)")
        }
        var seenGroups: Set<String> = []
        for point in extensions {
            let group = point.groupName
            if !seenGroups.insert(group).inserted {
                throw keyFile.error(group: group, key: nil, "extension point declared twice")
            }
            if let tag = point.tag, tag.isEmpty || tag.contains("]") || PathSyntax.unsafeCharacterReason(tag) != nil {
                throw keyFile.error(group: group, key: nil, "invalid extension tag \(tag.debugDescription)")
            }
            // Security: `directory` is a mount point inside /app or /usr and
            // `add-ld-path` a directory inside the extension; `..` or an
            // absolute path would mount or load libraries from elsewhere.
            try keyFile.locating(group: group, key: "directory") { () throws(KeyFileError) in
                if let directory = point.directory { _ = try PathSyntax.normalizedRelativePath(directory) }
            }
            try keyFile.locating(group: group, key: "add-ld-path") { () throws(KeyFileError) in
                if let path = point.addLDPath { _ = try PathSyntax.normalizedRelativePath(path, allowsSelf: true) }
            }
            // Versions are branches of the extension's ref.
            for (key, values) in [("version", point.version.map { [$0] }), ("versions", point.versions)] {
                for value in values ?? [] {
                    if let reason = FlatpakRef.branchInvalidityReason(value) {
                        throw keyFile.error(group: group, key: key, "\(value.debugDescription): \(reason)")
                    }
                }
            }
        }
    }
}
