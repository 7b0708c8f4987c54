internal import CLinux
import Glibc
import SystemPackage

/// Creating, removing and renaming names. Every change needs the view's
/// write permission and stays inside one document: a name never moves from
/// one document (or one app's view) to another.
extension DocumentFileSystem {
    func create(parent: UInt64, name: String, mode: mode_t, flags: Int32) throws(Errno) -> (FuseEntry, FuseOpenFile) {
        let directory = try resolve(parent)
        try requireWrite(directory)
        let target = try hostDirectory(directory)
        let hostName = try createdName(in: directory, visibleName: name)
        // A fresh temporary name must not open a host file that happens to
        // exist already.
        let fresh = hostName != name && self.hostName(view: directory.node.view, document: directory.document!, visibleName: name) == nil
        let fd = openat(target.fd, hostName, flags | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (fresh ? O_EXCL : 0), mode)
        guard fd >= 0 else { throw Errno(rawValue: errno) }
        let host: HostFile
        do {
            host = try target.child(hostName)
        } catch {
            close(fd)
            throw error
        }
        if hostName != name, let document = directory.document {
            state.withLock { $0.temporaries[TemporaryKey(view: directory.node.view, document: document.id), default: [:]][name] = hostName }
        }
        let entry = entry(.entry(view: directory.node.view, document: directory.document!.id,
                                 device: host.device, inode: host.inode),
                          parent: parent, hostName: hostName, permissions: directory.permissions, host: host)
        return (entry, FuseOpenFile(handle: register(fd, inode: entry.inode), keepCache: false))
    }

    /// The host name for a new visible name. In a file document only the
    /// document's own name is real; anything else the app creates there is
    /// a temporary, stored hidden beside it (`.xdp-NAME-XXXXXX`) and shown
    /// only in this view, so an editor can write a new copy and rename it
    /// over the document.
    private func createdName(in directory: Resolved, visibleName: String) throws(Errno) -> String {
        guard HostFile.isPlainName(visibleName) else { throw Errno.invalidArgument }
        guard case .documentDirectory(let view, _) = directory.node.kind, let document = directory.document else {
            return visibleName
        }
        if visibleName == document.name { return visibleName }
        if let existing = hostName(view: view, document: document, visibleName: visibleName) { return existing }
        let suffix = String((0..<6).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement()! })
        let stem = String(decoding: Array(visibleName.utf8.prefix(200)), as: UTF8.self)
        return ".xdp-\(stem)-\(suffix)"
    }

    func makeDirectory(parent: UInt64, name: String, mode: mode_t) throws(Errno) -> FuseEntry {
        try makeInDirectoryDocument(parent: parent, name: name) { (fd: Int32) -> Int32 in mkdirat(fd, name, mode) }
    }

    func makeSymlink(parent: UInt64, name: String, target: String) throws(Errno) -> FuseEntry {
        // The target is text the kernel resolves inside the app's own view
        // of the mount, never on the host: it cannot point out of the store.
        try makeInDirectoryDocument(parent: parent, name: name) { (fd: Int32) -> Int32 in symlinkat(target, fd, name) }
    }

    private func makeInDirectoryDocument(parent: UInt64, name: String, _ make: (Int32) -> Int32) throws(Errno) -> FuseEntry {
        let directory = try resolve(parent)
        try requireWrite(directory)
        guard case .entry(let view, let id, _, _) = directory.node.kind, HostFile.isPlainName(name) else {
            throw Errno.permissionDenied
        }
        let host = try hostDirectory(directory)
        try check(make(host.fd))
        let made = try host.child(name)
        return entry(.entry(view: view, document: id, device: made.device, inode: made.inode),
                     parent: parent, hostName: name, permissions: directory.permissions, host: made)
    }

    func unlink(parent: UInt64, name: String) throws(Errno) {
        try remove(parent: parent, name: name, flags: 0)
    }

    func removeDirectory(parent: UInt64, name: String) throws(Errno) {
        try remove(parent: parent, name: name, flags: AT_REMOVEDIR)
    }

    /// Open files keep working after their name is removed: the store holds
    /// the host descriptor, not the name.
    private func remove(parent: UInt64, name: String, flags: Int32) throws(Errno) {
        let directory = try resolve(parent)
        try requireWrite(directory)
        let host = try hostDirectory(directory)
        let hostName = try existingName(in: directory, visibleName: name)
        try check(unlinkat(host.fd, hostName, flags))
        forgetTemporary(in: directory, visibleName: name)
    }

    func rename(parent: UInt64, name: String, newParent: UInt64, newName: String, flags: UInt32) throws(Errno) {
        guard flags & ~burrow_rename_noreplace == 0 else { throw Errno.invalidArgument }
        let source = try resolve(parent)
        let destination = try resolve(newParent)
        guard source.node.view == destination.node.view, source.document?.id == destination.document?.id else {
            throw Errno.improperLink
        }
        try requireWrite(source)
        let sourceDirectory = try hostDirectory(source)
        let destinationDirectory = try hostDirectory(destination)
        let sourceName = try existingName(in: source, visibleName: name)
        let destinationName = try createdName(in: destination, visibleName: newName)
        let moved = try sourceDirectory.child(sourceName)
        try check(burrow_renameat2(sourceDirectory.fd, sourceName, destinationDirectory.fd, destinationName, flags))

        forgetTemporary(in: source, visibleName: name)
        if destinationName != newName, let id = destination.document?.id {
            state.withLock { $0.temporaries[TemporaryKey(view: destination.node.view, document: id), default: [:]][newName] = destinationName }
        }
        // The node follows its file: the kernel moves the dentry, and a later
        // lookup of the new name must find the same inode.
        if let id = source.document?.id {
            let kind = NodeTable.Kind.entry(view: source.node.view, document: id,
                                            device: moved.device, inode: moved.inode)
            state.withLock { state in
                if let inode = state.nodes.inode(of: kind) { state.nodes.move(inode, parent: newParent, hostName: destinationName) }
            }
        }
    }

    /// The host name behind an existing visible name.
    private func existingName(in directory: Resolved, visibleName: String) throws(Errno) -> String {
        guard HostFile.isPlainName(visibleName) else { throw Errno.invalidArgument }
        guard case .documentDirectory(let view, _) = directory.node.kind, let document = directory.document else {
            return visibleName
        }
        guard !document.isDirectory else { throw Errno.permissionDenied }
        guard let hostName = hostName(view: view, document: document, visibleName: visibleName) else {
            throw Errno.noSuchFileOrDirectory
        }
        return hostName
    }

    private func forgetTemporary(in directory: Resolved, visibleName: String) {
        guard case .documentDirectory(let view, let id) = directory.node.kind else { return }
        state.withLock { _ = $0.temporaries[TemporaryKey(view: view, document: id)]?.removeValue(forKey: visibleName) }
    }

    /// Removes temporaries an app left behind (a save that never finished);
    /// called when the store shuts down.
    func removeTemporaries() {
        let all = state.withLock { state in
            defer { state.temporaries = [:] }
            return state.temporaries
        }
        for (key, names) in all {
            guard let document = store.document(key.document),
                  let host = try? HostFile.directory(document.directory, device: document.device, inode: document.inode)
            else { continue }
            for hostName in names.values where hostName.hasPrefix(".xdp-") { unlinkat(host.fd, hostName, 0) }
        }
    }
}
