import PortalCommon
import Runtime

/// Spawn's flags (org.freedesktop.portal.Flatpak, version 8).
struct SpawnFlags: OptionSet, Sendable {
    let rawValue: UInt32
    static let clearEnvironment = Self(rawValue: 1)
    static let latestVersion = Self(rawValue: 2)
    static let sandbox = Self(rawValue: 4)
    static let noNetwork = Self(rawValue: 8)
    static let watchBus = Self(rawValue: 16)
    static let exposePIDs = Self(rawValue: 32)
    static let notifyStart = Self(rawValue: 64)
    static let sharePIDs = Self(rawValue: 128)
    static let emptyApp = Self(rawValue: 256)
    static let known = Self(rawValue: 511)
}

/// `sandbox-flags`: what a sub-sandbox may keep of its parent's devices
/// and sockets.
struct SandboxFlags: OptionSet, Sendable {
    let rawValue: UInt32
    static let display = Self(rawValue: 1)
    static let sound = Self(rawValue: 2)
    static let gpu = Self(rawValue: 4)
    static let sessionBus = Self(rawValue: 8)
    static let accessibility = Self(rawValue: 16)
    static let input = Self(rawValue: 32)
    static let usb = Self(rawValue: 64)
    static let kvm = Self(rawValue: 128)
    static let sharedMemory = Self(rawValue: 256)
    static let allDevices = Self(rawValue: 512)
    static let known = Self(rawValue: 1023)
}

/// A validated Spawn call, turned into a launch of the caller's app.
/// Nothing the app sends reaches the host side's own environment or option
/// parsing: variables become the sandbox's [Environment] only (the
/// CVE-2021-21261 class: LD_PRELOAD and friends set for the launcher
/// itself), and the command and its arguments are the sandbox's argv after
/// bwrap's `--`.
struct SpawnRequest {
    let argv: [String]
    let workingDirectory: String?
    /// Target descriptor number in the new sandbox → the caller's fd.
    let descriptors: [Int32: UnixFD]
    let environment: [String: String]
    let unsetEnvironment: [String]
    let flags: SpawnFlags
    let sandboxFlags: SandboxFlags
    let exposed: [(name: String, readOnly: Bool)]
    /// sandbox-expose-fd(-ro): the caller's own descriptors, bound where the
    /// caller sees them.
    let exposedFiles: [(file: UnixFD, readOnly: Bool)]
    /// sandbox-a11y-own-names: names the sub-sandbox may own on the
    /// accessibility bus (checked against the app's ID at launch).
    let accessibilityOwnNames: [String]
    /// usr-fd / app-fd: the caller's /usr or /app, shown read-only at
    /// /run/parent/usr and /run/parent/app.
    let parentTrees: [(file: UnixFD, destination: String)]

    init(arguments: [DBusValue]) throws(PortalError) {
        guard arguments.count == 6 else { throw .invalidArgs("Spawn takes 6 arguments") }
        let cwd = Self.text(try [UInt8](dbusValue: arguments[0]))
        workingDirectory = cwd.isEmpty ? nil : cwd
        if let cwd = workingDirectory, !cwd.hasPrefix("/") {
            throw .invalidArgument("the working directory must be an absolute path inside the sandbox, not '\(cwd)'")
        }
        argv = try [[UInt8]](dbusValue: arguments[1]).map(Self.text)
        guard let command = argv.first, !command.isEmpty else { throw .invalidArgument("argv is empty: there is no command to run") }
        descriptors = try [UInt32: UnixFD](dbusValue: arguments[2]).reduce(into: [:]) { mapped, entry in
            mapped[Int32(truncatingIfNeeded: entry.key)] = entry.value
        }
        if let bad = descriptors.keys.first(where: { $0 < 0 || $0 > 1023 }) {
            throw .invalidArgument("descriptor number \(bad) is out of range (0–1023)")
        }
        environment = try [String: String](dbusValue: arguments[3])
        for name in environment.keys where !Self.isVariableName(name) {
            throw .invalidArgument("'\(name)' is not an environment variable name")
        }
        let rawFlags = try UInt32(dbusValue: arguments[4])
        guard rawFlags & ~SpawnFlags.known.rawValue == 0 else {
            throw .invalidArgument("unknown Spawn flags 0x\(String(rawFlags & ~SpawnFlags.known.rawValue, radix: 16))")
        }
        flags = SpawnFlags(rawValue: rawFlags)
        let options = try [String: Variant](dbusValue: arguments[5])

        unsetEnvironment = try Self.strings(options["unset-env"], "unset-env")
        for name in unsetEnvironment where !Self.isVariableName(name) {
            throw .invalidArgument("'\(name)' in unset-env is not an environment variable name")
        }
        let rawSandboxFlags = try Self.uint32(options["sandbox-flags"], "sandbox-flags")
        guard rawSandboxFlags & ~SandboxFlags.known.rawValue == 0 else {
            throw .invalidArgument("unknown sandbox-flags 0x\(String(rawSandboxFlags & ~SandboxFlags.known.rawValue, radix: 16))")
        }
        sandboxFlags = SandboxFlags(rawValue: rawSandboxFlags)
        accessibilityOwnNames = try Self.strings(options["sandbox-a11y-own-names"], "sandbox-a11y-own-names")
        if !accessibilityOwnNames.isEmpty && !(flags.contains(.sandbox) && sandboxFlags.contains(.accessibility)) {
            throw .invalidArgument("sandbox-a11y-own-names needs the SANDBOX flag (4) and sandbox-flags 16 (the accessibility bus)")
        }
        var exposed: [(String, Bool)] = []
        for (key, readOnly) in [("sandbox-expose", false), ("sandbox-expose-ro", true)] {
            for name in try Self.strings(options[key], key) {
                // A plain name inside ~/.var/app/ID/sandbox: nothing else of
                // the parent's files can be named.
                guard !name.isEmpty, name != ".", name != "..", !name.contains("/") else {
                    throw .invalidArgument("'\(name)' in \(key) must be a plain name inside the app's sandbox directory")
                }
                exposed.append((name, readOnly))
            }
        }
        self.exposed = exposed
        var exposedFiles: [(UnixFD, Bool)] = []
        for (key, readOnly) in [("sandbox-expose-fd", false), ("sandbox-expose-fd-ro", true)] {
            guard let option = options[key] else { continue }
            do {
                exposedFiles += try [UnixFD](dbusValue: option.value).map { ($0, readOnly) }
            } catch {
                throw .invalidArgument("option '\(key)' must be an array of file descriptors (ah)")
            }
        }
        self.exposedFiles = exposedFiles
        var parentTrees: [(UnixFD, String)] = []
        for (key, destination) in [("usr-fd", "/run/parent/usr"), ("app-fd", "/run/parent/app")] {
            guard let option = options[key] else { continue }
            guard case .unixFD(let file) = option.value else { throw .invalidArgument("option '\(key)' must be a file descriptor (h)") }
            parentTrees.append((file, destination))
        }
        self.parentTrees = parentTrees
    }

    /// The launch of a new instance of the caller's app, as Spawn asks.
    func launch(for caller: AppInfo.SandboxedApp, environment: [String: String]) throws(PortalError) -> AppLaunch.Request {
        let instance = caller.info.instance
        guard let arch = instance.arch, let branch = instance.branch else {
            throw .failed("the caller's /.flatpak-info names no arch or branch: it was not started from an installation")
        }
        let ref: FlatpakRef
        do { ref = try FlatpakRef(kind: .app, id: caller.appID, arch: arch, branch: branch) } catch { throw error.portalError }
        guard let installation = [Installation.user(environment: environment), Installation.system(environment: environment)]
            .first(where: { (try? $0.activeCommit(of: ref)) != nil }) else {
            throw .notFound("\(ref) is not installed any more")
        }
        var request = AppLaunch.Request(installation: installation, app: ref, environment: environment)
        if !flags.contains(.latestVersion) {
            // The caller's own commits: a sibling runs the same code even
            // if an update was installed since the caller started.
            request.commit = instance.appCommit
            request.runtimeCommit = instance.runtimeCommit
        }
        request.command = argv[0]
        request.arguments = Array(argv.dropFirst())
        request.workingDirectory = workingDirectory
        request.sandboxed = flags.contains(.sandbox)
        request.emptyApp = flags.contains(.emptyApp)
        request.forwarded = Set(descriptors.keys.filter { $0 > 2 })
        request.extraContext = try context(parent: caller)
        // A sub-sandbox reaches the accessibility bus only with
        // sandbox-flags 16; a sibling has it as the app itself does.
        if flags.contains(.sandbox) && !sandboxFlags.contains(.accessibility) {
            request.accessibility = nil
        } else {
            do {
                request.accessibility = try AppLaunch.AccessibilityBus(ownNames: accessibilityOwnNames, appID: caller.appID)
            } catch {
                throw .invalidArgument(error.message)
            }
        }
        if flags.contains(.sandbox) {
            request.fileBinds = try exposedFiles.map { (file, readOnly) throws(PortalError) in
                try ExposedFile.bind(file, readOnly: readOnly)
            }
        }
        request.fileBinds += try parentTrees.map { (file, destination) throws(PortalError) in
            try ExposedFile.directory(file, at: destination)
        }
        if !flags.isDisjoint(with: [.exposePIDs, .sharePIDs]) {
            // SHARE_PIDS: the caller's pid namespace itself; EXPOSE_PIDS: a
            // new one below it, so the caller sees the new processes.
            request.parentNamespaces = try CallerNamespaces.of(
                caller, runtimeDirectory: SandboxPlan.User.runtimeDirectory(environment: environment),
                newPIDNamespace: !flags.contains(.sharePIDs))
        }
        return request
    }

    /// What the new sandbox gets on top of the app's context (or, for a
    /// sub-sandbox, instead of it): written as a keyfile [Context], like
    /// the command line's options, so the same parser reads both.
    private func context(parent: AppInfo.SandboxedApp) throws(PortalError) -> PermissionContext {
        let keyFile = KeyFile(fileName: "Spawn")
        do {
            var shared: [String] = []
            if flags.contains(.noNetwork) { shared.append("!network") }
            var sockets: [String] = [], devices: [String] = [], filesystems: [String] = []
            if flags.contains(.sandbox) {
                // A sub-sandbox gets back only what sandbox-flags asks for
                // *and* the parent holds: never more than its parent.
                let held = parent.info.context
                func keep(_ flag: SandboxFlags, _ wanted: [PermissionContext.Socket] = [], _ wantedDevices: [PermissionContext.Device] = []) {
                    guard sandboxFlags.contains(flag) else { return }
                    sockets += wanted.filter { held.sockets.contains($0) }.map(\.rawValue)
                    devices += wantedDevices.filter { held.devices.contains($0) }.map(\.rawValue)
                }
                keep(.display, [.wayland, .x11, .fallbackX11])
                keep(.sound, [.pulseaudio])
                keep(.gpu, [], [.dri])
                keep(.kvm, [], [.kvm])
                keep(.sharedMemory, [], [.shm])
                keep(.allDevices, [], [.all])
                if !exposed.isEmpty {
                    guard let instancePath = parent.info.instance.instancePath, instancePath.hasPrefix("/") else {
                        throw PortalError.invalidArgument("sandbox-expose needs the caller's instance-path, which its /.flatpak-info lacks")
                    }
                    filesystems = exposed.map { "\(instancePath)/sandbox/\($0.name)\($0.readOnly ? ":ro" : "")" }
                }
            }
            for (key, values) in [("shared", shared), ("sockets", sockets), ("devices", devices), ("filesystems", filesystems)]
                where !values.isEmpty {
                try keyFile.set(values, forKey: key, in: "Context")
            }
            if !unsetEnvironment.isEmpty { try keyFile.set(unsetEnvironment, forKey: "unset-environment", in: "Context") }
            for (name, value) in environment { try keyFile.set(value, forKey: name, in: "Environment") }
            return try PermissionContext(keyFile: keyFile)
        } catch let error as PortalError {
            throw error
        } catch {
            throw .invalidArgument("the Spawn request cannot be expressed as a sandbox context: \(error)")
        }
    }

    private static func text(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    private static func isVariableName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains("=") && !name.utf8.contains(0)
    }

    private static func strings(_ option: Variant?, _ key: String) throws(PortalError) -> [String] {
        guard let option else { return [] }
        do { return try [String](dbusValue: option.value) } catch { throw .invalidArgument("option '\(key)' must be a string array") }
    }

    private static func uint32(_ option: Variant?, _ key: String) throws(PortalError) -> UInt32 {
        guard let option else { return 0 }
        guard case .uint32(let value) = option.value else { throw .invalidArgument("option '\(key)' must be a uint32") }
        return value
    }
}
