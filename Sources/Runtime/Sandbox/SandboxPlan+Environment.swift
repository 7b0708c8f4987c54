import PortalCommon

extension SandboxPlan {
    /// Variables never passed from the host, as in Flatpak's run defaults:
    /// they name host paths that do not exist inside (or worse, load host
    /// code into runtime processes: LD_PRELOAD, GIO_EXTRA_MODULES, GStreamer
    /// and Vulkan plugin paths), or are replaced below.
    static let hostOnlyVariables: Set<String> = [
        "LD_LIBRARY_PATH", "LD_PRELOAD", "LD_AUDIT", "TMPDIR", "PYTHONPATH", "PERLLIB", "PERL5LIB",
        "XCURSOR_PATH", "GST_PLUGIN_PATH_1_0", "GST_REGISTRY", "GST_REGISTRY_1_0", "GST_PLUGIN_PATH",
        "GST_PLUGIN_SYSTEM_PATH", "GST_PLUGIN_SCANNER", "GST_PLUGIN_SCANNER_1_0", "GST_PLUGIN_SYSTEM_PATH_1_0",
        "GST_PRESET_PATH", "GST_PTP_HELPER", "GST_PTP_HELPER_1_0", "GST_INSTALL_PLUGINS_HELPER", "KRB5CCNAME",
        "XKB_CONFIG_ROOT", "GIO_EXTRA_MODULES", "GDK_BACKEND", "VK_ADD_DRIVER_FILES", "VK_ADD_LAYER_PATH",
        "VK_DRIVER_FILES", "VK_ICD_FILENAMES", "VK_LAYER_PATH", "__EGL_EXTERNAL_PLATFORM_CONFIG_DIRS",
        "__EGL_EXTERNAL_PLATFORM_CONFIG_FILENAMES", "__EGL_VENDOR_LIBRARY_DIRS", "__EGL_VENDOR_LIBRARY_FILENAMES",
        // Host bus addresses point at sockets the sandbox cannot see; the
        // bus proxy sets its own when the app may talk to a bus.
        "DBUS_SESSION_BUS_ADDRESS", "DBUS_SYSTEM_BUS_ADDRESS",
        // Replaced by the sandbox's own values below.
        "XDG_RUNTIME_DIR", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME",
    ]

    /// The sandbox's environment: the input environment without host-only
    /// variables, Flatpak's defaults, the app's directories, then the
    /// context's `[Environment]` (which may set or unset anything: the app
    /// can only change its own sandbox).
    static func environment(for input: Input) -> [String: String] {
        var environment = input.environment.filter { !hostOnlyVariables.contains($0.key) }
        environment["PATH"] = "/app/bin:/usr/bin"
        environment["XDG_CONFIG_DIRS"] = "/app/etc/xdg:/etc/xdg"
        environment["XDG_DATA_DIRS"] = "/app/share:/usr/share"
        environment["SHELL"] = "/bin/sh"
        environment["HOME"] = input.user.home
        environment["FLATPAK_ID"] = input.appID.rawValue
        environment["XDG_RUNTIME_DIR"] = input.sandboxRuntimeDirectory

        let app = input.appDataDirectory
        environment["XDG_DATA_HOME"] = "\(app)/data"
        environment["XDG_CONFIG_HOME"] = "\(app)/config"
        environment["XDG_CACHE_HOME"] = "\(app)/cache"
        // Flatpak's choice: apps can keep older Flatpaks working with
        // --persist=.local/state.
        environment["XDG_STATE_HOME"] = "\(app)/.local/state"
        // Where the host keeps them, for apps migrating their old data.
        for name in ["XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"] {
            if let value = input.environment[name] { environment["HOST_" + name] = value }
        }

        for (name, value) in input.context.environment {
            switch value {
            case .set(let text): environment[name] = text
            case .unset: environment[name] = nil
            }
        }
        return environment
    }

    /// `/etc/passwd` and `/etc/group` inside: the user and nfsnobody (what
    /// unmapped ids show as), nobody else from the host's databases.
    ///
    /// Security: fields are separated by `:` and records by newlines, so a
    /// name or home containing either is refused (it would add records),
    /// and the free-text real name has them replaced.
    static func userDatabase(for user: User) throws(SandboxError) -> (passwd: String, group: String) {
        func field(_ value: String, _ what: String) throws(SandboxError) -> String {
            if value.isEmpty || value.contains(where: { $0 == ":" || $0.isNewline }) {
                throw SandboxError("the user's \(what) \(value.debugDescription) cannot be written to /etc/passwd")
            }
            return value
        }
        let name = try field(user.name, "name")
        let home = try field(user.home, "home directory")
        let realName = String(user.realName.map { $0 == ":" || $0.isNewline ? " " : $0 })
        let passwd = "\(name):x:\(user.uid):\(user.gid):\(realName):\(home):/bin/sh\n"
            + "nfsnobody:x:65534:65534:Unmapped user:/:/sbin/nologin\n"
        var group = ""
        // A primary group the host cannot name stays unnamed inside too.
        if let groupName = user.groupName {
            group += "\(try field(groupName, "group name")):x:\(user.gid):\(name)\n"
        }
        group += "nfsnobody:x:65534:\n"
        return (passwd, group)
    }

    /// fontconfig configuration mapping the host's font directories
    /// (mounted under /run/host) back to the paths their caches name.
    static func fontDirectoriesConfiguration(_ remaps: [(hostPath: String, sandboxPath: String)]) -> String {
        func escaped(_ text: String) -> String {
            var result = ""
            for character in text {
                switch character {
                case "&": result += "&amp;"
                case "<": result += "&lt;"
                case ">": result += "&gt;"
                case "\"": result += "&quot;"
                case "'": result += "&apos;"
                default: result.append(character)
                }
            }
            return result
        }
        var text = "<?xml version=\"1.0\"?>\n<!DOCTYPE fontconfig SYSTEM \"urn:fontconfig:fonts.dtd\">\n<fontconfig>\n"
        for remap in remaps {
            text += "\t<remap-dir as-path=\"\(escaped(remap.hostPath))\">\(escaped(remap.sandboxPath))</remap-dir>\n"
        }
        return text + "</fontconfig>\n"
    }
}
