/// The environment a Spawn's launch is decided from: the portal's own
/// session (home, runtime directory, buses, display), never the app's.
enum SpawnEnvironment {
    static func from(_ portal: [String: String], clear: Bool, sessionBus: Bool) -> [String: String] {
        var kept = ["HOME", "USER", "LOGNAME", "PATH", "XDG_RUNTIME_DIR", "XDG_DATA_HOME", "XDG_CONFIG_HOME",
                    "XDG_CACHE_HOME", "XDG_DATA_DIRS", "BURROW_USER_DIR", "BURROW_SYSTEM_DIR",
                    "WAYLAND_DISPLAY", "DISPLAY", "XAUTHORITY", "PULSE_SERVER", "DBUS_SYSTEM_BUS_ADDRESS"]
        // A sub-sandbox without the session-bus flag gets no bus at all.
        if sessionBus { kept.append("DBUS_SESSION_BUS_ADDRESS") }
        // CLEAR_ENV: not even the session's locale and terminal.
        if !clear { kept += ["LANG", "LANGUAGE", "LC_ALL", "TERM", "COLORTERM"] }
        return portal.filter { kept.contains($0.key) }
    }
}
