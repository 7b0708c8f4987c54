extension PermissionContext {
    /// The directory an `xdg-*` filesystem entry starts from.
    public enum XDGDirectory: String, Hashable, Sendable, CaseIterable {
        case desktop = "xdg-desktop"
        case documents = "xdg-documents"
        case download = "xdg-download"
        case music = "xdg-music"
        case pictures = "xdg-pictures"
        case publicShare = "xdg-public-share"
        case templates = "xdg-templates"
        case videos = "xdg-videos"
        case data = "xdg-data"
        case cache = "xdg-cache"
        case config = "xdg-config"
        /// `$XDG_RUNTIME_DIR`; only ever with a subpath (Flatpak refuses
        /// sharing the whole runtime directory: it holds the bus sockets).
        case run = "xdg-run"
    }

    /// How a filesystem entry is shared. `none` is a negated entry
    /// (`!home`): it grants nothing and cancels the location in lower layers.
    public enum FilesystemMode: Int, Hashable, Sendable, Comparable, CaseIterable {
        case none
        case readOnly
        case readWrite
        /// Read-write, and created on the host if missing.
        case create

        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// A location a `filesystems=` entry names, validated and normalized:
    /// `home`, `host`, `host-os`, `host-etc`, `xdg-download/sub`, `~/dir`,
    /// `/abs/path`.
    ///
    /// Only `init(parsing:)` and the static members create one, so every
    /// value is safe to turn into a bind mount: its `subpath` is relative to
    /// its root, has no `..` element and no control or format characters.
    public struct Filesystem: Hashable, Sendable, Comparable, CustomStringConvertible {
        public enum Root: Hashable, Sendable {
            /// The host's file system (mounted at `/run/host` and friends).
            case host
            /// The host's `/usr` and related OS directories.
            case hostOS
            /// The host's `/etc`.
            case hostEtc
            /// The user's home directory; with a subpath, `~/subpath`.
            case home
            case xdg(XDGDirectory)
            /// `/` + subpath (never empty: `/` itself is refused).
            case absolute
        }

        public let root: Root
        /// Relative path below `root`, elements joined by `/`; empty for the root itself.
        public let subpath: String

        private init(root: Root, subpath: String) {
            self.root = root
            self.subpath = subpath
        }

        public static let host = Filesystem(root: .host, subpath: "")
        public static let hostOS = Filesystem(root: .hostOS, subpath: "")
        public static let hostEtc = Filesystem(root: .hostEtc, subpath: "")
        public static let home = Filesystem(root: .home, subpath: "")

        /// Parses a location without its `!` or `:mode` (those belong to
        /// the entry, see `PermissionContext`), normalizing as Flatpak does:
        /// `~` is `home`, `home/x` is `~/x`, `//` and `/./` collapse, a
        /// trailing `/` goes.
        ///
        /// Security: relative locations other than `~/…` and `xdg-*/…` are
        /// refused, since no directory is named for them to be relative to;
        /// so are `/` (Flatpak points people to `host`, which is what they
        /// mean and is shown as such in prompts), `xdg-run` without a
        /// subpath (it holds every bus and display socket), and any `..`.
        public init(parsing text: String) throws(KeyFileError) {
            if let reason = PathSyntax.unsafeCharacterReason(text) {
                throw KeyFileError(message: "filesystem location \(text.debugDescription) \(reason)")
            }
            switch text {
            case "host": self = .host; return
            case "host-os": self = .hostOS; return
            case "host-etc": self = .hostEtc; return
            case "home", "~": self = .home; return
            default: break
            }

            let root: Root
            let rest: Substring
            if text.hasPrefix("/") {
                root = .absolute
                rest = text.dropFirst()
            } else if text.hasPrefix("~/") {
                root = .home
                rest = text.dropFirst(2)
            } else if text.hasPrefix("home/") {
                root = .home
                rest = text.dropFirst(5)
            } else {
                let prefix = text.prefix { $0 != "/" }
                guard let directory = XDGDirectory(rawValue: String(prefix)) else {
                    throw KeyFileError(
                        message: "unknown filesystem location \(text.debugDescription), valid locations are: "
                            + "host, host-os, host-etc, home, xdg-*[/…], ~/dir, /dir")
                }
                root = .xdg(directory)
                rest = text.dropFirst(prefix.count)
            }

            let elements = try PathSyntax.relativeElements(rest)
            if elements.isEmpty {
                switch root {
                case .absolute:
                    throw KeyFileError(message: "filesystem location \"/\" is not available, use \"host\" for a similar result")
                case .xdg(.run):
                    throw KeyFileError(message: "filesystem location \"xdg-run\" needs a subdirectory (xdg-run/NAME)")
                default:
                    break
                }
            }
            self.init(root: root, subpath: elements.joined(separator: "/"))
        }

        /// The canonical text Flatpak writes (`~/Games`, `xdg-download/sub`, `/opt`).
        public var description: String {
            let base: String
            switch root {
            case .host: return "host"
            case .hostOS: return "host-os"
            case .hostEtc: return "host-etc"
            case .home: if subpath.isEmpty { return "home" } else { base = "~" }
            case .xdg(let directory): if subpath.isEmpty { return directory.rawValue } else { base = directory.rawValue }
            case .absolute: base = ""
            }
            return base + "/" + subpath
        }

        public static func < (lhs: Filesystem, rhs: Filesystem) -> Bool {
            lhs.description.utf8.lexicographicallyPrecedes(rhs.description.utf8)
        }
    }
}

// MARK: - `filesystems=` entries

extension PermissionContext {
    /// One parsed `filesystems=` list entry.
    struct FilesystemEntry: Hashable {
        var location: Filesystem
        var mode: FilesystemMode
        /// `!host:reset` (or its internal spelling `!host-reset`): discard
        /// every filesystem grant of the layers below.
        var resetsHost: Bool

        /// Parses `[!]LOCATION[:ro|:rw|:create|:reset]`, where `\:` and `\\`
        /// escape a colon or backslash inside LOCATION.
        ///
        /// Where Flatpak warns and carries on (an unknown suffix, a mode on a
        /// negated entry), burrow refuses: these lists decide what the
        /// sandbox sees, and a half-understood entry is a guess either way.
        init(parsing text: String) throws(KeyFileError) {
            if let reason = PathSyntax.unsafeCharacterReason(text) {
                throw KeyFileError(message: "filesystem entry \(text.debugDescription) \(reason)")
            }
            let negated = text.hasPrefix("!")
            var location = ""
            var suffix: Substring?
            var index = text.index(text.startIndex, offsetBy: negated ? 1 : 0)
            while index < text.endIndex {
                let character = text[index]
                if character == "\\" {
                    index = text.index(after: index)
                    if index < text.endIndex {
                        location.append(text[index])
                        index = text.index(after: index)
                    }
                } else if character == ":" {
                    suffix = text[text.index(after: index)...]
                    break
                } else {
                    location.append(character)
                    index = text.index(after: index)
                }
            }

            var mode: FilesystemMode = negated ? .none : .readWrite
            var resets = location == "host-reset"
            switch suffix.map(String.init) ?? "" {
            case "":
                break
            case let modeText where ["ro", "rw", "create"].contains(modeText):
                if negated {
                    throw KeyFileError(message: "filesystem entry \(text.debugDescription): a negated entry takes no mode")
                }
                mode = modeText == "ro" ? .readOnly : modeText == "rw" ? .readWrite : .create
            case "reset":
                if resets {
                    throw KeyFileError(message: "filesystem entry \(text.debugDescription): \"host-reset\" takes no suffix")
                }
                resets = true
            case let other:
                throw KeyFileError(
                    message: "filesystem entry \(text.debugDescription): unknown suffix \(other.debugDescription), "
                        + "valid suffixes are: ro, rw, create, reset")
            }
            if resets {
                guard negated else {
                    throw KeyFileError(message: "filesystem entry \(text.debugDescription): reset only applies to !host")
                }
                guard location == "host" || location == "host-reset" else {
                    throw KeyFileError(message: "filesystem entry \(text.debugDescription): reset only applies to !host")
                }
                self.init(location: .host, mode: .none, resetsHost: true)
                return
            }
            try self.init(location: Filesystem(parsing: location), mode: mode, resetsHost: false)
        }

        init(location: Filesystem, mode: FilesystemMode, resetsHost: Bool) {
            self.location = location
            self.mode = mode
            self.resetsHost = resetsHost
        }

        /// The entry as Flatpak writes it: `!` for none, no suffix for rw.
        var text: String {
            if resetsHost { return "!host:reset" }
            var escaped = ""
            for character in location.description {
                if character == ":" || character == "\\" { escaped.append("\\") }
                escaped.append(character)
            }
            switch mode {
            case .none: return "!" + escaped
            case .readOnly: return escaped + ":ro"
            case .readWrite: return escaped
            case .create: return escaped + ":create"
            }
        }
    }
}
