/// XDG base directories, resolved the one way burrow resolves them.
public enum XDGDirectories {
    /// `$XDG_DATA_HOME`, else `$HOME/.local/share`; `nil` when neither is an
    /// absolute path. Relative values are ignored, as the base directory
    /// specification requires (a relative data dir would depend on the cwd).
    public static func dataHome(environment: [String: String]) -> String? {
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") { return xdg }
        if let home = environment["HOME"], home.hasPrefix("/") { return home + "/.local/share" }
        return nil
    }
}
