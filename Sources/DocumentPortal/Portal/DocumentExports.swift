internal import CLinux
import Glibc
import PortalCommon

/// AddFull's flags (shared/reference.md §2.3).
struct AddFlags: OptionSet, Sendable {
    let rawValue: UInt32
    static let reuseExisting = Self(rawValue: 1)
    static let persistent = Self(rawValue: 2)
    static let asNeededByApp = Self(rawValue: 4)
    static let exportDirectory = Self(rawValue: 8)

    static func checked(_ raw: UInt32, directories: Bool) throws(PortalError) -> Self {
        let known: Self = directories ? [.reuseExisting, .persistent, .asNeededByApp, .exportDirectory]
                                      : [.reuseExisting, .persistent, .asNeededByApp]
        guard raw & ~known.rawValue == 0 else {
            throw .invalidArgument("unknown flags 0x\(String(raw & ~known.rawValue, radix: 16)); known: 0x\(String(known.rawValue, radix: 16))")
        }
        return Self(rawValue: raw)
    }
}

/// The rules for turning descriptors into documents and for changing who
/// may use them, shared by the Documents and FileTransfer interfaces. The
/// caller's identity always comes from the bus.
final class DocumentExports: Sendable {
    let store: DocumentStore
    let fileSystem: DocumentFileSystem
    let session: FuseSession
    let mountPoint: String
    /// st_dev of the mounted store: descriptors on it are the store's own.
    let mountDevice: UInt64

    init(store: DocumentStore, fileSystem: DocumentFileSystem, session: FuseSession, mountPoint: String, mountDevice: UInt64) {
        self.store = store
        self.fileSystem = fileSystem
        self.session = session
        self.mountPoint = mountPoint
        self.mountDevice = mountDevice
    }

    func existing(_ id: String) throws(PortalError) -> Document {
        guard let document = store.document(id) else { throw .notFound("there is no document '\(id)'") }
        return document
    }

    /// Add / AddFull. Every descriptor is checked before anything is stored,
    /// so a bad one in the middle adds none.
    func add(fds: [UnixFD], flags: AddFlags, caller: AppInfo, app: String?,
             permissions: DocumentPermissions) throws(PortalError) -> [String] {
        let directories = flags.contains(.exportDirectory)
        var files: [ExportedFile] = []
        for fd in fds {
            let file = try fd.withRawDescriptor { (raw: Int32) throws(PortalError) -> ExportedFile in try exported(raw, caller: caller) }
            guard file.isDirectory == directories else {
                throw .invalidArgument(directories ? "\(file.hostPath) is not a directory (export-directory was asked for)"
                                                   : "\(file.hostPath) is a directory; export directories with the export-directory flag (8)")
            }
            files.append(file)
        }
        return try files.map { (file: ExportedFile) throws(PortalError) -> String in
            // as-needed-by-app: an app that already reaches the file gets no
            // document, and "" stands in its place (as upstream answers).
            if flags.contains(.asNeededByApp), let app,
               AppFileAccess.allows(app, path: file.hostPath, write: permissions.contains(.write)) { return "" }
            return try store(file, flags: flags, caller: caller, app: app, permissions: permissions).id
        }
    }

    /// AddNamed / AddNamedFull: an entry for a file that may not exist yet.
    func addNamed(parent: UnixFD, name: String, flags: AddFlags, caller: AppInfo, app: String?,
                  permissions: DocumentPermissions) throws(PortalError) -> String {
        let file = try parent.withRawDescriptor { (raw: Int32) throws(PortalError) -> ExportedFile in
            try ExportedFile.named(name, in: raw)
        }
        // The file may not exist yet: what counts is creating it, so the
        // app needs write access to its directory.
        if flags.contains(.asNeededByApp), let app, AppFileAccess.allows(app, path: file.directory, write: true) { return "" }
        return try store(file, flags: flags, caller: caller, app: app, permissions: permissions).id
    }

    func store(_ file: ExportedFile, flags: AddFlags, caller: AppInfo, app: String?,
                       permissions: DocumentPermissions) throws(PortalError) -> Document {
        // What the caller holds on the file: it had a descriptor, so read;
        // write only if that descriptor allowed it. Nobody grants more.
        let held: DocumentPermissions = caller.isSandboxed ? (file.writable ? [.read, .write] : [.read]) : .all
        if permissions.contains(.write) && !file.writable {
            throw .notAllowed("cannot grant write access to \(file.hostPath): the descriptor does not allow writing")
        }
        guard permissions.isSubset(of: held) else {
            throw .notAllowed("a sandboxed app can only grant read and write on files it adds, not \(permissions.subtracting(held).names.joined(separator: ", "))")
        }
        var grants: [String: DocumentPermissions] = [:]
        if let sandbox = caller.sandbox { grants[sandbox.appID.rawValue] = held }
        if let app { grants[app, default: []].formUnion(permissions) }
        var documentFlags: Document.Flags = file.isDirectory ? .directory : []
        if !flags.contains(.persistent) { documentFlags.insert(.transient) }
        do {
            return try store.add(directory: file.directory, name: file.name, device: file.device, inode: file.inode,
                                 flags: documentFlags, reuse: flags.contains(.reuseExisting), grants: grants)
        } catch {
            throw PortalError(error)
        }
    }

    /// A descriptor checked for export. One that points into the store
    /// itself (an app passing on a document it holds) stands for the host
    /// file behind it, with no more rights than the app's view gives.
    func exported(_ fd: Int32, caller: AppInfo) throws(PortalError) -> ExportedFile {
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw .invalidArgument("the file descriptor is not usable") }
        guard UInt64(status.st_dev) == mountDevice else {
            return try ExportedFile.check(fd, allowDirectory: true).0
        }
        guard let (hostPath, view, permissions) = fileSystem.hostFile(ofInode: UInt64(status.st_ino)) else {
            throw .notAllowed("the descriptor refers to a document that is gone")
        }
        if let sandbox = caller.sandbox, view != sandbox.appID.rawValue {
            throw .notAllowed("the descriptor is not from \(sandbox.appID.rawValue)'s own documents")
        }
        let host = Glibc.open(hostPath, burrow_o_path | O_NOFOLLOW | O_CLOEXEC)
        guard host >= 0 else { throw .notFound("\(hostPath), behind the document, is gone") }
        defer { close(host) }
        let (file, _) = try ExportedFile.check(host, allowDirectory: true)
        let flags = fcntl(fd, F_GETFL)
        let writable = permissions.contains(.write) && flags >= 0 && flags & O_ACCMODE != O_RDONLY
        return ExportedFile(directory: file.directory, name: file.name, device: file.device, inode: file.inode,
                            writable: writable, isDirectory: file.isDirectory)
    }

    // MARK: Permissions

    func grant(_ id: String, app: String, _ permissions: DocumentPermissions, caller: AppInfo) throws(PortalError) {
        try requireGrant(id, permissions, caller: caller)
        do { _ = try store.grant(id, app: app, permissions) } catch { throw PortalError(error) }
        invalidate(id)
    }

    func revoke(_ id: String, app: String, _ permissions: DocumentPermissions, caller: AppInfo) throws(PortalError) {
        try requireGrant(id, permissions, caller: caller)
        do { _ = try store.revoke(id, app: app, permissions) } catch { throw PortalError(error) }
        invalidate(id)
    }

    /// A sandboxed app changes others' access only with grant-permissions,
    /// and only within what it holds itself.
    private func requireGrant(_ id: String, _ permissions: DocumentPermissions, caller: AppInfo) throws(PortalError) {
        let document = try existing(id)
        guard let sandbox = caller.sandbox else { return }
        let held = document.permissions(for: sandbox.appID.rawValue)
        guard held.contains(.grantPermissions) else {
            throw .notAllowed("\(sandbox.appID.rawValue) does not hold grant-permissions on document \(id)")
        }
        guard permissions.isSubset(of: held) else {
            throw .notAllowed("\(sandbox.appID.rawValue) cannot pass on \(permissions.subtracting(held).names.joined(separator: ", ")), which it does not hold")
        }
    }

    func delete(_ id: String, caller: AppInfo) throws(PortalError) {
        let document = try existing(id)
        if let sandbox = caller.sandbox, !document.permissions(for: sandbox.appID.rawValue).contains(.delete) {
            throw .notAllowed("\(sandbox.appID.rawValue) does not hold delete on document \(id)")
        }
        do { _ = try store.delete(id) } catch { throw PortalError(error) }
        invalidate(id)
    }

    /// Lookup: a host path, or a path inside the store, to its document.
    /// Host paths are resolved first (`..`, `//`, symlinks), as upstream
    /// does; one that does not exist is NotFound, not "no document".
    func lookup(path: String) throws(PortalError) -> String? {
        if path.hasPrefix(mountPoint + "/") {
            let parts = path.dropFirst(mountPoint.count + 1).split(separator: "/").map(String.init)
            let id = parts.first == "by-app" ? (parts.count > 2 ? parts[2] : nil) : parts.first
            return id.flatMap { store.document($0)?.id }
        }
        guard let resolved = realpath(path, nil) else {
            throw .notFound("\(path): \(String(cString: strerror(errno)))")
        }
        defer { free(resolved) }
        return store.lookup(hostPath: String(cString: resolved))?.id
    }

    /// The kernel forgets what it cached about the document, in every view,
    /// so the next access asks the store again.
    private func invalidate(_ id: String) {
        let cached = fileSystem.cachedNodes(of: id)
        for (parent, name) in cached.names { session.invalidateEntry(parent: parent, name: name) }
        for inode in cached.inodes { session.invalidateInode(inode) }
    }
}
