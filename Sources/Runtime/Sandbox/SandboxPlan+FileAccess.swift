public import PortalCommon

extension SandboxPlan {
    /// What an app running with `context` can do with the host file `path`
    /// at that same path inside its sandbox — `flatpak info --file-access`.
    /// The deepest grant covering the path decides, as the binds it makes
    /// would (a narrower bind lands on top of a broader one). `path` must
    /// be absolute and resolved (no `..`, no symlinks).
    public static func fileAccess(
        to path: String, context: PermissionContext, appID: AppID, user: User, hostPaths: some HostPaths
    ) -> PermissionContext.FilesystemMode {
        typealias Builder = SandboxPlan.Builder
        let appData = "\(user.home)/.var/app/\(appID.rawValue)"
        // The app's own directory is always its own; other apps' never.
        if Builder.isSameOrBelow(path, appData) { return .readWrite }
        if Builder.isSameOrBelow(path, "\(user.home)/.var/app") { return .none }
        if Builder.reservedPaths.contains(where: { Builder.isSameOrBelow(path, $0) }) { return .none }

        var best: (depth: Int, mode: PermissionContext.FilesystemMode)?
        func consider(_ prefix: String, _ mode: PermissionContext.FilesystemMode) {
            guard Builder.isSameOrBelow(path, prefix) else { return }
            let depth = prefix == "/" ? 0 : prefix.split(separator: "/").count
            // Same depth: the less restrictive wins, as with two binds.
            if best == nil || depth > best!.depth || (depth == best!.depth && mode > best!.mode) { best = (depth, mode) }
        }
        for (location, mode) in context.filesystems {
            switch location.root {
            case .host:
                // Everything under / that `host` brings in at its own path.
                let top = path.split(separator: "/").first.map(String.init) ?? ""
                if !Builder.notMountedFromHostRoot.contains(top) || Builder.isSameOrBelow(path, "/run/media") {
                    consider("/", mode)
                }
            case .hostOS, .hostEtc:
                continue  // shown under /run/host, not at the host's own paths
            case .xdg(.run):
                continue  // the sandbox's own runtime directory, not the host's
            case .home, .absolute, .xdg:
                if let prefix = Builder.hostPath(of: location, user: user, hostPaths: hostPaths) { consider(prefix, mode) }
            }
        }
        guard let mode = best?.mode else { return .none }
        return mode == .create ? .readWrite : mode
    }
}
