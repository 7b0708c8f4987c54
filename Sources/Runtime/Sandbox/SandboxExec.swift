import CLinux
import Glibc
public import PortalCommon

/// The last step of `burrow run`.
public enum SandboxExec {
    /// Replaces burrow with bwrap (as `flatpak run` does), each descriptor
    /// moved to the slot the plan gave it and left open across exec.
    /// `forwarded` are descriptors the launcher inherited that must reach
    /// the sandbox at the same numbers; the caller keeps slots off them.
    public static func replaceProcess(with commandLine: [String], descriptors: [Int32: UnixFD],
                                      forwarded: Set<Int32> = []) throws(SandboxError) -> Never {
        // First out of the way (above every slot), then into place, so a
        // descriptor already sitting on another's slot is never clobbered.
        let highest = (descriptors.keys.max() ?? 0) + 1
        var moved: [(Int32, Int32)] = []
        for (slot, fd) in descriptors {
            let raw = fd.withRawDescriptor { fcntl($0, F_DUPFD_CLOEXEC, max(highest, 100)) }
            guard raw >= 0 else { throw SandboxError("cannot prepare descriptor \(slot): \(String(cString: strerror(errno)))") }
            moved.append((slot, raw))
        }
        // Everything else burrow has open (libraries, Foundation) is marked
        // close-on-exec: bwrap hands the sandbox every descriptor it
        // inherits, and none but the plan's may cross. dup2 below clears the
        // flag on exactly the slots.
        guard burrow_cloexec_from(3) == 0 else {
            throw SandboxError("cannot close descriptors before exec: \(String(cString: strerror(errno)))")
        }
        for fd in forwarded where fcntl(fd, F_SETFD, 0) != 0 {
            throw SandboxError("descriptor \(fd) to forward is not open: \(String(cString: strerror(errno)))")
        }
        for (slot, raw) in moved {
            guard dup2(raw, slot) == slot else { throw SandboxError("cannot place descriptor \(slot): \(String(cString: strerror(errno)))") }
            close(raw)
        }
        let argv = commandLine.map { strdup($0) } + [nil]
        burrow_reset_signals()
        execv(commandLine[0], argv)
        throw SandboxError("cannot run \(commandLine[0]): \(String(cString: strerror(errno)))")
    }
}
