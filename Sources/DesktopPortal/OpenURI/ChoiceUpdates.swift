import PortalCommon

/// While the app chooser is open, handlers installed or removed meanwhile
/// reach it: the applications directories are watched, and when the
/// candidates for the content type change, the backend's
/// `UpdateChoices(handle, choices)` gets the new list (upstream does the
/// same from GAppInfoMonitor).
struct ChoiceUpdates {
    let entries: DesktopEntries
    let connection: BusConnection

    /// `$XDG_DATA_HOME` and each of `$XDG_DATA_DIRS`, `/applications`:
    /// where GIO finds desktop files and their mimeinfo.cache.
    static func applicationDirectories(environment: [String: String] = ProcessEnvironment.current) -> [String] {
        let dataDirectories = (environment["XDG_DATA_DIRS"].flatMap { $0.isEmpty ? nil : $0 } ?? "/usr/local/share:/usr/share")
            .split(separator: ":").map(String.init).filter { $0.hasPrefix("/") }
        return ([XDGDirectories.dataHome(environment: environment)].compactMap { $0 } + dataDirectories).map { $0 + "/applications" }
    }

    /// Follows changes until the returned task is cancelled (when the
    /// chooser answers).
    func follow(contentType: String, shown: [String], handle: ObjectPath, backend: BusName) -> Task<Void, Never> {
        let entries = entries, connection = connection
        return Task {
            var current = shown
            for await _ in DirectoryChanges.watch(Self.applicationDirectories()) {
                // An install writes the desktop file, then the cache: let
                // the burst settle (and GIO's own monitor see it) first.
                try? await Task.sleep(for: .milliseconds(150))
                if Task.isCancelled { return }
                let now = await entries.run { $0.choices(for: contentType) }
                guard now != current else { continue }
                current = now
                _ = try? await connection.call(backend, Backends.objectPath, OpenURIPortal.implInterface, "UpdateChoices",
                                               [.objectPath(handle), now.dbusValue], timeout: .seconds(5))
            }
        }
    }
}
