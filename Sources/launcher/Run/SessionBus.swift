import Foundation
import PortalCommon
import Runtime

/// Which session bus a sandbox gets: none (no session bus on the host),
/// the real one (`--socket=session-bus`), or — Flatpak's default — a
/// filtering proxy of its own.
struct SessionBus {
    /// bwrap's --sync-fd slot for the proxy's pipe (launcher range 3–9).
    static let syncSlot: Int32 = 8

    var socket: String?
    var proxy: DBusProxy?

    static func choose(appID: AppID, context: PermissionContext, instanceID: String, runtimeDirectory: String) throws -> SessionBus {
        guard let address = ProcessInfo.processInfo.environment["DBUS_SESSION_BUS_ADDRESS"], !address.isEmpty else {
            return SessionBus(socket: nil, proxy: nil)
        }
        let proxySocket = "\(runtimeDirectory)/.dbus-proxy/session-bus-proxy-\(instanceID)"
        guard let proxy = DBusProxy(appID: appID, busAddress: address, proxySocket: proxySocket, policy: context.sessionBusPolicy) else {
            // An abstract or TCP address cannot be bound into a sandbox.
            FileHandle.standardError.write(Data("burrow: not offering the session bus: \(address) is not a unix:path= socket\n".utf8))
            return SessionBus(socket: nil, proxy: nil)
        }
        if context.sockets.contains(.sessionBus) {
            return SessionBus(socket: proxy.busSocket, proxy: nil)
        }
        try FileManager.default.createDirectory(atPath: runtimeDirectory + "/.dbus-proxy", withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        return SessionBus(socket: proxySocket, proxy: proxy)
    }
}
