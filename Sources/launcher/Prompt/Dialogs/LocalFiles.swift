import Glibc

/// One name in a directory listing.
struct DirectoryEntry: Sendable, Hashable, Comparable {
    let name: String
    let isDirectory: Bool

    /// Folders first, then files, each by name.
    static func < (a: Self, b: Self) -> Bool {
        if a.isDirectory != b.isDirectory { return a.isDirectory }
        return a.name < b.name
    }
}

/// The little the file chooser needs from the file system: listings, what
/// a path is, and paths as the user types them.
///
/// Nothing here opens a file the user picked: the chooser only returns
/// URIs, and the frontend (or the app) opens them with its own rights.
enum LocalFiles {
    enum Kind { case directory, file, missing }

    /// The entries of `path` (without `.` and `..`); symlinks count as what
    /// they point to. Fails with a message for the status line.
    static func entries(of path: String) -> Result<[DirectoryEntry], ListingError> {
        guard let directory = opendir(path) else { return .failure(ListingError(path: path, errno: errno)) }
        defer { closedir(directory) }
        var entries: [DirectoryEntry] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let isDirectory: Bool
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_DIR): isDirectory = true
            case Int32(DT_LNK), Int32(DT_UNKNOWN): isDirectory = kind(of: join(path, name)) == .directory
            default: isDirectory = false
            }
            entries.append(DirectoryEntry(name: name, isDirectory: isDirectory))
        }
        return .success(entries.sorted())
    }

    struct ListingError: Error, Sendable {
        let path: String
        let errno: Int32
        var message: String { "cannot list \(path): \(String(cString: strerror(errno)))" }
    }

    /// What `path` is, following symlinks.
    static func kind(of path: String) -> Kind {
        var info = stat()
        guard stat(path, &info) == 0 else { return .missing }
        return (info.st_mode & S_IFMT) == S_IFDIR ? .directory : .file
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// The absolute path for what the user typed: `/…` as is, `~` and `~/…`
    /// under `home`, anything else under `folder`; `.` and `..` resolved
    /// by name (as a file chooser shows them, not through symlinks).
    static func resolve(_ typed: String, in folder: String, home: String) -> String {
        let absolute: String
        if typed.hasPrefix("/") {
            absolute = typed
        } else if typed == "~" || typed.hasPrefix("~/") {
            absolute = home + "/" + typed.dropFirst()
        } else {
            absolute = join(folder, typed)
        }
        return normalize(absolute)
    }

    /// Collapses `//`, `.` and `..` in an absolute path.
    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    static func parent(of path: String) -> String {
        normalize(path + "/..")
    }

    static func baseName(of path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? "/"
    }

    /// A `file://` URI for an absolute path, escaped as GLib's
    /// g_filename_to_uri does (its "unsafe path" table): letters, digits,
    /// `-._~!$&'()*+,=:@/` stay, every other byte is percent-encoded.
    static func uri(for path: String) -> String {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,=:@/".utf8)
        var uri = "file://"
        for byte in path.utf8 {
            if allowed.contains(byte) {
                uri.append(Character(Unicode.Scalar(byte)))
            } else {
                uri += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return uri
    }

    /// The longest common prefix of `names`, by characters.
    static func commonPrefix(_ names: [String]) -> String {
        guard var prefix = names.first.map(Array.init) else { return "" }
        for name in names.dropFirst() {
            let characters = Array(name)
            var length = 0
            while length < min(prefix.count, characters.count) && prefix[length] == characters[length] { length += 1 }
            prefix.removeSubrange(length...)
        }
        return String(prefix)
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
