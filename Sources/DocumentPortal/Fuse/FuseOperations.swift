internal import CFuse3
import Glibc
import SystemPackage

/// The C entry points: each turns a FUSE request into a call on the file
/// system and its result (or Errno) into exactly one reply.
extension FuseSession {
    static var operations: fuse_lowlevel_ops {
        var ops = fuse_lowlevel_ops()
        ops.`init` = { _, connection in
            guard let connection else { return }
            // Reads are answered by splicing the host file into /dev/fuse;
            // AUTO_INVAL_DATA drops cached pages when a host-side change
            // shows up in the attributes; PARALLEL_DIROPS lets lookups in one
            // directory run at once.
            let wanted = UInt32(FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE | FUSE_CAP_AUTO_INVAL_DATA
                                | FUSE_CAP_PARALLEL_DIROPS | FUSE_CAP_ASYNC_READ)
            connection.pointee.want |= wanted & connection.pointee.capable
            // Never the host's ACL or export semantics: the portal decides.
            connection.pointee.want &= ~UInt32(FUSE_CAP_POSIX_ACL | FUSE_CAP_EXPORT_SUPPORT | FUSE_CAP_WRITEBACK_CACHE)
            connection.pointee.max_readahead = max(connection.pointee.max_readahead, 1 << 20)
        }
        ops.lookup = { request, parent, name in
            reply(request) { fs throws(Errno) in try entryReply(request, fs.lookup(parent: parent, name: String(cString: name!))) }
        }
        ops.forget = { request, inode, count in
            FuseDispatcher.from(request).fileSystem.forget(inode, count: count)
            fuse_reply_none(request)
        }
        ops.forget_multi = { request, count, forgets in
            let fs = FuseDispatcher.from(request).fileSystem
            for index in 0..<count { fs.forget(forgets![index].ino, count: forgets![index].nlookup) }
            fuse_reply_none(request)
        }
        ops.getattr = { request, inode, info in
            reply(request) { fs throws(Errno) in try attributesReply(request, fs.attributes(inode, handle: info?.pointee.fh)) }
        }
        ops.setattr = { request, inode, attributes, toSet, info in
            reply(request) { fs throws(Errno) in
                try attributesReply(request, fs.setAttributes(inode, changes(attributes!.pointee, toSet), handle: info?.pointee.fh))
            }
        }
        ops.access = { request, inode, mask in
            reply(request) { fs throws(Errno) in try fs.access(inode, mask: mask); fuse_reply_err(request, 0) }
        }
        ops.readlink = { request, inode in
            reply(request) { fs throws(Errno) in _ = try fs.readLink(inode).withCString { fuse_reply_readlink(request, $0) } }
        }
        ops.mkdir = { request, parent, name, mode in
            reply(request) { fs throws(Errno) in
                try entryReply(request, fs.makeDirectory(parent: parent, name: String(cString: name!), mode: mode))
            }
        }
        ops.symlink = { request, target, parent, name in
            reply(request) { fs throws(Errno) in
                try entryReply(request, fs.makeSymlink(parent: parent, name: String(cString: name!), target: String(cString: target!)))
            }
        }
        ops.unlink = { request, parent, name in
            reply(request) { fs throws(Errno) in try fs.unlink(parent: parent, name: String(cString: name!)); fuse_reply_err(request, 0) }
        }
        ops.rmdir = { request, parent, name in
            reply(request) { fs throws(Errno) in
                try fs.removeDirectory(parent: parent, name: String(cString: name!)); fuse_reply_err(request, 0)
            }
        }
        ops.rename = { request, parent, name, newParent, newName, flags in
            reply(request) { fs throws(Errno) in
                try fs.rename(parent: parent, name: String(cString: name!), newParent: newParent,
                              newName: String(cString: newName!), flags: flags)
                fuse_reply_err(request, 0)
            }
        }
        ops.link = { request, _, _, _ in fuse_reply_err(request, EPERM) }
        ops.mknod = { request, _, _, _, _ in fuse_reply_err(request, EPERM) }
        ops.open = { request, inode, info in
            reply(request) { fs throws(Errno) in
                let file = try fs.open(inode, flags: info!.pointee.flags)
                info!.pointee.fh = file.handle
                info!.pointee.keep_cache = file.keepCache ? 1 : 0
                if fuse_reply_open(request, info) != 0 { fs.release(handle: file.handle) }
            }
        }
        ops.create = { request, parent, name, mode, info in
            reply(request) { fs throws(Errno) in
                let (entry, file) = try fs.create(parent: parent, name: String(cString: name!), mode: mode, flags: info!.pointee.flags)
                info!.pointee.fh = file.handle
                var parameters = entryParameters(entry)
                if fuse_reply_create(request, &parameters, info) != 0 { fs.release(handle: file.handle) }
            }
        }
        ops.read = { request, _, size, offset, info in
            reply(request) { fs throws(Errno) in
                _ = burrow_fuse_reply_fd(request, try fs.readSource(handle: info!.pointee.fh), size, offset)
            }
        }
        ops.write = { request, _, bytes, size, offset, info in
            reply(request) { fs throws(Errno) in
                let written = try fs.write(handle: info!.pointee.fh, UnsafeRawBufferPointer(start: bytes, count: size), offset: Int64(offset))
                fuse_reply_write(request, written)
            }
        }
        ops.flush = { request, _, info in
            reply(request) { fs throws(Errno) in try fs.flush(handle: info!.pointee.fh); fuse_reply_err(request, 0) }
        }
        ops.fsync = { request, _, dataOnly, info in
            reply(request) { fs throws(Errno) in try fs.sync(handle: info!.pointee.fh, dataOnly: dataOnly != 0); fuse_reply_err(request, 0) }
        }
        ops.release = { request, _, info in
            FuseDispatcher.from(request).fileSystem.release(handle: info!.pointee.fh)
            fuse_reply_err(request, 0)
        }
        ops.opendir = { request, inode, info in
            reply(request) { fs throws(Errno) in
                // A snapshot at opendir: readdir offsets stay stable while
                // the directory changes underneath.
                info!.pointee.fh = FuseDispatcher.from(request).openDirectory(try fs.listDirectory(inode))
                fuse_reply_open(request, info)
            }
        }
        ops.readdir = { request, _, size, offset, info in
            let dispatcher = FuseDispatcher.from(request)
            guard let entries = dispatcher.directoryEntries(info!.pointee.fh) else { fuse_reply_err(request, EBADF); return }
            replyDirectory(request, entries, size: size, offset: Int64(offset))
        }
        ops.releasedir = { request, _, info in
            FuseDispatcher.from(request).closeDirectory(info!.pointee.fh)
            fuse_reply_err(request, 0)
        }
        ops.fsyncdir = { request, _, _, _ in fuse_reply_err(request, 0) }
        ops.statfs = { request, inode in
            reply(request) { fs throws(Errno) in
                var statistics = try fs.fileSystemStatistics(inode)
                fuse_reply_statfs(request, &statistics)
            }
        }
        ops.getxattr = { request, inode, name, size in
            reply(request) { fs throws(Errno) in
                let value = try fs.extendedAttribute(inode, name: String(cString: name!))
                replyBytes(request, value, size: size)
            }
        }
        ops.listxattr = { request, inode, size in
            reply(request) { fs throws(Errno) in
                let names: [UInt8] = try fs.extendedAttributeNames(inode).flatMap { Array($0.utf8) + [0] }
                replyBytes(request, names, size: size)
            }
        }
        // The portal's attributes are read-only and host xattrs are not
        // passed through: ENOTSUP lets copy tools carry on without them.
        ops.setxattr = { request, _, _, _, _, _ in fuse_reply_err(request, ENOTSUP) }
        ops.removexattr = { request, _, _ in fuse_reply_err(request, ENOTSUP) }
        return ops
    }
}

/// Runs `body` with the file system; a thrown Errno becomes the reply.
private func reply(_ request: fuse_req_t?, _ body: (any FuseFileSystem) throws(Errno) -> Void) {
    do {
        try body(FuseDispatcher.from(request).fileSystem)
    } catch {
        fuse_reply_err(request, error.rawValue)
    }
}

private func entryParameters(_ entry: FuseEntry) -> fuse_entry_param {
    var parameters = fuse_entry_param()
    parameters.ino = entry.inode
    parameters.attr = entry.attributes.stat
    parameters.attr_timeout = entry.attributes.timeout
    parameters.entry_timeout = entry.entryTimeout
    return parameters
}

private func entryReply(_ request: fuse_req_t?, _ entry: FuseEntry) {
    var parameters = entryParameters(entry)
    fuse_reply_entry(request, &parameters)
}

private func attributesReply(_ request: fuse_req_t?, _ attributes: FuseAttributes) {
    var stat = attributes.stat
    fuse_reply_attr(request, &stat, attributes.timeout)
}

/// xattr protocol: size 0 asks how big the value is.
private func replyBytes(_ request: fuse_req_t?, _ bytes: [UInt8], size: Int) {
    if size == 0 {
        fuse_reply_xattr(request, bytes.count)
    } else if size < bytes.count {
        fuse_reply_err(request, ERANGE)
    } else {
        bytes.withUnsafeBufferPointer { _ = fuse_reply_buf(request, $0.baseAddress, $0.count) }
    }
}

/// Packs entries from `offset` (an index into the snapshot) into at most
/// `size` bytes; each entry's offset is the index of the one after it.
private func replyDirectory(_ request: fuse_req_t?, _ entries: [FuseDirectoryEntry], size: Int, offset: Int64) {
    var buffer = [CChar](repeating: 0, count: size)
    var used = 0
    var index = Int(offset)
    while index < entries.count {
        var attributes = stat()
        attributes.st_ino = ino_t(entries[index].inode)
        attributes.st_mode = entries[index].type
        let needed = buffer.withUnsafeMutableBufferPointer { out in
            entries[index].name.withCString {
                fuse_add_direntry(request, out.baseAddress! + used, size - used, $0, &attributes, off_t(index + 1))
            }
        }
        if needed > size - used { break }
        used += needed
        index += 1
    }
    _ = buffer.withUnsafeBufferPointer { fuse_reply_buf(request, $0.baseAddress, used) }
}

private func changes(_ attributes: stat, _ toSet: Int32) -> AttributeChanges {
    var result = AttributeChanges(owner: (nil, nil))
    if toSet & FUSE_SET_ATTR_MODE != 0 { result.mode = attributes.st_mode }
    if toSet & FUSE_SET_ATTR_SIZE != 0 { result.size = Int64(attributes.st_size) }
    if toSet & FUSE_SET_ATTR_UID != 0 { result.owner.uid = attributes.st_uid }
    if toSet & FUSE_SET_ATTR_GID != 0 { result.owner.gid = attributes.st_gid }
    let now = timespec(tv_sec: 0, tv_nsec: utimeNow)
    if toSet & FUSE_SET_ATTR_ATIME_NOW != 0 { result.accessTime = now }
    else if toSet & FUSE_SET_ATTR_ATIME != 0 { result.accessTime = attributes.st_atim }
    if toSet & FUSE_SET_ATTR_MTIME_NOW != 0 { result.modificationTime = now }
    else if toSet & FUSE_SET_ATTR_MTIME != 0 { result.modificationTime = attributes.st_mtim }
    return result
}
