import Glibc

/// Flatpak's name for the machine's architecture (`flatpak --default-arch`).
public enum FlatpakArch {
    public static var current: String {
        var name = utsname()
        uname(&name)
        let machine = withUnsafeBytes(of: name.machine) { raw in
            String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
        }
        switch machine {
        case "i386", "i486", "i586", "i686": return "i386"
        case "armv7l", "armv6l", "armv7", "armv8l": return "arm"
        default: return machine
        }
    }
}
