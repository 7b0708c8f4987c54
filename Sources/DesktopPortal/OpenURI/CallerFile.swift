import Glibc
import PortalCommon

/// A file an app handed over as a descriptor (OpenURI.OpenFile and
/// OpenDirectory), located on the host. The descriptor is the proof of
/// access; the path is only trusted once it leads to the very inode the
/// descriptor refers to.
struct CallerFile: Sendable {
    /// The file's path on the host (for a document: the real file behind it).
    let hostPath: String
    let isDirectory: Bool
    /// Any execute bit set (checked against executables, below).
    let isExecutable: Bool
    /// The descriptor allows writing (its mode, or for O_PATH an access check).
    let isWritable: Bool
    /// The first bytes of the content, for content-type sniffing (empty for directories).
    let head: [UInt8]

    static func locate(_ fd: UnixFD, caller: AppInfo, documents: DocumentRegistration) async throws(PortalError) -> CallerFile {
        let (status, kernelPath, writable, head) = try fd.withRawDescriptor { raw throws(PortalError) in
            var status = stat()
            guard fstat(raw, &status) == 0 else { throw .invalidArgument("the file descriptor is not usable") }
            let kind = status.st_mode & S_IFMT
            guard kind == S_IFREG || kind == S_IFDIR else {
                throw .invalidArgument("the descriptor must refer to a regular file or a directory")
            }
            return (status, try Self.kernelPath(raw), CallerDescriptor.allowsWriting(raw), kind == S_IFREG ? Self.head(raw) : [])
        }
        let mount = await documents.mountPoint()
        // Where the descriptor's path may lie as the host sees it: the path
        // itself (shared with the host), or mapped out of the sandbox.
        var candidates = [kernelPath]
        if let mapped = caller.hostPath(for: kernelPath, context: .init(documentMount: mount)) { candidates.append(mapped) }
        if let mount, let app = caller.sandbox?.appID.rawValue {
            // A document bind-mounted into the sandbox reads as /ID/NAME.
            candidates.append(mount + "/by-app/" + app + kernelPath)
        }
        guard let found = candidates.first(where: { Self.sameFile($0, status) }) else {
            throw .notAllowed("\(kernelPath) is not reachable on the host (a file private to the sandbox?)")
        }
        var hostPath = found
        if let mount, found.hasPrefix(mount + "/") {
            guard let real = await documents.hostPath(ofStorePath: found) else {
                throw .notFound("the document behind \(found) is unknown to the document portal")
            }
            hostPath = real
        }
        return CallerFile(hostPath: hostPath, isDirectory: status.st_mode & S_IFMT == S_IFDIR,
                          isExecutable: status.st_mode & 0o111 != 0 && status.st_mode & S_IFMT == S_IFREG,
                          isWritable: writable, head: head)
    }

    private static func sameFile(_ path: String, _ expected: stat) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && status.st_dev == expected.st_dev && status.st_ino == expected.st_ino
    }

    private static func kernelPath(_ fd: Int32) throws(PortalError) -> String {
        guard let path = CallerDescriptor.kernelPath(fd) else {
            throw .invalidArgument("cannot tell which file the descriptor refers to")
        }
        guard path.hasPrefix("/"), !path.hasSuffix(" (deleted)") else {
            throw .invalidArgument("the descriptor does not refer to a file in a file system (\(path))")
        }
        return path
    }

    /// Up to 4 KiB from the start, through a fresh read-only descriptor
    /// (the app's may be O_PATH or write-only, and its offset is its own).
    private static func head(_ fd: Int32) -> [UInt8] {
        let copy = open("/proc/self/fd/\(fd)", O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        guard copy >= 0 else { return [] }
        defer { close(copy) }
        var bytes = [UInt8](repeating: 0, count: 4096)
        let count = bytes.withUnsafeMutableBytes { pread(copy, $0.baseAddress, $0.count, 0) }
        return Array(bytes.prefix(max(count, 0)))
    }
}
