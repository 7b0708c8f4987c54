internal import CFuse3
import Dispatch
import FoundationEssentials
import PortalCommon
import Glibc
import Synchronization
import SystemPackage

/// One FUSE mount served by libfuse3's low-level API on a pool of worker
/// threads. The session owns the C side (ops table, /dev/fuse channel,
/// directory snapshots); the file system only answers questions.
final class FuseSession: @unchecked Sendable {
    let mountPoint: String
    // Set once in init, read-only afterwards; libfuse's calls on it are
    // thread-safe. That is what makes the unchecked Sendable sound.
    private let session: OpaquePointer
    private let dispatcher: FuseDispatcher
    private let running = Mutex(false)
    private let finished = DispatchSemaphore(value: 0)

    init(mountPoint: String, fileSystemName: String, fileSystem: any FuseFileSystem) throws {
        self.mountPoint = mountPoint
        let dispatcher = FuseDispatcher(fileSystem)
        self.dispatcher = dispatcher
        let arguments = ["burrow-document-portal", "-o", "fsname=\(fileSystemName),subtype=burrow-doc"]
        var cArguments = arguments.map { strdup($0) }
        defer { cArguments.forEach { free($0) } }
        var ops = FuseSession.operations
        let created = cArguments.withUnsafeMutableBufferPointer { buffer -> OpaquePointer? in
            var args = fuse_args(argc: Int32(buffer.count), argv: buffer.baseAddress, allocated: 0)
            defer { fuse_opt_free_args(&args) }
            // The session holds `dispatcher` for as long as libfuse may call back.
            return fuse_session_new(&args, &ops, MemoryLayout<fuse_lowlevel_ops>.size,
                                    Unmanaged.passUnretained(dispatcher).toOpaque())
        }
        guard let created else { throw FuseSessionError("libfuse could not create a session") }
        session = created
    }

    deinit { fuse_session_destroy(session) }

    /// Mounts (through fusermount3 when unprivileged) and starts serving.
    func start(threads: Int) throws {
        guard fuse_session_mount(session, mountPoint) == 0 else {
            throw FuseSessionError("cannot mount the document store at \(mountPoint) (is /dev/fuse usable and fusermount3 installed?)")
        }
        running.withLock { $0 = true }
        do {
            try DetachedThread.start(name: "fuse") { [self] in
                _ = burrow_fuse_loop_mt(session, UInt32(threads))
                finished.signal()
            }
        } catch {
            running.withLock { $0 = false }
            fuse_session_unmount(session)
            throw FuseSessionError(error.message)
        }
    }

    /// Unmounts and waits for the worker threads. Requests in flight get
    /// ENODEV from the kernel once the connection is gone.
    func stop() {
        guard running.withLock({ was in defer { was = false }; return was }) else { return }
        fuse_session_exit(session)
        fuse_session_unmount(session)
        finished.wait()
    }

    /// Drops the kernel's cached `name` in directory `parent` (a revoked or
    /// deleted document). Never call with a lock the file system's own
    /// handlers take: the kernel may wait for a lookup in that directory.
    func invalidateEntry(parent: UInt64, name: String) {
        _ = name.withCString { fuse_lowlevel_notify_inval_entry(session, parent, $0, strlen($0)) }
    }

    /// Drops cached attributes and pages of `inode`.
    func invalidateInode(_ inode: UInt64) {
        _ = fuse_lowlevel_notify_inval_inode(session, inode, 0, 0)
    }
}

/// What the C trampolines reach through `fuse_req_userdata`: the file system
/// and the directory snapshots taken at opendir.
final class FuseDispatcher: Sendable {
    let fileSystem: any FuseFileSystem
    private let directories = Mutex<(next: UInt64, open: [UInt64: [FuseDirectoryEntry]])>((1, [:]))

    init(_ fileSystem: any FuseFileSystem) { self.fileSystem = fileSystem }

    func openDirectory(_ entries: [FuseDirectoryEntry]) -> UInt64 {
        directories.withLock { state in
            defer { state.next += 1 }
            state.open[state.next] = entries
            return state.next
        }
    }

    func directoryEntries(_ handle: UInt64) -> [FuseDirectoryEntry]? {
        directories.withLock { $0.open[handle] }
    }

    func closeDirectory(_ handle: UInt64) {
        directories.withLock { _ = $0.open.removeValue(forKey: handle) }
    }

    static func from(_ request: fuse_req_t?) -> FuseDispatcher {
        Unmanaged<FuseDispatcher>.fromOpaque(fuse_req_userdata(request)!).takeUnretainedValue()
    }
}

struct FuseSessionError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
