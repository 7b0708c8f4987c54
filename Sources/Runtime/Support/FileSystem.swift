internal import CLinux
import Glibc
import PortalCommon

/// The few filesystem operations deploys and launches need, as checked
/// syscalls. Paths here are ones burrow built itself (installation paths
/// from validated refs and checksums, the user's own directories), never
/// strings from a sandbox.
package enum FileSystem {
    package static func fail(_ operation: String, _ path: String, errno code: Int32 = errno) -> InstallerError {
        InstallerError(.system(errno: code), "\(operation) \(path): \(String(cString: strerror(code)))")
    }

    /// `mkdir -p` with mode 0755 for every directory it creates. The mode is
    /// set explicitly (not left to the umask) because a system installation
    /// must be readable by every user. Existing components may be links to
    /// directories, as `mkdir -p` allows: users move an installation to
    /// another disk that way (~/.local/share/burrow -> /data/burrow).
    package static func makeDirectories(_ path: String) throws(InstallerError) {
        if let failure = makePath(path, mode: 0o755, exactMode: true) {
            throw fail("cannot create directory", failure.path, errno: failure.errno)
        }
    }

    /// `mkdir -p` for the launcher's own directories (the app's data
    /// directory, instance and proxy directories): missing ones are created
    /// with `mode` (less the umask), existing ones — followed if they are
    /// links, as `mkdir -p` does — are left as they are. Never for paths
    /// inside a directory an app can write: see `ensureDirectory(_:inside:mode:)`.
    static func ensureDirectory(_ path: String, mode: mode_t) throws(SandboxError) {
        if let failure = makePath(path, mode: mode, exactMode: false) {
            throw SandboxError("cannot create directory \(failure.path): \(String(cString: strerror(failure.errno)))")
        }
    }

    /// Both `mkdir -p`s: the path itself first, its parent only when that is
    /// missing, so an existing directory costs one mkdir and one stat (this
    /// runs at every launch). `exactMode` sets `mode` on what it creates
    /// regardless of the umask. Nil, or the component that failed and why.
    private static func makePath(_ path: String, mode: mode_t, exactMode: Bool) -> (path: String, errno: Int32)? {
        func made(_ path: String) -> Bool {
            guard mkdir(path, mode) == 0 else { return false }
            if exactMode { _ = chmod(path, mode) }
            return true
        }
        if made(path) { return nil }
        var code = errno
        if code == ENOENT, let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            if let failure = makePath(String(path[..<slash]), mode: mode, exactMode: exactMode) { return failure }
            if made(path) { return nil }
            code = errno
        }
        guard code == EEXIST else { return (path, code) }
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR ? nil : (path, ENOTDIR)
    }

    /// `ensureDirectory` for `relative` inside `base`, a directory the app
    /// can write (its ~/.var/app/ID): walked one component at a time from
    /// `base` with mkdirat and openat(O_NOFOLLOW), so a link the app planted
    /// there cannot make the launcher create directories elsewhere on the
    /// host. A link on the way is refused (the sandbox's binds refuse it too).
    static func ensureDirectory(_ relative: String, inside base: String, mode: mode_t) throws(SandboxError) {
        var fd = open(base, burrow_o_path | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw SandboxError("cannot open \(base): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var reached = base
        for component in relative.split(separator: "/") {
            let name = String(component)
            reached += "/" + name
            guard name != "..", name != "." else { throw SandboxError("refusing to create \(reached): not a plain path") }
            if mkdirat(fd, name, mode) != 0 && errno != EEXIST {
                throw SandboxError("cannot create directory \(reached): \(String(cString: strerror(errno)))")
            }
            let next = openat(fd, name, burrow_o_path | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard next >= 0 else {
                var reason = String(cString: strerror(errno))
                var info = stat()
                if fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 {
                    if info.st_mode & S_IFMT == S_IFLNK {
                        reason = "it is a symbolic link, which is not followed inside the app's directory"
                    } else if info.st_mode & S_IFMT != S_IFDIR {
                        reason = "it is not a directory"
                    }
                }
                throw SandboxError("cannot create directory \(reached): \(reason)")
            }
            close(fd)
            fd = next
        }
    }

    package static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    package static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    package static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// Names in a directory, without `.` and `..`; empty when it does not exist.
    package static func entries(of path: String) throws(InstallerError) -> [String] {
        guard let directory = opendir(path) else {
            if errno == ENOENT { return [] }
            throw fail("cannot list", path)
        }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// The target of a symbolic link, or `nil` when there is no link.
    package static func symbolicLinkTarget(_ path: String) throws(InstallerError) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink(path, &buffer, buffer.count - 1)
        if length < 0 {
            if errno == ENOENT { return nil }
            throw fail("cannot read link", path)
        }
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The bytes of a regular file (not following a final symlink unless
    /// asked to), at most `limit` of them: a larger file is an error (EFBIG),
    /// not a truncated read.
    package static func contents(of path: String, limit: Int, followingLinks: Bool = false) throws(InstallerError) -> [UInt8] {
        let fd = open(path, O_RDONLY | (followingLinks ? 0 : O_NOFOLLOW) | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { throw fail("cannot open", path) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: min(limit + 1, 65536))
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw fail("cannot read", path)
            }
            if count == 0 { return bytes }
            bytes += buffer[0..<count]
            if bytes.count > limit { throw fail("cannot read", path, errno: EFBIG) }
        }
    }

    package static func rename(_ source: String, to destination: String) throws(InstallerError) {
        if Glibc.rename(source, destination) != 0 { throw fail("cannot rename \(source) to", destination) }
    }

    /// Points `link` at `target`, replacing any previous link in one step:
    /// the new link is made under a temporary name in the same directory and
    /// renamed over the old one, so a reader always sees either the old or
    /// the new target, never no link (Flatpak switches `active` this way).
    package static func replaceSymbolicLink(_ link: String, target: String) throws(InstallerError) {
        let directory = parent(of: link)
        let temporary = directory + "/.\(basename(of: link))-" + randomSuffix()
        if symlink(target, temporary) != 0 { throw fail("cannot create link", temporary) }
        do {
            try rename(temporary, to: link)
        } catch {
            _ = unlink(temporary)
            throw error
        }
        try syncDirectory(directory)
    }

    /// Flushes a directory's entries (a rename into it) to disk.
    package static func syncDirectory(_ path: String) throws(InstallerError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw fail("cannot open", path) }
        defer { close(fd) }
        if fsync(fd) != 0 { throw fail("cannot sync", path) }
    }

    /// Flushes the whole filesystem holding `path`: one call makes a whole
    /// freshly checked-out tree durable before it is renamed into place.
    package static func syncFilesystem(of path: String) throws(InstallerError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw fail("cannot open", path) }
        defer { close(fd) }
        if burrow_syncfs(fd) != 0 { throw fail("cannot sync", path) }
    }

    /// Writes `bytes` to `path` through a temporary file, fsync and rename
    /// (PortalCommon's AtomicFile): after a crash the file holds either the
    /// old or the new content.
    package static func writeAtomically(_ bytes: [UInt8], to path: String, mode: UInt32 = 0o644) throws(InstallerError) {
        do {
            try AtomicFile.write(bytes, to: path, mode: UInt32(mode))
        } catch {
            throw InstallerError(.system(errno: errno), error.message)
        }
    }

    /// `rm -rf`, done with fd-relative calls that never follow a symbolic
    /// link: a link inside a deployment pointing at `/home` removes the
    /// link, not the home directory.
    package static func removeTree(_ path: String) throws(InstallerError) {
        if unlink(path) == 0 || errno == ENOENT { return }
        guard errno == EISDIR else { throw fail("cannot remove", path) }
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw fail("cannot open", path) }
        try removeContents(of: fd, path: path)
        if rmdir(path) != 0 && errno != ENOENT { throw fail("cannot remove", path) }
    }

    /// Empties the directory open as `fd` (takes ownership of `fd`).
    private static func removeContents(of fd: Int32, path: String) throws(InstallerError) {
        guard let directory = fdopendir(fd) else {
            close(fd)
            throw fail("cannot list", path)
        }
        defer { closedir(directory) }
        // A deployment's directories are 0755; make sure the owner can
        // always delete entries even from a tree checked out read-only.
        _ = fchmod(fd, 0o700)
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name == "." || name == ".." { continue }
            if unlinkat(fd, name, 0) == 0 { continue }
            guard errno == EISDIR else { throw fail("cannot remove", path + "/" + name) }
            let child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard child >= 0 else { throw fail("cannot open", path + "/" + name) }
            try removeContents(of: child, path: path + "/" + name)
            if unlinkat(fd, name, AT_REMOVEDIR) != 0 { throw fail("cannot remove", path + "/" + name) }
        }
    }

    package static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    package static func basename(of path: String) -> String {
        path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
    }

    /// Twelve random characters for temporary names.
    package static func randomSuffix() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<12).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
    }
}
