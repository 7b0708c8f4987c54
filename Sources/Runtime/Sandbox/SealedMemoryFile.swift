internal import CLinux
import Glibc
public import PortalCommon

/// Data handed to bwrap on a file descriptor (`--seccomp FD`, `--args FD`,
/// `--ro-bind-data FD`): an anonymous memory file, filled once, sealed, and
/// rewound.
///
/// Security: the seals (no write, no grow, no shrink, no further seals) make
/// the contents immutable from the moment they are written, so nothing that
/// later gets hold of the descriptor — bwrap, a process that inherits it by
/// mistake — can change the policy or the arguments bwrap is about to read.
/// A memfd also has no path: there is no file in `/tmp` for another user to
/// replace between writing and reading.
public enum SealedMemoryFile {
    /// A sealed memfd holding `bytes`, positioned at offset 0; close-on-exec
    /// (posix_spawn's dup2 onto the child's slot clears that for the child).
    public static func make(name: String, contents bytes: [UInt8]) throws(SandboxError) -> UnixFD {
        try make(name: name) { (fd: Int32) throws(SandboxError) in
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeBytes { buffer in
                    write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                }
                if written < 0 {
                    let error = burrow_errno()
                    if error == EINTR { continue }
                    throw SandboxError("cannot write \(name) to a memory file: \(String(cString: strerror(error)))")
                }
                offset += written
            }
        }
    }

    /// A sealed memfd whose contents `fill` writes through the raw descriptor.
    static func make(
        name: String, fill: (Int32) throws(SandboxError) -> Void
    ) throws(SandboxError) -> UnixFD {
        let raw = burrow_memfd_create(name, burrow_mfd_cloexec | burrow_mfd_allow_sealing)
        guard raw >= 0 else {
            throw SandboxError("memfd_create(\(name)): \(String(cString: strerror(burrow_errno())))")
        }
        let file = UnixFD(takingOwnershipOf: raw)
        try fill(raw)
        let seals = burrow_f_seal_seal | burrow_f_seal_shrink | burrow_f_seal_grow | burrow_f_seal_write
        guard fcntl(raw, burrow_f_add_seals, seals) == 0 else {
            throw SandboxError("cannot seal \(name): \(String(cString: strerror(burrow_errno())))")
        }
        guard lseek(raw, 0, SEEK_SET) == 0 else {
            throw SandboxError("cannot rewind \(name): \(String(cString: strerror(burrow_errno())))")
        }
        return file
    }

    /// Everything in `file` from offset 0, without moving its offset
    /// (`pread`), so the descriptor can still be handed to bwrap afterwards.
    public static func contents(of file: UnixFD) throws(SandboxError) -> [UInt8] {
        try file.withRawDescriptor { (fd: Int32) throws(SandboxError) -> [UInt8] in
            var result: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 16384)
            while true {
                let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(result.count)) }
                if count < 0 {
                    let error = burrow_errno()
                    if error == EINTR { continue }
                    throw SandboxError("cannot read back a memory file: \(String(cString: strerror(error)))")
                }
                if count == 0 { return result }
                result += buffer[0..<count]
            }
        }
    }
}
