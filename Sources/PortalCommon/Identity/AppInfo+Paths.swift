/// Sandbox paths → host paths, for paths an app hands a portal as text
/// (`current_folder`, `cwd_path`, `Spawn` arguments) rather than as fds.
///
/// The result is only ever used as a *hint* or as a starting point that is
/// then opened with `openat` under a directory the portal trusts; it grants
/// nothing by itself. Mapping is purely lexical and refuses relative paths
/// and `..`, so no caller can walk out of the tree a prefix stands for.
extension AppInfo {
    /// Where the document store is mounted on the host.
    public struct PathContext: Sendable {
        /// `$XDG_RUNTIME_DIR/doc` (the document portal's FUSE mount).
        public var documentMount: String?
        public init(documentMount: String?) { self.documentMount = documentMount }
    }

    /// The host path for `path` as the caller sees it, or `nil` when the path
    /// is not absolute, contains `.` or `..` elements, or lies under a
    /// sandbox prefix whose host location is unknown.
    public func hostPath(for path: String, context: PathContext) -> String? {
        guard path.hasPrefix("/") else { return nil }
        let elements = path.split(separator: "/", omittingEmptySubsequences: true)
        guard !elements.contains(where: { $0 == ".." || $0 == "." }) else { return nil }
        let normalized = "/" + elements.joined(separator: "/")
        guard case .flatpak(let app) = self else { return normalized }

        let instance = app.info.instance
        // Longest prefixes first: /run/flatpak/doc before anything shorter.
        let mappings: [(sandbox: String, host: String?)] = [
            ("/run/flatpak/doc", context.documentMount.map { "\($0)/by-app/\(app.appID.rawValue)" }),
            ("/run/host/usr", "/usr"),
            ("/run/host/etc", "/etc"),
            ("/app", instance.appPath),
            ("/usr", instance.runtimePath),
        ]
        for (prefix, host) in mappings {
            guard normalized == prefix || normalized.hasPrefix(prefix + "/") else { continue }
            // A prefix we cannot place on the host must not fall through to
            // "same path": /usr inside is not the host's /usr.
            guard let host else { return nil }
            return host + normalized.dropFirst(prefix.count)
        }
        // Everything else (home, /tmp shared with --filesystem, …) is the
        // same path on both sides, or does not exist on the host at all.
        return normalized
    }
}
