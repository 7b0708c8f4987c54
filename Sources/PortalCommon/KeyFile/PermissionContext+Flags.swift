/// A value of one of `[Context]`'s flag lists (`shared`, `sockets`,
/// `devices`, `features`). `allCases` is in Flatpak's order, which is the
/// order the lists are written in.
public protocol ContextFlag: RawRepresentable<String>, CaseIterable, Hashable, Sendable {
    /// The keyfile key of the list (`sockets`).
    static var key: String { get }
}

extension PermissionContext {
    /// `shared=`: namespaces shared with the host (Flatpak 1.14's set).
    public enum Share: String, ContextFlag {
        case network
        case ipc

        public static let key = "shared"
    }

    /// `sockets=` (Flatpak 1.14's set).
    public enum Socket: String, ContextFlag {
        case x11
        case wayland
        case pulseaudio
        case sessionBus = "session-bus"
        case systemBus = "system-bus"
        case fallbackX11 = "fallback-x11"
        case sshAuth = "ssh-auth"
        case pcsc
        case cups
        case gpgAgent = "gpg-agent"

        public static let key = "sockets"
    }

    /// `devices=` (Flatpak 1.14's set).
    public enum Device: String, ContextFlag {
        case dri
        case all
        case kvm
        case shm

        public static let key = "devices"
    }

    /// `features=` (Flatpak 1.14's set).
    public enum Feature: String, ContextFlag {
        case devel
        case multiarch
        case bluetooth
        case canbus
        case perAppDevShm = "per-app-dev-shm"

        public static let key = "features"
    }

    /// One flag list as Flatpak keeps it: each flag is granted, revoked
    /// (`!flag`) or not mentioned.
    ///
    /// Revocations are kept, not dropped, because layering needs them: an
    /// override's `!network` must cancel the app's `network`, and an
    /// override file must still say `!network` when written back.
    public struct FlagSet<Flag: ContextFlag>: Hashable, Sendable, ExpressibleByArrayLiteral {
        public private(set) var granted: Set<Flag> = []
        public private(set) var revoked: Set<Flag> = []

        public init() {}

        /// A flag in both lists ends up granted.
        public init(granting granted: [Flag] = [], revoking revoked: [Flag] = []) {
            revoked.forEach { revoke($0) }
            granted.forEach { grant($0) }
        }

        /// `[.network, .ipc]` grants both.
        public init(arrayLiteral elements: Flag...) {
            self.init(granting: elements)
        }

        /// Whether `flag` is granted (revoked and unmentioned flags are not).
        public func contains(_ flag: Flag) -> Bool { granted.contains(flag) }

        public var isEmpty: Bool { granted.isEmpty && revoked.isEmpty }

        public mutating func grant(_ flag: Flag) {
            revoked.remove(flag)
            granted.insert(flag)
        }

        public mutating func revoke(_ flag: Flag) {
            granted.remove(flag)
            revoked.insert(flag)
        }

        /// Forgets `flag`, so a lower layer's setting shows through.
        public mutating func reset(_ flag: Flag) {
            granted.remove(flag)
            revoked.remove(flag)
        }

        /// `other` laid over `self`: whatever `other` mentions wins.
        public func merging(_ other: FlagSet) -> FlagSet {
            var merged = self
            other.revoked.forEach { merged.revoke($0) }
            other.granted.forEach { merged.grant($0) }
            return merged
        }

        /// Only the grants: the final form, not meant to be layered again.
        public var flattened: FlagSet { FlagSet(granting: Array(granted)) }

        /// The list as written: Flatpak's order, `!` before revoked flags.
        var entries: [String] {
            Flag.allCases.compactMap { flag in
                granted.contains(flag) ? flag.rawValue : revoked.contains(flag) ? "!" + flag.rawValue : nil
            }
        }

        /// Applies a list in order, so a later `!x` beats an earlier `x`.
        ///
        /// An unknown value is refused, where Flatpak logs and skips it: a
        /// typo in an override (`sockets=waylnd`) would otherwise silently do
        /// nothing, and a value from a newer Flatpak names a permission
        /// burrow does not know how to enforce or to show in a prompt.
        init(entries: [String]) throws(KeyFileError) {
            self.init()
            for entry in entries {
                let negated = entry.hasPrefix("!")
                let name = negated ? String(entry.dropFirst()) : entry
                guard let flag = Flag(rawValue: name) else {
                    let valid = Flag.allCases.map(\.rawValue).joined(separator: ", ")
                    throw KeyFileError(
                        message: "unknown \(Flag.key) value \(name.debugDescription), valid values are: \(valid)")
                }
                if negated { revoke(flag) } else { grant(flag) }
            }
        }
    }
}
