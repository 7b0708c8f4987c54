import PortalCommon

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

/// A validated Spawn call, turned into the `burrow run` command line that
/// starts the new instance. Nothing the app sends reaches the host side's
/// own environment or option parsing: variables go in as `--env=` for the
/// sandbox only (the CVE-2021-21261 class: LD_PRELOAD and friends set for
/// the launcher itself), and the command and its arguments come after the
/// app ID, where `burrow run` reads nothing as an option.
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

        for unsupported in ["sandbox-expose-fd", "sandbox-expose-fd-ro", "usr-fd", "app-fd", "sandbox-a11y-own-names"]
            where options[unsupported] != nil {
            throw PortalError(name: "org.freedesktop.DBus.Error.NotSupported",
                              message: "burrow does not offer the Spawn option '\(unsupported)' yet")
        }
        if !flags.isDisjoint(with: [.exposePIDs, .sharePIDs]) {
            // The `supports` property says 0: callers are told up front.
            throw PortalError(name: "org.freedesktop.DBus.Error.NotSupported",
                              message: "burrow does not support EXPOSE_PIDS or SHARE_PIDS (see the 'supports' property)")
        }
        unsetEnvironment = try Self.strings(options["unset-env"], "unset-env")
        for name in unsetEnvironment where !Self.isVariableName(name) {
            throw .invalidArgument("'\(name)' in unset-env is not an environment variable name")
        }
        let rawSandboxFlags = try Self.uint32(options["sandbox-flags"], "sandbox-flags")
        guard rawSandboxFlags & ~SandboxFlags.known.rawValue == 0 else {
            throw .invalidArgument("unknown sandbox-flags 0x\(String(rawSandboxFlags & ~SandboxFlags.known.rawValue, radix: 16))")
        }
        sandboxFlags = SandboxFlags(rawValue: rawSandboxFlags)
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
    }

    /// The `burrow run` arguments (after the program name) for a caller.
    func launcherArguments(for caller: AppInfo.SandboxedApp, instanceIDSlot: Int32) throws(PortalError) -> [String] {
        let instance = caller.info.instance
        var arguments = ["run"]
        if let branch = instance.branch { arguments.append("--branch=\(branch)") }
        if let arch = instance.arch { arguments.append("--arch=\(arch)") }
        if !flags.contains(.latestVersion) {
            // The caller's own commits: a sibling runs the same code even
            // if an update was installed since the caller started.
            if let commit = instance.appCommit { arguments.append("--commit=\(commit)") }
            if let commit = instance.runtimeCommit { arguments.append("--runtime-commit=\(commit)") }
        }
        if flags.contains(.emptyApp) { arguments.append("--empty-app") }
        if flags.contains(.noNetwork) { arguments.append("--unshare=network") }
        if flags.contains(.sandbox) { arguments += try subSandboxArguments(parent: caller) }
        arguments += descriptors.keys.filter { $0 > 2 }.sorted().map { "--forward-fd=\($0)" }
        arguments.append("--instance-id-fd=\(instanceIDSlot)")
        if let workingDirectory { arguments.append("--cwd=\(workingDirectory)") }
        arguments += environment.keys.sorted().map { "--env=\($0)=\(environment[$0]!)" }
        arguments += unsetEnvironment.map { "--unset-env=\($0)" }
        arguments += ["--command=\(argv[0])", caller.appID.rawValue]
        arguments += argv.dropFirst()
        return arguments
    }

    /// A sub-sandbox starts from nothing (`--sandbox`) and gets back only
    /// what sandbox-flags asks for *and* the parent holds: it can never
    /// have more than its parent.
    private func subSandboxArguments(parent: AppInfo.SandboxedApp) throws(PortalError) -> [String] {
        let context = parent.info.context
        var arguments = ["--sandbox"]
        func keep(_ flag: SandboxFlags, sockets: [PermissionContext.Socket] = [], devices: [PermissionContext.Device] = []) {
            guard sandboxFlags.contains(flag) else { return }
            arguments += sockets.filter { context.sockets.contains($0) }.map { "--socket=\($0.rawValue)" }
            arguments += devices.filter { context.devices.contains($0) }.map { "--device=\($0.rawValue)" }
        }
        keep(.display, sockets: [.wayland, .x11, .fallbackX11])
        keep(.sound, sockets: [.pulseaudio])
        keep(.gpu, devices: [.dri])
        keep(.kvm, devices: [.kvm])
        keep(.sharedMemory, devices: [.shm])
        keep(.allDevices, devices: [.all])
        guard let instancePath = parent.info.instance.instancePath, instancePath.hasPrefix("/") else {
            if exposed.isEmpty { return arguments }
            throw .invalidArgument("sandbox-expose needs the caller's instance-path, which its /.flatpak-info lacks")
        }
        for (name, readOnly) in exposed {
            arguments.append("--filesystem=\(instancePath)/sandbox/\(name)\(readOnly ? ":ro" : "")")
        }
        return arguments
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
