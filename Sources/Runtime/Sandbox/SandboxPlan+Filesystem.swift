import PortalCommon

extension SandboxPlan.Builder {
    /// Top-level host directories `filesystems=host` does not bring in:
    /// the sandbox has its own (or they are the OS, see host-os/host-etc).
    static let notMountedFromHostRoot: Set<String> = [
        "app", "bin", "boot", "dev", "efi", "etc", "lib", "lib32", "lib64", "proc", "root", "run", "sbin", "sys",
        "tmp", "usr", "var",
    ]

    /// Sandbox paths no grant may bind over or into: the runtime, the
    /// app, the identity file portals trust, and the sandbox's plumbing.
    static let reservedPaths = [
        "/.flatpak-info", "/app", "/bin", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/proc", "/run/flatpak",
        "/run/host", "/sbin", "/usr",
    ]

    /// One bind decided by a grant, before ordering.
    struct Export {
        enum Kind: Equatable {
            case bind(source: String, readOnly: Bool)
            /// An empty tmpfs hiding what a broader grant showed.
            case hide
            case symlink(target: String)
        }

        var destination: String
        var kind: Kind
    }

    /// Host fonts, their caches and icons, read-only under /run/host where
    /// runtimes' fontconfig and icon themes look for them.
    mutating func addHostResources() {
        let home = input.user.home
        var remaps: [(hostPath: String, sandboxPath: String)] = []
        let fonts: [(host: String, sandbox: String, remap: Bool)] = [
            ("/usr/share/fonts", "/run/host/fonts", true),
            ("/usr/local/share/fonts", "/run/host/local-fonts", true),
            ("/var/cache/fontconfig", "/run/host/fonts-cache", false),
            ("\(home)/.local/share/fonts", "/run/host/user-fonts", true),
            ("\(home)/.cache/fontconfig", "/run/host/user-fonts-cache", false),
            ("/usr/share/icons", "/run/host/share/icons", false),
        ]
        for font in fonts {
            guard let source = hostPaths.bindSource(for: font.host) else { continue }
            steps.append(.roBind(source: source, destination: font.sandbox))
            if font.remap { remaps.append((font.host, font.sandbox)) }
        }
        if !remaps.isEmpty {
            let text = SandboxPlan.fontDirectoriesConfiguration(remaps)
            steps.append(.file(slot: data("font-dirs.xml", Array(text.utf8)), path: "/run/host/font-dirs.xml", mode: 0o644))
        }
    }

    /// Fixed paths for the app's own directories, as Flatpak provides them:
    /// links into the app's directory, which the sandbox has at its own
    /// path, rather than four more bind mounts (Flatpak's; bwrap re-reads
    /// /proc/self/mountinfo for each). A link resolves inside the sandbox's
    /// own view, so nothing here is looked up on the host; the launcher has
    /// just made these directories (hostDirectories), refusing links on the
    /// way.
    mutating func addAppDirectories() {
        let app = input.appDataDirectory
        for (name, destination) in [("cache", "/var/cache"), ("data", "/var/data"), ("config", "/var/config"), ("cache/tmp", "/var/tmp")] {
            steps.append(.symlink(target: "\(app)/\(name)", path: destination))
        }
    }

    /// The host path a filesystem grant names, `nil` when it names none
    /// (an unconfigured or disabled xdg directory).
    static func hostPath(
        of location: PermissionContext.Filesystem, user: SandboxPlan.User, hostPaths: any HostPaths
    ) -> String? {
        func join(_ base: String, _ subpath: String) -> String {
            subpath.isEmpty ? base : base == "/" ? "/" + subpath : base + "/" + subpath
        }
        switch location.root {
        case .host, .hostOS, .hostEtc: return nil
        case .home: return join(user.home, location.subpath)
        case .absolute: return "/" + location.subpath
        case .xdg(.run): return join(user.runtimeDirectory, location.subpath)
        case .xdg(let directory):
            // xdg-user-dirs points disabled directories at $HOME; sharing
            // all of home under another name is not what the grant says.
            guard let base = hostPaths.userDirectory(directory), base != user.home else { return nil }
            return join(base, location.subpath)
        }
    }

    /// Grants, the app's directory and persistent directories as binds,
    /// ordered parents first so a narrower bind lands on top of a broader one.
    mutating func addExports() throws(SandboxError) {
        var exports: [String: Export] = [:]
        func add(_ export: Export) { exports[export.destination] = export }
        let home = input.user.home

        for (location, mode) in context.filesystems.sorted(by: { $0.key < $1.key }) {
            let readOnly = mode == .readOnly
            switch location.root {
            case .host:
                for entry in hostPaths.rootEntries.sorted() where !Self.notMountedFromHostRoot.contains(entry) {
                    exposeHost("/\(entry)", at: "/\(entry)", readOnly: readOnly, grant: location, into: &exports)
                }
                exposeHost("/run/media", at: "/run/media", readOnly: readOnly, grant: location, into: &exports)
                exposeHostOS(readOnly: readOnly, into: &exports)
                exposeHost("/etc", at: "/run/host/etc", readOnly: readOnly, grant: location, into: &exports)
            case .hostOS:
                exposeHostOS(readOnly: readOnly, into: &exports)
            case .hostEtc:
                exposeHost("/etc", at: "/run/host/etc", readOnly: readOnly, grant: location, into: &exports)
            case .home, .absolute, .xdg:
                guard let path = Self.hostPath(of: location, user: input.user, hostPaths: hostPaths) else {
                    notes.append("not sharing \(location): not configured on this host (or it is the home directory)")
                    continue
                }
                // xdg-run/NAME is the host's runtime dir; inside, the sandbox's.
                let destination = location.root == .xdg(.run)
                    ? "\(runtimeDirectory)/\(location.subpath)" : path
                if let reserved = Self.reservedPaths.first(where: { Self.isSameOrBelow(destination, $0) }) {
                    notes.append("not sharing \(location): \(reserved) is reserved for the sandbox")
                    continue
                }
                exposeHost(path, at: destination, readOnly: readOnly, grant: location, into: &exports)
            }
        }

        // Other apps' data stays hidden even when a grant shows home (or a
        // parent of it); this app's own directory is always read-write.
        let appData = input.appDataDirectory
        let appsDirectory = "\(home)/.var/app"
        if exports.keys.contains(where: { Self.isSameOrBelow(appsDirectory, $0) }) {
            add(Export(destination: appsDirectory, kind: .hide))
        }
        add(Export(destination: appData, kind: .bind(source: try requiredSource(appData), readOnly: false)))
        // The installation holds every app's files and deploy data.
        if let installation = input.userInstallation,
           exports.keys.contains(where: { Self.isSameOrBelow(installation, $0) }) {
            add(Export(destination: installation, kind: .hide))
        }
        // --persist=DIR maps ~/DIR to ~/.var/app/ID/DIR, only when the real
        // home is not visible (as in Flatpak): with it, ~/DIR is the real one.
        let homeVisible = exports.keys.contains { $0 != appData && $0 != appsDirectory && Self.isSameOrBelow(home, $0) }
        if !homeVisible {
            for directory in context.persistent.sorted() {
                let source = try requiredSource("\(appData)/\(directory)")
                add(Export(destination: "\(home)/\(directory)", kind: .bind(source: source, readOnly: false)))
            }
        }

        for export in exports.values.sorted(by: { Self.precedes($0.destination, $1.destination) }) {
            switch export.kind {
            case .bind(let source, let readOnly):
                // App-writable sources go by the descriptor the checks ended on.
                if let file = hostPaths.openBindSource(for: source) {
                    steps.append(.bindFD(slot: slot(for: file), destination: export.destination, readOnly: readOnly))
                } else {
                    steps.append(readOnly ? .roBind(source: source, destination: export.destination)
                                          : .bind(source: source, destination: export.destination))
                }
            case .hide: steps.append(.tmpfs(export.destination))
            case .symlink(let target): steps.append(.symlink(target: target, path: export.destination))
            }
        }
    }

    /// `host-os`: the host's /usr and its usr-merge links under /run/host.
    private mutating func exposeHostOS(readOnly: Bool, into exports: inout [String: Export]) {
        exposeHost("/usr", at: "/run/host/usr", readOnly: readOnly, grant: .hostOS, into: &exports)
        for name in RuntimeLayout.usrMergedDirectoryNames {
            if let target = hostPaths.symbolicLinkTarget(at: "/\(name)") {
                exports["/run/host/\(name)"] = Export(destination: "/run/host/\(name)", kind: .symlink(target: target))
            } else {
                exposeHost("/\(name)", at: "/run/host/\(name)", readOnly: readOnly, grant: .hostOS, into: &exports)
            }
        }
    }

    private mutating func exposeHost(
        _ path: String, at destination: String, readOnly: Bool, grant: PermissionContext.Filesystem,
        into exports: inout [String: Export]
    ) {
        guard let source = hostPaths.bindSource(for: path) else {
            notes.append("not sharing \(path) (\(grant)): it does not exist")
            return
        }
        // Two grants of one path: the less restrictive wins (host:ro + home).
        if case .bind(_, false)? = exports[destination]?.kind { return }
        exports[destination] = Export(destination: destination, kind: .bind(source: source, readOnly: readOnly))
    }

    /// A directory the launcher had to create before planning.
    private func requiredSource(_ path: String) throws(SandboxError) -> String {
        guard let source = hostPaths.bindSource(for: path) else {
            // The launcher created it: missing now means the host paths
            // refused it (a symbolic link on the way) or it was removed since.
            throw SandboxError("\(path) is missing or reached through a symbolic link; burrow does not follow links "
                + "inside the app's own directory (the app could have planted them): remove the link and run again")
        }
        return source
    }

    static func isSameOrBelow(_ path: String, _ ancestor: String) -> Bool {
        path == ancestor || ancestor == "/" || path.hasPrefix(ancestor + "/")
    }

    /// Ancestors before descendants; otherwise by path, for a stable order.
    static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        let left = lhs.split(separator: "/")
        let right = rhs.split(separator: "/")
        for (a, b) in zip(left, right) where a != b {
            return a.utf8.lexicographicallyPrecedes(b.utf8)
        }
        return left.count < right.count
    }
}
