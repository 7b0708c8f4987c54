import FoundationEssentials
import Glibc
import PortalCommon

/// Where the document portal's store is mounted, so the sandbox can get
/// its app's view at /run/flatpak/doc.
public enum DocumentStoreMount {
    /// `$XDG_RUNTIME_DIR/doc` when a store is mounted there. Otherwise the
    /// portal is asked (GetMountPoint, which D-Bus-activates it, as flatpak
    /// does); no portal, no bus, or no answer within 5 s: no documents.
    /// On the caller's executor: only asking the portal suspends.
    nonisolated(nonsending) public static func find(runtimeDirectory: String, environment: [String: String]) async -> String? {
        if let mount = served(runtimeDirectory: runtimeDirectory) { return mount }
        return await ask(environment: environment)
    }

    /// `$XDG_RUNTIME_DIR/doc` when a live store is mounted there: a stat,
    /// no bus, no suspension.
    private static func served(runtimeDirectory: String) -> String? {
        let mount = runtimeDirectory + "/doc"
        return isServed(mount) ? mount : nil
    }

    /// The store the portal names in GetMountPoint (activating it), if it
    /// answers and the store is live.
    private static func ask(environment: [String: String]) async -> String? {
        guard let address = environment["DBUS_SESSION_BUS_ADDRESS"], !address.isEmpty,
              let bus = try? await BusConnection.connect(.address(address)) else { return nil }
        defer { bus.close() }
        guard let reply = try? await bus.call("org.freedesktop.portal.Documents", "/org/freedesktop/portal/documents",
                                              "org.freedesktop.portal.Documents", "GetMountPoint", timeout: .seconds(5)),
              case .bytes(let bytes)? = reply.first else { return nil }
        let answered = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        return isServed(answered) ? answered : nil
    }

    /// A live store answers for its by-app directory; a stale mount of a
    /// crashed one (ENOTCONN) or a plain directory does not.
    private static func isServed(_ mount: String) -> Bool {
        var status = stat()
        return stat(mount + "/by-app", &status) == 0 && status.st_mode & S_IFMT == S_IFDIR
    }
}
