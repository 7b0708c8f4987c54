import Glibc
public import PortalCommon

extension SandboxPlan {
    /// The host's display, audio and agent sockets, as the launcher found
    /// them; the plan binds those the context grants and no others.
    public struct HostSockets: Hashable, Sendable {
        public struct X11: Hashable, Sendable {
            public var socket: String
            /// The cookies for this display, already rewritten for `:99`
            /// (`XAuthority.sandboxCookies`); nil: no authority file.
            public var cookies: [UInt8]?
            public init(socket: String, cookies: [UInt8]? = nil) {
                self.socket = socket
                self.cookies = cookies
            }
        }

        public var wayland: String?
        public var x11: X11?
        public var pulseAudio: String?
        public var sshAgent: String?
        /// pcscd's socket (smart cards).
        public var pcsc: String?
        /// The CUPS scheduler's local socket.
        public var cups: String?
        /// gpg-agent's standard socket.
        public var gpgAgent: String?

        public init(wayland: String? = nil, x11: X11? = nil, pulseAudio: String? = nil, sshAgent: String? = nil,
                    pcsc: String? = nil, cups: String? = nil, gpgAgent: String? = nil) {
            self.wayland = wayland
            self.x11 = x11
            self.pulseAudio = pulseAudio
            self.sshAgent = sshAgent
            self.pcsc = pcsc
            self.cups = cups
            self.gpgAgent = gpgAgent
        }

        /// $XAUTHORITY (else ~/.Xauthority), reduced to `display`'s cookies.
        static func xauthority(environment: [String: String], display: Int) -> [UInt8]? {
            let path = environment["XAUTHORITY"].flatMap { $0.hasPrefix("/") ? $0 : nil }
                ?? environment["HOME"].map { "\($0)/.Xauthority" }
            guard let path, let file = try? FileSystem.contents(of: path, limit: 1 << 20) else { return nil }
            var name = [CChar](repeating: 0, count: 256)
            guard gethostname(&name, name.count - 1) == 0 else { return nil }
            return XAuthority.sandboxCookies(from: file, display: display, hostname: String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }

        /// Looks for the sockets the way Flatpak does: `$WAYLAND_DISPLAY`
        /// (default `wayland-0`) in the runtime directory, `$DISPLAY`'s
        /// `/tmp/.X11-unix/XN`, PulseAudio's `pulse/native`, `$SSH_AUTH_SOCK`.
        /// Only sockets that exist are returned, and only those `granted`
        /// could use: a launch looks up nothing (reads no ~/.Xauthority) for
        /// what its app may not have.
        public static func discover(environment: [String: String], runtimeDirectory: String,
                                    granted: Set<PermissionContext.Socket> = Set(PermissionContext.Socket.allCases)) -> HostSockets {
            func socket(_ path: String) -> String? {
                var info = stat()
                return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK ? path : nil
            }
            var sockets = HostSockets()
            let display = environment["WAYLAND_DISPLAY"].flatMap { $0.isEmpty ? nil : $0 } ?? "wayland-0"
            if granted.contains(.wayland) || granted.contains(.fallbackX11) {
                sockets.wayland = socket(display.hasPrefix("/") ? display : "\(runtimeDirectory)/\(display)")
            }
            if granted.contains(.x11) || granted.contains(.fallbackX11), let x = environment["DISPLAY"], x.hasPrefix(":"),
               let number = Int(x.dropFirst().prefix { $0.isNumber }) {
                sockets.x11 = socket("/tmp/.X11-unix/X\(number)").map { path in
                    X11(socket: path, cookies: Self.xauthority(environment: environment, display: number))
                }
            }
            if granted.contains(.pulseaudio) { sockets.pulseAudio = socket("\(runtimeDirectory)/pulse/native") }
            if granted.contains(.sshAuth) { sockets.sshAgent = environment["SSH_AUTH_SOCK"].flatMap(socket) }
            if granted.contains(.pcsc) { sockets.pcsc = socket(environment["PCSCLITE_CSOCK_NAME"] ?? "/run/pcscd/pcscd.comm") }
            if granted.contains(.cups) {
                // $CUPS_SERVER when it names a local socket, else the usual one.
                sockets.cups = environment["CUPS_SERVER"].flatMap { $0.hasPrefix("/") ? socket($0) : nil }
                    ?? socket("/run/cups/cups.sock") ?? socket("/var/run/cups/cups.sock")
            }
            if granted.contains(.gpgAgent) { sockets.gpgAgent = socket("\(runtimeDirectory)/gnupg/S.gpg-agent") }
            return sockets
        }
    }
}

extension SandboxPlan.Builder {
    /// Binds each granted socket at the place apps expect it inside, under
    /// a fixed name (no host naming leaks in), and points the variable at it.
    /// Runs after /tmp and the runtime directory exist.
    mutating func addSockets() {
        let host = input.hostSockets
        let granted = context.sockets
        if granted.contains(.wayland) {
            if let socket = host.wayland {
                steps.append(.roBind(source: socket, destination: "\(runtimeDirectory)/wayland-0"))
                steps.append(.setEnvironment("WAYLAND_DISPLAY", "wayland-0"))
            } else {
                notes.append("not sharing Wayland: no compositor socket on the host")
            }
        }
        // fallback-x11: X only when there is no Wayland to use instead.
        let wantsX11 = granted.contains(.x11)
            || (granted.contains(.fallbackX11) && !(granted.contains(.wayland) && host.wayland != nil))
        if wantsX11 {
            if let x11 = host.x11 {
                steps.append(.roBind(source: x11.socket, destination: "/tmp/.X11-unix/X99"))
                steps.append(.setEnvironment("DISPLAY", ":99.0"))
                if let cookies = x11.cookies {
                    steps.append(.roBindData(slot: data("Xauthority", cookies), path: "/run/flatpak/Xauthority"))
                    steps.append(.setEnvironment("XAUTHORITY", "/run/flatpak/Xauthority"))
                }
            } else {
                notes.append("not sharing X11: no X server socket for $DISPLAY")
            }
        }
        if granted.contains(.pulseaudio) {
            if let socket = host.pulseAudio {
                steps.append(.roBind(source: socket, destination: "\(runtimeDirectory)/pulse/native"))
                steps.append(.setEnvironment("PULSE_SERVER", "unix:\(runtimeDirectory)/pulse/native"))
            } else {
                notes.append("not sharing PulseAudio: no pulse/native socket")
            }
        }
        if granted.contains(.sshAuth) {
            if let socket = host.sshAgent {
                steps.append(.roBind(source: socket, destination: "/run/flatpak/ssh-auth"))
                steps.append(.setEnvironment("SSH_AUTH_SOCK", "/run/flatpak/ssh-auth"))
            } else {
                notes.append("not sharing the SSH agent: $SSH_AUTH_SOCK is not a socket")
            }
        }
        // Where Flatpak puts them, so clients find them without help.
        if granted.contains(.pcsc) {
            if let socket = host.pcsc {
                steps.append(.roBind(source: socket, destination: "/run/pcscd/pcscd.comm"))
                steps.append(.setEnvironment("PCSCLITE_CSOCK_NAME", "/run/pcscd/pcscd.comm"))
            } else {
                notes.append("not sharing smart cards: no pcscd socket")
            }
        }
        if granted.contains(.cups) {
            if let socket = host.cups {
                steps.append(.roBind(source: socket, destination: "/run/cups/cups.sock"))
                steps.append(.setEnvironment("CUPS_SERVER", "/run/cups/cups.sock"))
            } else {
                notes.append("not sharing printing: no CUPS socket")
            }
        }
        if granted.contains(.gpgAgent) {
            if let socket = host.gpgAgent {
                // gpg inside looks in $XDG_RUNTIME_DIR/gnupg, as on the host.
                steps.append(.roBind(source: socket, destination: "\(runtimeDirectory)/gnupg/S.gpg-agent"))
            } else {
                notes.append("not sharing gpg-agent: no agent socket in $XDG_RUNTIME_DIR/gnupg")
            }
        }
    }
}
