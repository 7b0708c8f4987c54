import FoundationEssentials
import Glibc
import PortalCommon

/// Which buses a sandbox gets. Session bus: none (no session bus on the
/// host), the real one (`--socket=session-bus`), or — Flatpak's default — a
/// filtering proxy. System bus: the real one with `--socket=system-bus`, a
/// proxy when the app has `[System Bus Policy]` rules, else none.
/// Accessibility bus: a proxy with Flatpak's fixed rules when the session's
/// bus is up, unless the launch asks for none.
struct SandboxBuses {
    var socket: String?
    var systemSocket: String?
    var accessibilitySocket: String?
    /// Served by one xdg-dbus-proxy process.
    var proxies: [DBusProxy] = []
    /// Where the proxy's sockets will appear, when there is a proxy.
    var proxyDirectory: String?

    /// One directory per instance, holding only its proxy's sockets
    /// (`bus`, `system-bus`). The sandbox gets the whole directory rather
    /// than the socket files: bwrap sets the sandbox up while the proxy is
    /// still starting, before the sockets exist (see AppLaunch).
    static func proxyDirectory(runtimeDirectory: String, instanceID: String) -> String {
        "\(runtimeDirectory)/.dbus-proxy/\(instanceID)"
    }

    static func choose(appID: AppID, context: PermissionContext, instanceID: String, runtimeDirectory: String,
                       environment: [String: String], accessibility: AppLaunch.AccessibilityBus?) throws -> SandboxBuses {
        var buses = SandboxBuses()
        let proxyDirectory = proxyDirectory(runtimeDirectory: runtimeDirectory, instanceID: instanceID)
        if let address = environment["DBUS_SESSION_BUS_ADDRESS"], !address.isEmpty {
            if let proxy = DBusProxy(appID: appID, busAddress: address, proxySocket: "\(proxyDirectory)/bus",
                                     policy: context.sessionBusPolicy) {
                if context.sockets.contains(.sessionBus) {
                    buses.socket = proxy.busSocket
                } else {
                    buses.socket = proxy.proxySocket
                    buses.proxies.append(proxy)
                }
            } else {
                // An abstract or TCP address cannot be bound into a sandbox.
                let warning = "burrow: not offering the session bus: \(address) is not a unix:path= socket\n"
                _ = warning.withCString { write(2, $0, strlen($0)) }
            }
        }
        let systemAddress = environment["DBUS_SYSTEM_BUS_ADDRESS"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "unix:path=/run/dbus/system_bus_socket"
        if context.sockets.contains(.systemBus) || !context.systemBusPolicy.isEmpty,
           let proxy = DBusProxy(appID: appID, busAddress: systemAddress, proxySocket: "\(proxyDirectory)/system-bus",
                                 policy: context.systemBusPolicy, kind: .system),
           FileManager.default.fileExists(atPath: proxy.busSocket) {
            if context.sockets.contains(.systemBus) {
                buses.systemSocket = proxy.busSocket
            } else {
                buses.systemSocket = proxy.proxySocket
                buses.proxies.append(proxy)
            }
        }
        if let accessibility, let socket = accessibilitySocket(runtimeDirectory: runtimeDirectory),
           var proxy = DBusProxy(appID: appID, busAddress: "unix:path=\(socket)", proxySocket: "\(proxyDirectory)/a11y-bus",
                                 policy: BusPolicy(), kind: .accessibility) {
            proxy.accessibilityOwnNames = accessibility.ownNames
            buses.accessibilitySocket = proxy.proxySocket
            buses.proxies.append(proxy)
        }
        if !buses.proxies.isEmpty {
            try FileSystem.ensureDirectory(proxyDirectory, mode: 0o700)
            buses.proxyDirectory = proxyDirectory
        }
        return buses
    }

    /// The session's accessibility bus where at-spi2-core puts it,
    /// `$XDG_RUNTIME_DIR/at-spi/bus`, when it is up and ours. Looked up on
    /// disk rather than asked of org.a11y.Bus (as Flatpak does): no bus
    /// round trip per launch, and a launch never starts the accessibility
    /// stack of a session that has none.
    static func accessibilitySocket(runtimeDirectory: String) -> String? {
        let path = runtimeDirectory + "/at-spi/bus"
        var status = stat()
        guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFSOCK, status.st_uid == getuid() else { return nil }
        return path
    }
}
