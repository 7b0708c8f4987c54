import PortalCommon

extension SandboxPlan {
    /// Accumulates steps and descriptor slots; `build()` lays the sandbox
    /// out in the order bwrap must create it (parents before children,
    /// grants after the defaults they may replace).
    struct Builder {
        let input: Input
        let hostPaths: any HostPaths
        var steps: [SetupStep] = []
        var descriptors: [Descriptor] = []
        var notes: [String] = []
        private var nextSlot: Int32

        init(input: Input, hostPaths: any HostPaths) {
            self.input = input
            self.hostPaths = hostPaths
            nextSlot = input.firstSlot + 1
        }

        var context: PermissionContext { input.context }
        var runtimeDirectory: String { input.sandboxRuntimeDirectory }

        /// Puts `bytes` in the next free descriptor slot.
        mutating func data(_ name: String, _ bytes: [UInt8]) -> Int32 {
            slot(for: .data(name: name, bytes: bytes))
        }

        mutating func slot(for content: DescriptorContent) -> Int32 {
            let slot = nextSlot
            nextSlot += 1
            descriptors.append(Descriptor(slot: slot, content: content))
            return slot
        }

        mutating func build() throws(SandboxError) {
            try checkInput()
            addNamespaces()
            addEnvironment()
            addRuntimeAndApp()
            addDevices()
            addScratchDirectories()
            try addEtc()
            try addFlatpakInfo()
            addHostResources()
            addAppDirectories()
            try addExports()
            try addFileBinds()
            addDocumentPortal()
            addSessionBus()
            addSockets()
            addSeccomp()
            steps.append(.chdir(input.workingDirectory ?? input.user.home))
        }

        private func checkInput() throws(SandboxError) {
            // /.flatpak-info is what portals decide on: it must name this app
            // and exactly the permissions this sandbox is built with.
            guard input.info.appID == input.appID, input.info.context == input.context.flattened else {
                throw SandboxError("the /.flatpak-info given does not match the app and permissions being sandboxed")
            }
            for (what, path) in [("home", input.user.home), ("runtime files", input.runtimeFiles)]
            where !path.hasPrefix("/") || path.split(separator: "/").contains("..") {
                throw SandboxError("the \(what) directory must be an absolute path without \"..\": \(path.debugDescription)")
            }
        }

        private mutating func addNamespaces() {
            // User and pid namespaces always; ipc and network unless shared.
            var namespaces: SetupStep.Namespaces = [.user, .pid]
            if !context.shared.contains(.ipc) { namespaces.insert(.ipc) }
            if !context.shared.contains(.network) { namespaces.insert(.network) }
            if let parent = input.parentNamespaces {
                // Inside the parent sandbox's user namespace, which already
                // allows no further ones (its --disable-userns), and in its
                // pid namespace or a new one below it.
                namespaces.remove(.user)
                if !parent.newPIDNamespace { namespaces.remove(.pid) }
                steps.append(.joinUserNamespace(slot: slot(for: parent.user)))
                steps.append(.joinPIDNamespace(slot: slot(for: parent.pid)))
                steps.append(.unshare(namespaces))
            } else {
                steps.append(.unshare(namespaces))
                // No user namespaces inside: the seccomp filter already refuses
                // them, and bwrap's max_user_namespaces=1 is the second lock, as
                // in Flatpak (needed the day the filter has a hole).
                steps.append(.disableUserNamespaces)
            }
            // The app does not outlive the launcher (or the portal that spawned it).
            steps.append(.dieWithParent)
            if input.newSession { steps.append(.newSession) }
        }

        private mutating func addEnvironment() {
            // Start from nothing: the app sees exactly the variables below,
            // never something bwrap or the launcher happened to inherit.
            steps.append(.clearEnvironment)
            for (name, value) in SandboxPlan.environment(for: input).sorted(by: { $0.key < $1.key }) {
                steps.append(.setEnvironment(name, value))
            }
        }

        private mutating func addRuntimeAndApp() {
            // Read-only: neither the app nor anything it runs may change the
            // code it runs from (or another sandbox sharing the deploy).
            steps.append(.roBind(source: input.runtimeFiles, destination: "/usr"))
            for name in input.runtimeLayout.usrMergedDirectories {
                steps.append(.symlink(target: "usr/\(name)", path: "/\(name)"))
            }
            if let appFiles = input.appFiles {
                steps.append(.roBind(source: appFiles, destination: "/app"))
            } else {
                steps.append(.dir("/app"))
            }
            // Every sandbox holds its deployments' .ref for as long as it
            // runs; an update retires the old deployment but deletes it only
            // once no lock is left (Installation.sweepRemovedDeployments).
            for (files, inside) in [(input.runtimeFiles, "/usr/.ref"), (input.appFiles, "/app/.ref")] {
                if let files, hostPaths.bindSource(for: files + "/.ref") != nil { steps.append(.lockFile(inside)) }
            }
        }

        private mutating func addDevices() {
            steps.append(.proc("/proc"))
            if context.devices.contains(.all) {
                // Every host device node; what `--device=all` asks for.
                steps.append(.devBind(source: "/dev", destination: "/dev"))
                return
            }
            // bwrap's own /dev: null, zero, full, random, urandom, tty, a
            // private devpts, and a private /dev/shm.
            steps.append(.dev("/dev"))
            var nodes: [String] = []
            if context.devices.contains(.dri) {
                nodes += ["/dev/dri", "/dev/mali0", "/dev/umplock", "/dev/nvidiactl", "/dev/nvidia-modeset",
                          "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools"]
                nodes += (0..<4).map { "/dev/nvidia\($0)" }
            }
            if context.devices.contains(.kvm) { nodes.append("/dev/kvm") }
            for node in nodes {
                if let source = hostPaths.bindSource(for: node) {
                    steps.append(.devBind(source: source, destination: node))
                }
            }
            if context.devices.contains(.shm), let source = hostPaths.bindSource(for: "/dev/shm") {
                steps.append(.bind(source: source, destination: "/dev/shm"))
            } else if let shared = input.perAppSharedMemory {
                steps.append(.bindFD(slot: slot(for: shared), destination: "/dev/shm", readOnly: false))
            }
        }

        private mutating func addScratchDirectories() {
            steps.append(.tmpfs("/tmp"))
            steps.append(.symlink(target: "../run", path: "/var/run"))
            steps.append(.dir("/run/host"))
            // A private XDG_RUNTIME_DIR: the host's holds every bus, display
            // and audio socket; those arrive one by one, as permitted.
            steps.append(.tmpfs(runtimeDirectory, mode: 0o700))
            // Hardware enumeration (GPU, input) reads these; read-only.
            for directory in ["/sys/block", "/sys/bus", "/sys/class", "/sys/dev", "/sys/devices"] {
                if let source = hostPaths.bindSource(for: directory) {
                    steps.append(.roBind(source: source, destination: directory))
                }
            }
        }

        /// Entries of the runtime's `etc` Flatpak never takes from the
        /// runtime: the sandbox's own user database, and host facts.
        static let hostOwnedEtcEntries: Set<String> = [
            "passwd", "group", "machine-id", "resolv.conf", "host.conf", "hosts", "gai.conf", "localtime",
            "timezone", "pkcs11",
        ]

        private mutating func addEtc() throws(SandboxError) {
            // /etc is built entry by entry (not a bind of the runtime's etc)
            // so that the entries below can be files of their own. The
            // runtime's are links into /usr/etc, where its files already
            // are, not bind mounts as Flatpak makes them: bwrap re-reads
            // /proc/self/mountinfo for every bind (~0.15 ms each here), and a
            // full runtime's etc has dozens of entries.
            for entry in input.runtimeLayout.etcEntries where !Self.hostOwnedEtcEntries.contains(entry.name) {
                switch entry {
                case .file(let name):
                    steps.append(.symlink(target: "/usr/etc/\(name)", path: "/etc/\(name)"))
                case .symlink(let name, let target):
                    steps.append(.symlink(target: target, path: "/etc/\(name)"))
                }
            }
            // The user database and the host's facts are copies on the
            // sandbox's root tmpfs (bwrap --file), where Flatpak binds each
            // read-only: each bind costs bwrap a re-read of mountinfo (~0.12
            // ms here). Safe because the copies are the sandbox's alone: an
            // app that rewrites its /etc/hosts or /etc/passwd changes only
            // what it reads itself, as it could already create any file in
            // /etc (the root tmpfs is writable in Flatpak's sandboxes too).
            // What others trust, /.flatpak-info, stays on a read-only mount.
            let (passwd, group) = try SandboxPlan.userDatabase(for: input.user)
            steps.append(.file(slot: data("passwd", Array(passwd.utf8)), path: "/etc/passwd", mode: 0o644))
            steps.append(.file(slot: data("group", Array(group.utf8)), path: "/etc/group", mode: 0o644))

            if let source = hostPaths.bindSource(for: "/etc/machine-id") ?? hostPaths.bindSource(for: "/var/lib/dbus/machine-id") {
                steps.append(.file(slot: slot(for: .hostFile(path: source)), path: "/etc/machine-id", mode: 0o644))
            }
            for name in ["resolv.conf", "host.conf", "hosts", "gai.conf", "timezone"] {
                if let source = hostPaths.bindSource(for: "/etc/\(name)") {
                    steps.append(.file(slot: slot(for: .hostFile(path: source)), path: "/etc/\(name)", mode: 0o644))
                }
            }
            // The host's zone, as a link into the runtime's zoneinfo when the
            // host's is one (tzdata versions differ; the name is what counts).
            if let target = hostPaths.symbolicLinkTarget(at: "/etc/localtime"), let zone = Self.zoneName(linkTarget: target) {
                steps.append(.symlink(target: "/usr/share/zoneinfo/" + zone, path: "/etc/localtime"))
            } else if let source = hostPaths.bindSource(for: "/etc/localtime") {
                steps.append(.file(slot: slot(for: .hostFile(path: source)), path: "/etc/localtime", mode: 0o644))
            }
        }

        /// `Europe/Paris` from `/usr/share/zoneinfo/Europe/Paris` (or `../usr/…`).
        static func zoneName(linkTarget: String) -> Substring? {
            let marker = "zoneinfo/"
            var index = linkTarget.startIndex
            while index < linkTarget.endIndex {
                if linkTarget[index...].hasPrefix(marker) {
                    let zone = linkTarget[linkTarget.index(index, offsetBy: marker.count)...]
                    return zone.isEmpty ? nil : zone
                }
                index = linkTarget.index(after: index)
            }
            return nil
        }

        private mutating func addFlatpakInfo() throws(SandboxError) {
            let text: String
            do {
                text = try input.info.serialized(fileName: "/.flatpak-info")
            } catch {
                throw SandboxError("cannot write /.flatpak-info: \(error)")
            }
            // As Flatpak does: a real file first, then a read-only bind of a
            // copy over it. The identity portals trust must sit on a
            // read-only mount, which burrow's portals check.
            let bytes = Array(text.utf8)
            steps.append(.file(slot: data("flatpak-info", bytes), path: "/.flatpak-info"))
            steps.append(.roBindData(slot: data("flatpak-info", bytes), path: "/.flatpak-info"))
            steps.append(.symlink(target: "../../../.flatpak-info", path: "\(runtimeDirectory)/flatpak-info"))
        }

        private mutating func addDocumentPortal() {
            guard let mount = input.documentPortalMount else { return }
            // Only this app's view of the document store, never the whole store.
            let source = "\(mount)/by-app/\(input.appID.rawValue)"
            guard let bound = hostPaths.bindSource(for: source) else {
                notes.append("not sharing the document portal: \(source) does not exist")
                return
            }
            steps.append(.bind(source: bound, destination: "/run/flatpak/doc"))
            steps.append(.symlink(target: "/run/flatpak/doc", path: "\(runtimeDirectory)/doc"))
        }

        private mutating func addSessionBus() {
            if let directory = input.busProxyDirectory,
               [input.sessionBusSocket, input.systemBusSocket, input.accessibilityBusSocket]
                .contains(where: { $0.map(FileSystem.parent) == directory }) {
                // Read-only: the app connects to the sockets, it can never
                // replace them or leave files beside them.
                steps.append(.roBind(source: directory, destination: SandboxPlan.busProxyMount))
            }
            if let accessibility = input.accessibilityBusSocket {
                placeBusSocket(accessibility, at: "\(runtimeDirectory)/at-spi-bus")
                steps.append(.setEnvironment("AT_SPI_BUS_ADDRESS", "unix:path=\(runtimeDirectory)/at-spi-bus"))
            }
            if let system = input.systemBusSocket {
                placeBusSocket(system, at: "/run/dbus/system_bus_socket")
                steps.append(.setEnvironment("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/run/dbus/system_bus_socket"))
            }
            guard let socket = input.sessionBusSocket else { return }
            // Flatpak's places: /run/flatpak/bus, and $XDG_RUNTIME_DIR/bus for
            // clients that look there.
            placeBusSocket(socket, at: "/run/flatpak/bus")
            steps.append(.symlink(target: "/run/flatpak/bus", path: "\(runtimeDirectory)/bus"))
            steps.append(.setEnvironment("DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/flatpak/bus"))
        }

        /// A proxy's socket is a symlink into the proxy's directory; the
        /// real bus (`--socket=session-bus`) is bound as the file it is.
        private mutating func placeBusSocket(_ socket: String, at destination: String) {
            if let directory = input.busProxyDirectory, FileSystem.parent(of: socket) == directory {
                steps.append(.dir(FileSystem.parent(of: destination)))
                steps.append(.symlink(target: "\(SandboxPlan.busProxyMount)/\(FileSystem.basename(of: socket))", path: destination))
            } else {
                steps.append(.bind(source: socket, destination: destination))
            }
        }

        /// A descriptor slot for a file handed to bwrap as it is.
        mutating func slot(for file: UnixFD) -> Int32 {
            let slot = nextSlot
            nextSlot += 1
            descriptors.append(Descriptor(slot: slot, content: .file(file)))
            return slot
        }

        /// Files bound by descriptor land on top of every grant, but never
        /// on the sandbox's own plumbing.
        private mutating func addFileBinds() throws(SandboxError) {
            for bind in input.fileBinds {
                let destination = bind.destination
                guard destination.hasPrefix("/"), !destination.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) else {
                    throw SandboxError("cannot bind a file at \(destination.debugDescription): not a plain absolute path")
                }
                if let reserved = Self.reservedPaths.first(where: { Self.isSameOrBelow(destination, $0) }) {
                    throw SandboxError("cannot bind a file at \(destination): \(reserved) is reserved for the sandbox")
                }
                steps.append(.bindFD(slot: slot(for: bind.file), destination: destination, readOnly: bind.readOnly))
            }
        }

        private mutating func addSeccomp() {
            let slot = nextSlot
            nextSlot += 1
            descriptors.append(Descriptor(slot: slot, content: .seccomp(SeccompFilter(options: .init(features: context.features)))))
            steps.append(.seccomp(slot: slot))
        }
    }
}
