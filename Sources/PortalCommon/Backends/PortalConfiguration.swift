import Glibc

/// One installed backend: a `NAME.portal` file.
public struct PortalBackend: Sendable, Hashable, CustomStringConvertible {
    /// The file's basename without `.portal`, the name `portals.conf` uses.
    public let name: String
    public let path: String
    public let file: PortalFile

    /// Safe to force: `PortalFile` only holds valid well-known names.
    public var busName: BusName { BusName(stringLiteral: file.dbusName) }
    public var description: String { "\(name).portal (\(file.dbusName))" }
}

/// Which backend serves which `org.freedesktop.impl.portal.*` interface,
/// chosen exactly as xdg-desktop-portal chooses (`xdp-portal-config.c`):
///
/// 1. `.portal` files from `$XDG_DESKTOP_PORTAL_DIR` alone when it is set,
///    else `$XDG_DATA_HOME`, each of `$XDG_DATA_DIRS`, then the built-in data
///    dir (`…/xdg-desktop-portal/portals`); the first file of a name wins.
/// 2. `portals.conf` preferences: in `$XDG_DESKTOP_PORTAL_DIR` alone, else
///    `$XDG_CONFIG_HOME`, `$XDG_CONFIG_DIRS`, sysconfdir, `$XDG_DATA_HOME`,
///    `$XDG_DATA_DIRS`, datadir (`…/xdg-desktop-portal/`); in each directory
///    the first `DESKTOP-portals.conf` of the lower-cased
///    `$XDG_CURRENT_DESKTOP` entries, else `portals.conf`. Files are asked in
///    that order: an interface key, then `default`; `none` stops the search,
///    `*` takes any backend implementing the interface.
/// 3. The legacy `UseIn` key, desktop by desktop.
/// 4. Upstream's last resort, the gtk backend; then burrow's, its terminal
///    backend (`…desktop.burrow`), which plays the same part on machines
///    without a graphical desktop.
public struct PortalConfiguration: Sendable {
    /// Where to look; `fromEnvironment` fills it the way GLib does.
    public struct Locations: Sendable {
        public var portalDirectory: String?
        public var dataHome: String?
        public var dataDirectories: [String]
        public var configHome: String?
        public var configDirectories: [String]
        public var sysconfDirectory: String
        public var dataDirectory: String
        public var currentDesktops: [String]

        public init(portalDirectory: String? = nil, dataHome: String? = nil, dataDirectories: [String] = [],
                    configHome: String? = nil, configDirectories: [String] = [],
                    sysconfDirectory: String = "/etc", dataDirectory: String = "/usr/share",
                    currentDesktops: [String] = []) {
            self.portalDirectory = portalDirectory
            self.dataHome = dataHome
            self.dataDirectories = dataDirectories
            self.configHome = configHome
            self.configDirectories = configDirectories
            self.sysconfDirectory = sysconfDirectory
            self.dataDirectory = dataDirectory
            self.currentDesktops = currentDesktops
        }

        /// The XDG base directory variables with their specified defaults;
        /// relative entries are ignored, as the specification requires.
        public static func fromEnvironment(_ environment: [String: String]) -> Locations {
            func list(_ key: String, default fallback: String) -> [String] {
                let value = environment[key].flatMap { $0.isEmpty ? nil : $0 } ?? fallback
                return value.split(separator: ":").map(String.init).filter { $0.hasPrefix("/") }
            }
            let home = environment["HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
            let configHome = environment["XDG_CONFIG_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? home.map { $0 + "/.config" }
            return Locations(
                portalDirectory: environment["XDG_DESKTOP_PORTAL_DIR"],
                dataHome: XDGDirectories.dataHome(environment: environment),
                dataDirectories: list("XDG_DATA_DIRS", default: "/usr/local/share:/usr/share"),
                configHome: configHome,
                configDirectories: list("XDG_CONFIG_DIRS", default: "/etc/xdg"),
                currentDesktops: desktops(environment["XDG_CURRENT_DESKTOP"] ?? ""))
        }

        /// `XDG_CURRENT_DESKTOP` entries that are safe in a file name
        /// (`[A-Za-z0-9_-]+`), lower-cased, in order.
        static func desktops(_ value: String) -> [String] {
            value.split(separator: ":", omittingEmptySubsequences: true).map { $0.lowercased() }.filter { name in
                name.utf8.allSatisfy { ObjectPath.isPathElementByte($0) || $0 == UInt8(ascii: "-") }
            }
        }
    }

    /// One `[preferred]` group: interface (or `default`) → backend names.
    struct Preferences: Sendable {
        let path: String
        let interfaces: [String: [String]]
        let defaults: [String]?
    }

    public static let gtkBusName = "org.freedesktop.impl.portal.desktop.gtk"
    public static let burrowBusName = "org.freedesktop.impl.portal.desktop.burrow"

    /// Installed backends, those meant for the current desktop (UseIn) first, then by name.
    public let backends: [PortalBackend]
    let preferences: [Preferences]
    let desktops: [String]
    /// Files that could not be used, with the reason (for the log).
    public let problems: [String]

    public init(locations: Locations) {
        var problems: [String] = []
        desktops = locations.currentDesktops
        let portalDirectories: [String] = locations.portalDirectory.map { [$0] }
            ?? ([locations.dataHome].compactMap { $0 } + locations.dataDirectories + [locations.dataDirectory])
                .map { $0 + "/xdg-desktop-portal/portals" }
        var byName: [String: PortalBackend] = [:]
        for directory in portalDirectories {
            for entry in Self.entries(of: directory) where entry.hasSuffix(".portal") {
                let name = String(entry.dropLast(".portal".count))
                guard byName[name] == nil else { continue }  // an earlier directory's file wins
                let path = directory + "/" + entry
                do {
                    let file = try PortalFile(keyFile: KeyFile(contentsOfFile: path))
                    byName[name] = PortalBackend(name: name, path: path, file: file)
                } catch {
                    problems.append("\(path): \(error)")
                }
            }
        }
        let desktops = self.desktops
        backends = byName.values.sorted { a, b in
            for desktop in desktops {
                let (useA, useB) = (a.isMeant(for: desktop), b.isMeant(for: desktop))
                if useA != useB { return useA }
                if useA { break }
            }
            return a.name < b.name
        }

        let configDirectories: [String] = locations.portalDirectory.map { [$0] }
            ?? ([locations.configHome].compactMap { $0 } + locations.configDirectories + [locations.sysconfDirectory]
                + [locations.dataHome].compactMap { $0 } + locations.dataDirectories + [locations.dataDirectory])
                .map { $0 + "/xdg-desktop-portal" }
        preferences = configDirectories.compactMap { directory in
            Self.preferences(in: directory, desktops: desktops, problems: &problems)
        }
        self.problems = problems
    }

    /// The backend for `interface` (`org.freedesktop.impl.portal.X`), or nil.
    public func backend(for interface: String) -> PortalBackend? {
        for config in preferences {
            if Self.prefersNone(config, interface) { return nil }
            if let list = config.interfaces[interface], let found = pick(list, interface) { return found }
            if let list = config.defaults, let found = pick(list, interface) { return found }
        }
        for desktop in desktops {
            if let found = backends.first(where: { $0.file.implements(interface) && $0.isMeant(for: desktop) }) {
                return found
            }
        }
        for lastResort in [Self.gtkBusName, Self.burrowBusName] {
            if let found = backends.first(where: { $0.file.dbusName == lastResort && $0.file.implements(interface) }) {
                return found
            }
        }
        return nil
    }

    /// `none` in the interface's own list, or (without one) in `default`.
    private static func prefersNone(_ config: Preferences, _ interface: String) -> Bool {
        (config.interfaces[interface] ?? config.defaults ?? []).contains("none")
    }

    /// The first backend of `names` that exists and implements `interface`.
    private func pick(_ names: [String], _ interface: String) -> PortalBackend? {
        for name in names {
            if name == "*" { return backends.first { $0.file.implements(interface) } }
            if let backend = backends.first(where: { $0.name == name }), backend.file.implements(interface) {
                return backend
            }
        }
        return nil
    }

    private static func preferences(in directory: String, desktops: [String], problems: inout [String]) -> Preferences? {
        for fileName in desktops.map({ "\($0)-portals.conf" }) + ["portals.conf"] {
            let path = directory + "/" + fileName
            guard access(path, F_OK) == 0 else { continue }
            do {
                let keyFile = try KeyFile(contentsOfFile: path)
                guard keyFile.hasGroup("preferred") else { continue }
                let keys = try keyFile.keys(in: "preferred")
                guard !keys.isEmpty else { continue }
                var interfaces: [String: [String]] = [:]
                var defaults: [String]?
                for key in keys {
                    let list = try keyFile.stringList(forKey: key, in: "preferred") ?? []
                    if key == "default" { defaults = defaults ?? list } else { interfaces[key] = list }
                }
                return Preferences(path: path, interfaces: interfaces, defaults: defaults)
            } catch {
                // Upstream drops an unreadable file and looks further.
                problems.append("\(path): \(error)")
            }
        }
        return nil
    }

    private static func entries(of directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}

extension PortalBackend {
    /// The legacy `UseIn` match, case-insensitive as upstream's.
    func isMeant(for desktop: String) -> Bool {
        file.useIn.contains { $0.lowercased() == desktop }
    }
}
