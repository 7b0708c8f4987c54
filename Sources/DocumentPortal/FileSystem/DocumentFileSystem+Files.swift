import Glibc
import SystemPackage

/// Listing, opening, reading and writing, attributes.
extension DocumentFileSystem {
    func listDirectory(_ inode: UInt64) throws(Errno) -> [FuseDirectoryEntry] {
        let directory = try resolve(inode)
        var entries = [FuseDirectoryEntry(name: ".", inode: inode, type: S_IFDIR),
                       FuseDirectoryEntry(name: "..", inode: directory.node.parent, type: S_IFDIR)]
        // Inode numbers in a listing are informational (the kernel looks
        // each name up before using it), so virtual entries need no node;
        // they only must not be 0, which readdir(3) skips as a hole.
        switch directory.node.kind {
        case .root:
            entries.append(FuseDirectoryEntry(name: "by-app", inode: NodeTable.byAppInode, type: S_IFDIR))
            entries += store.all().map { FuseDirectoryEntry(name: $0.id, inode: Self.listedInode, type: S_IFDIR) }
        case .byApp:
            entries += store.apps().sorted().map { FuseDirectoryEntry(name: $0, inode: Self.listedInode, type: S_IFDIR) }
        case .appDirectory(let app):
            entries += store.documents(visibleTo: app).filter { $0.permissions(for: app).contains(.read) }
                .map { FuseDirectoryEntry(name: $0.id, inode: Self.listedInode, type: S_IFDIR) }
        case .documentDirectory(let view, _):
            guard let document = directory.document else { throw Errno.noSuchFileOrDirectory }
            if document.isDirectory {
                entries.append(FuseDirectoryEntry(name: document.displayName, inode: Self.listedInode, type: S_IFDIR))
                break
            }
            let host = try HostFile.directory(document.directory, device: document.device, inode: document.inode)
            var status = stat()
            if fstatat(host.fd, document.name, &status, AT_SYMLINK_NOFOLLOW) == 0, status.st_mode & S_IFMT == S_IFREG {
                entries.append(FuseDirectoryEntry(name: document.name, inode: Self.listedInode, type: S_IFREG))
            }
            let temporaries = state.withLock { $0.temporaries[TemporaryKey(view: view, document: document.id)] ?? [:] }
            entries += temporaries.keys.sorted().filter { $0 != document.name }
                .map { FuseDirectoryEntry(name: $0, inode: Self.listedInode, type: S_IFREG) }
        case .entry:
            entries += try listHostDirectory(hostFile(directory))
        }
        return entries
    }

    static let listedInode = UInt64(UInt32.max)

    private func listHostDirectory(_ host: borrowing HostFile) throws(Errno) -> [FuseDirectoryEntry] {
        guard let stream = fdopendir(try host.openDirectory()) else { throw Errno(rawValue: errno) }
        defer { closedir(stream) }
        var entries: [FuseDirectoryEntry] = []
        while let item = readdir(stream) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name == "." || name == ".." { continue }
            entries.append(FuseDirectoryEntry(name: name, inode: UInt64(item.pointee.d_ino), type: mode_t(item.pointee.d_type) << 12))
        }
        return entries
    }

    // MARK: Open files

    func open(_ inode: UInt64, flags: Int32) throws(Errno) -> FuseOpenFile {
        let resolved = try resolve(inode)
        try requireWrite(resolved, ifFlagsWrite: flags)
        let location = try hostParent(resolved)
        guard let last = location.last, case .entry(_, _, let device, let hostInode) = last.kind else { throw Errno.isDirectory }
        let fd = try location.directory.openRegular(last.hostName, device: device, inode: hostInode, flags: flags)
        return FuseOpenFile(handle: register(fd, inode: inode), keepCache: keepCache(inode, fd: fd))
    }

    /// Close-to-open coherence: the kernel may keep the pages of an
    /// earlier open only if the file has not changed since (same inode,
    /// size, mtime and ctime). Anything else drops them.
    private func keepCache(_ inode: UInt64, fd: Int32) -> Bool {
        var status = stat()
        guard fstat(fd, &status) == 0 else { return false }
        let stamp = [Int(status.st_ino), Int(status.st_size), status.st_mtim.tv_sec, status.st_mtim.tv_nsec,
                     status.st_ctim.tv_sec, status.st_ctim.tv_nsec]
        return state.withLock { state in
            defer { state.nodes.setCacheStamp(inode, stamp) }
            return state.nodes[inode]?.cacheStamp == stamp
        }
    }

    func register(_ fd: Int32, inode: UInt64) -> UInt64 {
        handles.withLock { table in
            defer { table.next += 1 }
            table.open[table.next] = OpenFile(fd: fd, inode: inode)
            return table.next
        }
    }

    private func descriptor(_ handle: UInt64) throws(Errno) -> Int32 {
        guard let file = handles.withLock({ $0.open[handle] }) else { throw Errno.badFileDescriptor }
        return file.fd
    }

    /// The status of `inode` from a descriptor an app still has open on it:
    /// the answer for fstat(2) after the name was unlinked or renamed over,
    /// when no name leads to the file any more. (The kernel sends no file
    /// handle with GETATTR for fstat.)
    func openStatus(of inode: UInt64) -> stat? {
        handles.withLock { table -> stat? in
            guard let file = table.open.values.first(where: { $0.inode == inode }) else { return nil }
            var status = stat()
            return fstat(file.fd, &status) == 0 ? status : nil
        }
    }

    func readSource(handle: UInt64) throws(Errno) -> Int32 { try descriptor(handle) }

    func write(handle: UInt64, _ bytes: UnsafeRawBufferPointer, offset: Int64) throws(Errno) -> Int {
        let written = pwrite(try descriptor(handle), bytes.baseAddress, bytes.count, off_t(offset))
        guard written >= 0 else { throw Errno(rawValue: errno) }
        return written
    }

    func flush(handle: UInt64) throws(Errno) {}

    func sync(handle: UInt64, dataOnly: Bool) throws(Errno) {
        let fd = try descriptor(handle)
        try check(dataOnly ? fdatasync(fd) : fsync(fd))
    }

    /// The host file is closed with the last close of the app's file:
    /// nothing of the host stays busy afterwards.
    func release(handle: UInt64) {
        if let file = handles.withLock({ $0.open.removeValue(forKey: handle) }) { close(file.fd) }
    }

    // MARK: Attributes and checks

    func requireWrite(_ resolved: Resolved, ifFlagsWrite flags: Int32 = O_WRONLY) throws(Errno) {
        let writes = flags & O_ACCMODE != O_RDONLY || flags & O_TRUNC != 0
        guard writes else { return }
        guard resolved.document != nil, resolved.permissions.contains(.write) else { throw Errno.permissionDenied }
    }

    func setAttributes(_ inode: UInt64, _ changes: AttributeChanges, handle: UInt64?) throws(Errno) -> FuseAttributes {
        let resolved = try resolve(inode)
        try requireWrite(resolved)
        guard changes.owner.uid == nil, changes.owner.gid == nil else { throw Errno.notPermitted }
        let host = try hostFile(resolved)
        // Calls through /proc/self/fd act on the inode the O_PATH fd holds;
        // for a symlink that is the link itself, which has nothing to set.
        guard host.status.st_mode & S_IFMT != S_IFLNK else { throw Errno.notPermitted }
        if let size = changes.size {
            if let handle {
                try check(ftruncate(try descriptor(handle), off_t(size)))
            } else {
                let fd = try host.reopen(flags: O_WRONLY)
                defer { close(fd) }
                try check(ftruncate(fd, off_t(size)))
            }
        }
        if let mode = changes.mode {
            try check(chmod(host.procPath, mode & 0o7777))
        }
        if changes.accessTime != nil || changes.modificationTime != nil {
            let omit = timespec(tv_sec: 0, tv_nsec: utimeOmit)
            let times = [changes.accessTime ?? omit, changes.modificationTime ?? omit]
            try check(utimensat(AT_FDCWD, host.procPath, times, 0))
        }
        return try attributes(for: resolved)
    }

    func access(_ inode: UInt64, mask: Int32) throws(Errno) {
        let resolved = try resolve(inode)
        if mask & W_OK != 0 {
            guard resolved.permissions.contains(.write), resolved.document != nil else { throw Errno.permissionDenied }
        }
        guard case .entry = resolved.node.kind else { return }
        // Bound to a name: a temporary HostFile would close its fd as soon
        // as procPath is read, before the call uses the path.
        let host = try hostFile(resolved)
        try check(Glibc.access(host.procPath, mask))
    }

    func readLink(_ inode: UInt64) throws(Errno) -> String {
        let host = try hostFile(try resolve(inode))
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        // An burrow_o_path descriptor of the symlink itself, read with an empty name.
        let length = readlinkat(host.fd, "", &buffer, buffer.count - 1)
        guard length >= 0 else { throw Errno(rawValue: errno) }
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func fileSystemStatistics(_ inode: UInt64) throws(Errno) -> statvfs {
        var statistics = statvfs()
        let resolved = try resolve(inode)
        if case .entry = resolved.node.kind {
            let host = try hostFile(resolved)
            try check(statvfs(host.procPath, &statistics))
        } else {
            try check(statvfs(statisticsPath, &statistics))
        }
        return statistics
    }

    // MARK: Extended attributes

    static let hostPathAttribute = "user.document-portal.host-path"

    func extendedAttribute(_ inode: UInt64, name: String) throws(Errno) -> [UInt8] {
        guard name == Self.hostPathAttribute else { throw Errno.noData }
        guard let path = try hostPath(of: resolve(inode)) else { throw Errno.noData }
        return Array(path.utf8)
    }

    func extendedAttributeNames(_ inode: UInt64) throws(Errno) -> [String] {
        try hostPath(of: resolve(inode)) == nil ? [] : [Self.hostPathAttribute]
    }

    /// Where an entry lives on the host, rebuilt from the document's path
    /// and the names that lead to it.
    func hostPath(of resolved: Resolved) -> String? {
        guard let document = resolved.document, case .entry = resolved.node.kind else { return nil }
        let names = state.withLock { $0.nodes.entryChain(to: resolved.inode) }.map(\.hostName)
        // A directory document's first name is the exported directory itself.
        let below = document.isDirectory ? names.dropFirst() : names[...]
        return ([document.directory == "/" ? "" : document.directory] + below).joined(separator: "/")
    }
}
