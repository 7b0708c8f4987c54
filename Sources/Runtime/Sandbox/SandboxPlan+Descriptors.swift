import Glibc
public import PortalCommon

extension SandboxPlan {
    /// Materializes every descriptor bwrap will read: the `--args` data, the
    /// data files (passwd, group, /.flatpak-info, …) and the compiled
    /// seccomp filter, each a sealed memfd keyed by the slot it must occupy
    /// in bwrap's descriptor table (`commandLine()` refers to them by number).
    ///
    /// This is the one part of a plan that does I/O; it creates no file on
    /// disk, so there is nothing another user could swap in the meantime.
    public func openDescriptors() throws(SandboxError) -> [Int32: UnixFD] {
        var files: [Int32: UnixFD] = [:]
        files[argumentsSlot] = try SealedMemoryFile.make(name: "bwrap-args", contents: argsData())
        for descriptor in descriptors {
            switch descriptor.content {
            case .data(let name, let bytes):
                files[descriptor.slot] = try SealedMemoryFile.make(name: name, contents: bytes)
            case .seccomp(let filter):
                files[descriptor.slot] = try filter.compile()
            case .file(let file):
                files[descriptor.slot] = file
            case .hostFile(let path):
                files[descriptor.slot] = try Self.openHostFile(path)
            }
        }
        return files
    }

    /// A regular file to copy from; never a FIFO or device bwrap would
    /// block on or read forever.
    private static func openHostFile(_ path: String) throws(SandboxError) -> UnixFD {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        guard fd >= 0 else { throw SandboxError("cannot read \(path): \(String(cString: strerror(errno)))") }
        let file = UnixFD(takingOwnershipOf: fd)
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            throw SandboxError("\(path) is not a regular file; cannot copy it into the sandbox")
        }
        return file
    }
}
