import Glibc
import Logging
import PortalCommon

/// Opening a target with a chosen handler: a sandboxed handler (`X-Flatpak`)
/// receives a local file as a document of its own; the handler is spawned
/// on the host (`HandlerLauncher`).
struct HandlerLaunch: Sendable {
    static let fileManager: BusName = "org.freedesktop.FileManager1"

    let entries: DesktopEntries
    let documents: DocumentRegistration
    let connection: BusConnection
    let logger: Logger

    func launch(_ id: String, target: OpenURIPortal.Target, writable: Bool, parentWindow: String,
                activationToken: String?) async throws(PortalError) {
        guard let entry = await entries.run({ $0.entry(id) }) else {
            throw .notFound("the handler \(id).desktop is not installed (or its Exec line is missing)")
        }
        var uri = target.uri
        var path = target.path
        if let app = entry.sandboxedAppID, target.path != nil {
            uri = try await documents.register(uri: target.uri, for: app, flags: writable ? [.writable] : [])
            path = FileURI.path(of: uri)
        }
        let arguments = try HandlerLauncher.arguments(for: entry, uri: uri, path: path)
        var environment = ["PARENT_WINDOW_ID": parentWindow]
        if let activationToken, !activationToken.isEmpty {
            environment["XDG_ACTIVATION_TOKEN"] = activationToken
            environment["DESKTOP_STARTUP_ID"] = activationToken
        }
        let pid = try HandlerLauncher.spawn(arguments, extraEnvironment: environment)
        logger.info("opened \(target.uri) with \(id) (pid \(pid))")
    }

    /// The content type of a local file, from its name and first bytes.
    func contentType(ofPath path: String, entries: DesktopEntries) -> String {
        var status = stat()
        if stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR { return "inode/directory" }
        var head: [UInt8] = []
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        if fd >= 0 {
            defer { close(fd) }
            head = [UInt8](repeating: 0, count: 4096)
            let count = head.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            head = Array(head.prefix(max(count, 0)))
        }
        return entries.contentType(fileName: FileURI.split(path).name, head: head)
    }

    /// `org.freedesktop.FileManager1.ShowItems`, when a file manager is on
    /// the bus; false (fall back to opening the folder) otherwise.
    func showInFileManager(_ uri: String, token: String?) async -> Bool {
        do {
            guard try await connection.nameHasOwner(Self.fileManager) else { return false }
            _ = try await connection.call(Self.fileManager, "/org/freedesktop/FileManager1", "org.freedesktop.FileManager1",
                                          "ShowItems", [[uri].dbusValue, .string(token ?? "")], timeout: .seconds(5))
            return true
        } catch {
            logger.info("the file manager could not show \(uri): \(error.message); opening the folder instead")
            return false
        }
    }
}
