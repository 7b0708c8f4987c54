internal import CLinux
import Glibc

/// What the sandbox plan needs to know about a runtime's `files` tree
/// (the future `/usr`): which usr-merge directories it has, and what is in
/// its `etc`, which becomes the sandbox's `/etc` entry by entry.
public struct RuntimeLayout: Hashable, Sendable {
    /// One entry of the runtime's `etc`.
    public enum EtcEntry: Hashable, Sendable {
        /// A file or directory: `/etc/NAME` links to `/usr/etc/NAME`.
        case file(String)
        /// A symbolic link, recreated at `/etc/NAME` with the same target.
        case symlink(String, target: String)

        public var name: String {
            switch self {
            case .file(let name), .symlink(let name, _): return name
            }
        }
    }

    /// The top-level directories that usr-merged systems link into `/usr`.
    public static let usrMergedDirectoryNames = ["bin", "lib", "lib32", "lib64", "sbin"]

    /// Which of `usrMergedDirectoryNames` the runtime has.
    public var usrMergedDirectories: [String]
    /// The runtime's `etc`, sorted by name; empty when it has none.
    public var etcEntries: [EtcEntry]

    public init(usrMergedDirectories: [String] = [], etcEntries: [EtcEntry] = []) {
        self.usrMergedDirectories = usrMergedDirectories
        self.etcEntries = etcEntries.sorted { $0.name < $1.name }
    }

    /// Reads the layout of the runtime `files` directory at `path`: every
    /// lookup is relative to a directory fd, and links are read, never
    /// followed (a runtime's `etc/foo → /host/path` stays a link inside the
    /// sandbox rather than becoming a bind of the host path).
    public static func inspect(filesDirectory path: String) throws(SandboxError) -> RuntimeLayout {
        let root = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard root >= 0 else { throw SandboxError("cannot open runtime files \(path): \(errorText())") }
        defer { close(root) }

        var merged: [String] = []
        for name in usrMergedDirectoryNames {
            var info = stat()
            if fstatat(root, name, &info, AT_SYMLINK_NOFOLLOW) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
                merged.append(name)
            }
        }

        var entries: [EtcEntry] = []
        let etc = openat(root, "etc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if etc < 0 {
            let error = burrow_errno()
            guard error == ENOENT else { throw SandboxError("cannot open \(path)/etc: \(errorText(error))") }
            return RuntimeLayout(usrMergedDirectories: merged)
        }
        // fdopendir owns `etc` from here; closedir closes it.
        guard let directory = fdopendir(etc) else {
            let error = burrow_errno()
            close(etc)
            throw SandboxError("cannot list \(path)/etc: \(errorText(error))")
        }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name == "." || name == ".." { continue }
            var info = stat()
            guard fstatat(dirfd(directory), name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
                throw SandboxError("cannot inspect \(path)/etc/\(name): \(errorText())")
            }
            if (info.st_mode & S_IFMT) == S_IFLNK {
                entries.append(.symlink(name, target: try readLink(dirfd(directory), name, in: path)))
            } else {
                entries.append(.file(name))
            }
        }
        return RuntimeLayout(usrMergedDirectories: merged, etcEntries: entries)
    }

    private static func readLink(_ directory: Int32, _ name: String, in path: String) throws(SandboxError) -> String {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlinkat(directory, name, &buffer, buffer.count)
        guard count >= 0, count < buffer.count else {
            throw SandboxError("cannot read link \(path)/etc/\(name): \(errorText())")
        }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    private static func errorText(_ error: Int32 = burrow_errno()) -> String {
        String(cString: strerror(error))
    }
}
