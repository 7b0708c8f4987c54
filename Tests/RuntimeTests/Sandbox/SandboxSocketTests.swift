import Foundation
import PortalCommon
import Runtime
import TestSupport
import Testing

/// Display, audio and agent sockets as plan steps: bound only when granted
/// and present, always under fixed names inside.
@Suite("Sandbox plan: sockets")
struct SandboxSocketTests {
    static let host = SandboxPlan.HostSockets(
        wayland: "/run/user/1000/wayland-1", x11: .init(socket: "/tmp/.X11-unix/X3"),
        pulseAudio: "/run/user/1000/pulse/native", sshAgent: "/tmp/ssh-XYZ/agent.42",
        pcsc: "/run/pcscd/pcscd.comm", cups: "/run/cups/cups.sock", gpgAgent: "/run/user/1000/gnupg/S.gpg-agent")

    static func steps(_ sockets: [String], host: SandboxPlan.HostSockets = Self.host) throws -> [SetupStep] {
        let context = try SandboxPlanTests.context { context in
            for name in sockets { context.sockets.grant(PermissionContext.Socket(rawValue: name)!) }
        }
        var input = try SandboxPlanTests.input(context)
        input.hostSockets = host
        let socketish: Set<String> = ["WAYLAND_DISPLAY", "DISPLAY", "PULSE_SERVER", "SSH_AUTH_SOCK", "PCSCLITE_CSOCK_NAME", "CUPS_SERVER"]
        return try SandboxPlan(input, hostPaths: SandboxPlanTests.host).steps.filter { step in
            switch step {
            case .roBind(let source, _):
                return ["wayland", "X11", "pulse", "ssh", "pcscd", "cups", "gnupg"].contains { source.contains($0) }
            case .setEnvironment(let name, _): return socketish.contains(name)
            default: return false
            }
        }
    }

    @Test func nothingGrantedNothingShared() throws {
        #expect(try Self.steps([]) == [])
    }

    @Test func eachGrantBindsItsSocket() throws {
        #expect(try Self.steps(["wayland", "pulseaudio", "ssh-auth", "x11"]) == [
            .roBind(source: "/run/user/1000/wayland-1", destination: "/run/user/1000/wayland-0"),
            .setEnvironment("WAYLAND_DISPLAY", "wayland-0"),
            .roBind(source: "/tmp/.X11-unix/X3", destination: "/tmp/.X11-unix/X99"),
            .setEnvironment("DISPLAY", ":99.0"),
            .roBind(source: "/run/user/1000/pulse/native", destination: "/run/user/1000/pulse/native"),
            .setEnvironment("PULSE_SERVER", "unix:/run/user/1000/pulse/native"),
            .roBind(source: "/tmp/ssh-XYZ/agent.42", destination: "/run/flatpak/ssh-auth"),
            .setEnvironment("SSH_AUTH_SOCK", "/run/flatpak/ssh-auth"),
        ])
    }

    @Test func smartCardsPrintingAndGPGAgentWhereFlatpakPutsThem() throws {
        #expect(try Self.steps(["pcsc", "cups", "gpg-agent"]) == [
            .roBind(source: "/run/pcscd/pcscd.comm", destination: "/run/pcscd/pcscd.comm"),
            .setEnvironment("PCSCLITE_CSOCK_NAME", "/run/pcscd/pcscd.comm"),
            .roBind(source: "/run/cups/cups.sock", destination: "/run/cups/cups.sock"),
            .setEnvironment("CUPS_SERVER", "/run/cups/cups.sock"),
            .roBind(source: "/run/user/1000/gnupg/S.gpg-agent", destination: "/run/user/1000/gnupg/S.gpg-agent"),
        ])
        #expect(try Self.steps(["wayland"]).allSatisfy { step in
            if case .roBind(let source, _) = step { return source.contains("wayland") } else { return true }
        }, "nothing of them without the grant")
    }

    @Test func fallbackX11OnlyWithoutWayland() throws {
        let withWayland = try Self.steps(["wayland", "fallback-x11"])
        #expect(!withWayland.contains(.setEnvironment("DISPLAY", ":99.0")))
        var noCompositor = Self.host
        noCompositor.wayland = nil
        let withoutWayland = try Self.steps(["wayland", "fallback-x11"], host: noCompositor)
        #expect(withoutWayland == [.roBind(source: "/tmp/.X11-unix/X3", destination: "/tmp/.X11-unix/X99"),
                                   .setEnvironment("DISPLAY", ":99.0")])
    }

    @Test func grantedButMissingIsANoteNotABind() throws {
        let context = try SandboxPlanTests.context { $0.sockets.grant(.pulseaudio) }
        let plan = try SandboxPlan(try SandboxPlanTests.input(context), hostPaths: SandboxPlanTests.host)
        #expect(plan.notes.contains { $0.contains("PulseAudio") })
        #expect(!plan.bwrapArguments().contains("PULSE_SERVER"))
    }

    /// The proxy's sockets are links into its directory, bound read-only
    /// (the proxy may not have made them yet when bwrap binds); the real
    /// bus, given with --socket=session-bus, is bound as the socket it is.
    @Test func proxiedBusesAreLinksIntoTheProxysDirectory() throws {
        func busSteps(session: String?, system: String?) throws -> [SetupStep] {
            var input = try SandboxPlanTests.input()
            input.sessionBusSocket = session
            input.systemBusSocket = system
            input.busProxyDirectory = "/run/user/1000/.dbus-proxy/42"
            return try SandboxPlan(input, hostPaths: SandboxPlanTests.host).steps.filter { step in
                switch step {
                case .roBind(_, let destination), .bind(_, let destination), .symlink(_, let destination), .dir(let destination, _):
                    return destination.hasPrefix("/run/flatpak") || destination.hasPrefix("/run/dbus") || destination.hasSuffix("/bus")
                default: return false
                }
            }
        }
        #expect(try busSteps(session: "/run/user/1000/.dbus-proxy/42/bus", system: "/run/user/1000/.dbus-proxy/42/system-bus") == [
            .roBind(source: "/run/user/1000/.dbus-proxy/42", destination: "/run/flatpak/dbus-proxy"),
            .dir("/run/dbus"),
            .symlink(target: "/run/flatpak/dbus-proxy/system-bus", path: "/run/dbus/system_bus_socket"),
            .dir("/run/flatpak"),
            .symlink(target: "/run/flatpak/dbus-proxy/bus", path: "/run/flatpak/bus"),
            .symlink(target: "/run/flatpak/bus", path: "/run/user/1000/bus"),
        ])
        #expect(try busSteps(session: "/run/user/1000/bus", system: nil) == [
            .bind(source: "/run/user/1000/bus", destination: "/run/flatpak/bus"),
            .symlink(target: "/run/flatpak/bus", path: "/run/user/1000/bus"),
        ])
    }

    @Test func theAccessibilityBusIsFlatpaksPlaceAndVariable() throws {
        var input = try SandboxPlanTests.input()
        input.accessibilityBusSocket = "/run/user/1000/.dbus-proxy/42/a11y-bus"
        input.busProxyDirectory = "/run/user/1000/.dbus-proxy/42"
        let steps = try SandboxPlan(input, hostPaths: SandboxPlanTests.host).steps
        #expect(steps.contains(.roBind(source: "/run/user/1000/.dbus-proxy/42", destination: "/run/flatpak/dbus-proxy")))
        #expect(steps.contains(.symlink(target: "/run/flatpak/dbus-proxy/a11y-bus", path: "/run/user/1000/at-spi-bus")))
        #expect(steps.contains(.setEnvironment("AT_SPI_BUS_ADDRESS", "unix:path=/run/user/1000/at-spi-bus")))
    }

    /// Flatpak's fixed rules, and owned names only under the app's ID.
    @Test func theAccessibilityProxyLetsThroughOnlyTheBridgesCalls() throws {
        let appID = SandboxPlanTests.appID
        var proxy = try #require(DBusProxy(appID: appID, busAddress: "unix:path=/run/user/1000/at-spi/bus",
                                           proxySocket: "/p/a11y-bus", policy: BusPolicy(), kind: .accessibility))
        proxy.accessibilityOwnNames = try AppLaunch.AccessibilityBus(ownNames: [appID.rawValue + ".Sub"], appID: appID).ownNames
        let arguments = proxy.proxyArguments
        #expect(Array(arguments.prefix(4)) == ["unix:path=/run/user/1000/at-spi/bus", "/p/a11y-bus", "--filter", "--sloppy-names"])
        #expect(arguments.filter { $0.hasPrefix("--call=") }.count == 7)
        #expect(arguments.allSatisfy { !$0.hasPrefix("--talk=") && !$0.hasPrefix("--see=") })
        #expect(arguments.last == "--own=org.burrow.Hello.Sub")
        #expect(throws: SandboxError.self) { try AppLaunch.AccessibilityBus(ownNames: ["org.burrow.HelloWorld"], appID: appID) }
        #expect(throws: SandboxError.self) { try AppLaunch.AccessibilityBus(ownNames: ["org.a11y.atspi.Registry"], appID: appID) }
    }

    /// Discovery looks only for what the app was granted: real sockets on
    /// disk, found when granted and ignored (not even stat'ed) when not.
    @Test func discoveryLooksOnlyForGrantedSockets() throws {
        let directory = try TemporaryDirectory.make(prefix: "burrow-sockets")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(atPath: directory.path + "/pulse", withIntermediateDirectories: true)
        // A bound socket's file stays behind, of type socket, once closed.
        for name in ["pulse/native", "wayland-0"] {
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let path = Array((directory.path + "/" + name).utf8CString)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path.map { UInt8(bitPattern: $0) }) }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            try #require(bound == 0)
        }
        let found = SandboxPlan.HostSockets.discover(environment: [:], runtimeDirectory: directory.path,
                                                   granted: [.pulseaudio, .wayland])
        #expect(found.pulseAudio == directory.path + "/pulse/native")
        #expect(found.wayland == directory.path + "/wayland-0")
        let none = SandboxPlan.HostSockets.discover(environment: [:], runtimeDirectory: directory.path, granted: [])
        #expect(none.pulseAudio == nil && none.wayland == nil)
    }
}
