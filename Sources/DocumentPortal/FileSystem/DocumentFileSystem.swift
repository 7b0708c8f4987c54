import Glibc
import PortalCommon
import Synchronization
import SystemPackage

/// The document store as a file system:
///
///     /                      the host's view: every document
///     /DOCID/NAME            a file document (NAME may not exist yet)
///     /DOCID/DIRNAME/...     a directory document
///     /by-app/APP/DOCID/...  the documents APP may read, as APP may use them
///
/// Sandboxes get `/by-app/APP` bound at /run/flatpak/doc and nothing else.
/// Every check that decides what an app may do happens here, per request,
/// against the store's current permissions: a revoked grant refuses the
/// next open even if the kernel still has the name cached.
final class DocumentFileSystem: FuseFileSystem {
    struct State {
        var nodes = NodeTable()
        /// Files an app created next to a file document (editors save to a
        /// temporary and rename it over the document): per view and
        /// document, visible name → host name.
        var temporaries: [TemporaryKey: [String: String]] = [:]
    }

    struct TemporaryKey: Hashable {
        let view: String?
        let document: String
    }

    /// Virtual directories change only through the portal, which
    /// invalidates them; host files can change under us at any time.
    static let virtualTimeout = 60.0
    static let hostTimeout = 1.0

    let store: DocumentStore
    let state = Mutex(State())
    let handles = Mutex<(next: UInt64, open: [UInt64: OpenFile])>((1, [:]))

    /// A host file an app has open through the store.
    struct OpenFile {
        let fd: Int32
        let inode: UInt64
    }
    private let owner = (uid: getuid(), gid: getgid())
    private let started = timespec(tv_sec: time(nil), tv_nsec: 0)
    /// statfs for nodes that are not host files.
    let statisticsPath: String

    init(store: DocumentStore, statisticsPath: String) {
        self.store = store
        self.statisticsPath = statisticsPath
    }

    // MARK: Resolution

    /// A node with the document it belongs to and the view's rights there.
    struct Resolved {
        let inode: UInt64
        let node: NodeTable.Node
        let document: Document?
        let permissions: DocumentPermissions
    }

    /// Looks `inode` up and re-checks, against the store as it is now, that
    /// its view may still see its document.
    func resolve(_ inode: UInt64) throws(Errno) -> Resolved {
        guard let node = state.withLock({ $0.nodes[inode] }) else { throw Errno.staleNFSFileHandle }
        guard let id = node.document else {
            return Resolved(inode: inode, node: node, document: nil, permissions: .read)
        }
        guard let document = store.document(id) else { throw Errno.noSuchFileOrDirectory }
        let permissions = document.permissions(for: node.view)
        guard permissions.contains(.read) else { throw Errno.noSuchFileOrDirectory }
        return Resolved(inode: inode, node: node, document: document, permissions: permissions)
    }

    /// The host file behind an entry node, opened component by component
    /// from the document's directory, each step checked against the
    /// identity recorded when the kernel first looked it up.
    func hostFile(_ resolved: Resolved) throws(Errno) -> HostFile {
        let location = try hostParent(resolved)
        guard let last = location.last else { return location.directory }
        guard case .entry(_, _, let device, let inode) = last.kind else { throw Errno.staleNFSFileHandle }
        return try location.directory.child(last.hostName, device: device, inode: inode)
    }

    /// An entry's host directory (open) and its node.
    struct HostLocation: ~Copyable {
        let directory: HostFile
        /// `nil` when the entry is the exported directory itself.
        let last: NodeTable.Node?
    }

    /// The directory holding an entry's host file, and the entry's node;
    /// `nil` for the node of an exported directory itself (the returned
    /// file is then that directory).
    func hostParent(_ resolved: Resolved) throws(Errno) -> HostLocation {
        guard let document = resolved.document else { throw Errno.isDirectory }
        var chain = state.withLock { $0.nodes.entryChain(to: resolved.inode) }
        guard !chain.isEmpty else { throw Errno.isDirectory }
        var file = try HostFile.directory(document.directory, device: document.device, inode: document.inode)
        // A directory document's first node is the exported directory itself.
        if document.isDirectory { chain.removeFirst() }
        guard let last = chain.popLast() else { return HostLocation(directory: file, last: nil) }
        for node in chain {
            guard case .entry(_, _, let device, let inode) = node.kind else { throw Errno.staleNFSFileHandle }
            file = try file.child(node.hostName, device: device, inode: inode)
        }
        return HostLocation(directory: file, last: last)
    }

    /// The host directory new names are created in for a directory node:
    /// a file document's parent directory, or a directory inside a
    /// directory document.
    func hostDirectory(_ resolved: Resolved) throws(Errno) -> HostFile {
        guard let document = resolved.document else { throw Errno.permissionDenied }
        switch resolved.node.kind {
        case .documentDirectory:
            // A directory document's /DOCID holds exactly the one exported
            // directory; nothing may be created beside it.
            guard !document.isDirectory else { throw Errno.permissionDenied }
            return try HostFile.directory(document.directory, device: document.device, inode: document.inode)
        case .entry:
            let file = try hostFile(resolved)
            guard file.status.st_mode & S_IFMT == S_IFDIR else { throw Errno.notDirectory }
            return file
        default:
            throw Errno.permissionDenied
        }
    }

    // MARK: Attributes

    func attributes(for resolved: Resolved) throws(Errno) -> FuseAttributes {
        switch resolved.node.kind {
        case .root, .byApp, .appDirectory:
            return FuseAttributes(stat: virtualDirectory(resolved.inode, mode: 0o500), timeout: Self.virtualTimeout)
        case .documentDirectory:
            let writable = resolved.permissions.contains(.write) && resolved.document?.isDirectory == false
            return FuseAttributes(stat: virtualDirectory(resolved.inode, mode: writable ? 0o700 : 0o500),
                                  timeout: Self.hostTimeout)
        case .entry:
            let file = try hostFile(resolved)
            return FuseAttributes(stat: presented(file.status, inode: resolved.inode, permissions: resolved.permissions),
                                  timeout: Self.hostTimeout)
        }
    }

    /// A host file's status as the view sees it: our inode number, and no
    /// write bits where the view may not write.
    func presented(_ host: stat, inode: UInt64, permissions: DocumentPermissions) -> stat {
        var shown = host
        shown.st_ino = ino_t(inode)
        if !permissions.contains(.write) { shown.st_mode &= ~mode_t(0o222) }
        return shown
    }

    private func virtualDirectory(_ inode: UInt64, mode: mode_t) -> stat {
        var shown = stat()
        shown.st_ino = ino_t(inode)
        shown.st_mode = S_IFDIR | mode
        shown.st_nlink = 2
        shown.st_uid = owner.uid
        shown.st_gid = owner.gid
        shown.st_blksize = 4096
        shown.st_atim = started
        shown.st_mtim = started
        shown.st_ctim = started
        return shown
    }

    func entry(_ kind: NodeTable.Kind, parent: UInt64, hostName: String, permissions: DocumentPermissions,
               host: borrowing HostFile) -> FuseEntry {
        let inode = state.withLock { $0.nodes.reference(kind, parent: parent, hostName: hostName) }
        return FuseEntry(inode: inode,
                         attributes: FuseAttributes(stat: presented(host.status, inode: inode, permissions: permissions),
                                                    timeout: Self.hostTimeout),
                         entryTimeout: Self.hostTimeout)
    }

    func virtualEntry(_ kind: NodeTable.Kind, parent: UInt64, name: String) throws(Errno) -> FuseEntry {
        let inode = state.withLock { $0.nodes.reference(kind, parent: parent, hostName: name) }
        do {
            let attributes = try self.attributes(for: resolve(inode))
            return FuseEntry(inode: inode, attributes: attributes, entryTimeout: attributes.timeout)
        } catch {
            forget(inode, count: 1)
            throw error
        }
    }

    // MARK: FuseFileSystem: names

    func lookup(parent: UInt64, name: String) throws(Errno) -> FuseEntry {
        let directory = try resolve(parent)
        switch directory.node.kind {
        case .root:
            if name == "by-app" { return try virtualEntry(.byApp, parent: parent, name: name) }
            guard store.document(name) != nil else { throw Errno.noSuchFileOrDirectory }
            return try virtualEntry(.documentDirectory(view: nil, document: name), parent: parent, name: name)
        case .byApp:
            // Any well-formed app id has a (possibly empty) view: a sandbox
            // binds its view before it has been granted anything.
            guard AppID(rawValue: name) != nil else { throw Errno.noSuchFileOrDirectory }
            return try virtualEntry(.appDirectory(app: name), parent: parent, name: name)
        case .appDirectory(let app):
            return try virtualEntry(.documentDirectory(view: app, document: name), parent: parent, name: name)
        case .documentDirectory(let view, let id):
            guard let document = directory.document else { throw Errno.noSuchFileOrDirectory }
            if document.isDirectory {
                guard name == document.displayName else { throw Errno.noSuchFileOrDirectory }
                let host = try HostFile.directory(document.directory, device: document.device, inode: document.inode)
                return entry(.entry(view: view, document: id, device: document.device, inode: document.inode),
                             parent: parent, hostName: name, permissions: directory.permissions, host: host)
            }
            guard let hostName = hostName(view: view, document: document, visibleName: name) else {
                throw Errno.noSuchFileOrDirectory
            }
            let host = try HostFile.directory(document.directory, device: document.device, inode: document.inode)
                .child(hostName)
            // Only regular files: a symlink or directory planted under the
            // document's name is not what was exported.
            guard host.status.st_mode & S_IFMT == S_IFREG else { throw Errno.noSuchFileOrDirectory }
            return entry(.entry(view: view, document: id, device: host.device, inode: host.inode),
                         parent: parent, hostName: hostName, permissions: directory.permissions, host: host)
        case .entry(let view, let id, _, _):
            let host = try hostFile(directory).child(name)
            return entry(.entry(view: view, document: id, device: host.device, inode: host.inode),
                         parent: parent, hostName: name, permissions: directory.permissions, host: host)
        }
    }

    /// A file document's directory shows the document's own name and the
    /// temporaries this view created, nothing else of the host directory.
    func hostName(view: String?, document: Document, visibleName: String) -> String? {
        if visibleName == document.name { return document.name }
        return state.withLock { $0.temporaries[TemporaryKey(view: view, document: document.id)]?[visibleName] }
    }

    func forget(_ inode: UInt64, count: UInt64) {
        state.withLock { $0.nodes.forget(inode, count: count) }
    }

    func attributes(_ inode: UInt64, handle: UInt64?) throws(Errno) -> FuseAttributes {
        let resolved = try resolve(inode)
        guard case .entry = resolved.node.kind else { return try attributes(for: resolved) }
        // An open file answers from its own descriptor: still right after
        // the name was unlinked or renamed over.
        if let handle, let fd = handles.withLock({ $0.open[handle]?.fd }) {
            var status = stat()
            try check(fstat(fd, &status))
            return FuseAttributes(stat: presented(status, inode: inode, permissions: resolved.permissions),
                                  timeout: Self.hostTimeout)
        }
        do {
            return try attributes(for: resolved)
        } catch where error == .staleNFSFileHandle || error == .noSuchFileOrDirectory {
            guard let status = openStatus(of: inode) else { throw error }
            return FuseAttributes(stat: presented(status, inode: inode, permissions: resolved.permissions), timeout: 0)
        }
    }
}

/// What the portal side needs to know about nodes.
extension DocumentFileSystem {
    /// Every node of a document, in every view: `names` are the document
    /// directories' entries in their parents, `inodes` everything.
    func cachedNodes(of id: String) -> (names: [(UInt64, String)], inodes: [UInt64]) {
        state.withLock { state in
            var names: [(UInt64, String)] = []
            var inodes: [UInt64] = []
            for (inode, node) in state.nodes.nodes where node.document == id {
                inodes.append(inode)
                if case .documentDirectory = node.kind { names.append((node.parent, id)) }
            }
            return (names, inodes)
        }
    }

    /// The host path behind one of our inodes, with its view and rights.
    func hostFile(ofInode inode: UInt64) -> (String, String?, DocumentPermissions)? {
        guard let resolved = try? resolve(inode), let path = hostPath(of: resolved) else { return nil }
        return (path, resolved.node.view, resolved.permissions)
    }
}
