import Glibc
import SystemPackage

/// A file system served by `FuseSession`, written as plain methods that
/// return values or throw an `Errno`; the session turns those into replies.
/// Methods are called from several FUSE worker threads at once.
protocol FuseFileSystem: AnyObject, Sendable {
    func lookup(parent: UInt64, name: String) throws(Errno) -> FuseEntry
    func forget(_ inode: UInt64, count: UInt64)
    func attributes(_ inode: UInt64, handle: UInt64?) throws(Errno) -> FuseAttributes
    func setAttributes(_ inode: UInt64, _ changes: AttributeChanges, handle: UInt64?) throws(Errno) -> FuseAttributes
    func access(_ inode: UInt64, mask: Int32) throws(Errno)
    func readLink(_ inode: UInt64) throws(Errno) -> String
    func makeDirectory(parent: UInt64, name: String, mode: mode_t) throws(Errno) -> FuseEntry
    func makeSymlink(parent: UInt64, name: String, target: String) throws(Errno) -> FuseEntry
    func unlink(parent: UInt64, name: String) throws(Errno)
    func removeDirectory(parent: UInt64, name: String) throws(Errno)
    func rename(parent: UInt64, name: String, newParent: UInt64, newName: String, flags: UInt32) throws(Errno)
    func open(_ inode: UInt64, flags: Int32) throws(Errno) -> FuseOpenFile
    func create(parent: UInt64, name: String, mode: mode_t, flags: Int32) throws(Errno) -> (FuseEntry, FuseOpenFile)
    /// The host fd to answer a read from (spliced, never copied through us).
    func readSource(handle: UInt64) throws(Errno) -> Int32
    func write(handle: UInt64, _ bytes: UnsafeRawBufferPointer, offset: Int64) throws(Errno) -> Int
    func flush(handle: UInt64) throws(Errno)
    func sync(handle: UInt64, dataOnly: Bool) throws(Errno)
    func release(handle: UInt64)
    func listDirectory(_ inode: UInt64) throws(Errno) -> [FuseDirectoryEntry]
    func fileSystemStatistics(_ inode: UInt64) throws(Errno) -> statvfs
    func extendedAttribute(_ inode: UInt64, name: String) throws(Errno) -> [UInt8]
    func extendedAttributeNames(_ inode: UInt64) throws(Errno) -> [String]
}

struct FuseAttributes {
    var stat: stat
    /// How long the kernel may answer stat(2) from its cache.
    var timeout: Double
}

struct FuseEntry {
    var inode: UInt64
    var attributes: FuseAttributes
    /// How long the kernel may reuse this name → inode answer.
    var entryTimeout: Double
}

struct FuseOpenFile {
    var handle: UInt64
    /// The page cache of an earlier open is still valid: keep it.
    var keepCache: Bool
}

struct FuseDirectoryEntry {
    var name: String
    var inode: UInt64
    var type: mode_t
}

/// The parts of a SETATTR request that were actually set.
struct AttributeChanges {
    var mode: mode_t?
    var size: Int64?
    var accessTime: timespec?
    var modificationTime: timespec?
    var owner: (uid: uid_t?, gid: gid_t?)
}
