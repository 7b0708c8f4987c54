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
        let moved = try staged(descriptors, from: max((descriptors.keys.max() ?? 0) + 1, 100))
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

extension SandboxExec {
    /// Starts bwrap as a child instead (the Flatpak portal's Spawn): every
    /// descriptor at its slot (the plan's and the caller's alike), nothing
    /// else inherited, a process group of its own, default signals.
    public static func spawn(_ commandLine: [String], descriptors: [Int32: UnixFD],
                             environment: [String: String]) throws(SandboxError) -> Int32 {
        let highest = (descriptors.keys.max() ?? 2) + 1
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let staged = try staged(descriptors, from: highest)
        defer { staged.forEach { close($0.raw) } }
        for (slot, raw) in staged { posix_spawn_file_actions_adddup2(&actions, raw, slot) }
        burrow_spawn_addclosefrom(&actions, highest)

        let argv = commandLine.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let result = SpawnAttributes.withCleanSignals(newProcessGroup: true) {
            posix_spawn(&pid, commandLine[0], &actions, $0, argv, envp)
        }
        guard result == 0 else { throw SandboxError("cannot start \(commandLine[0]): \(String(cString: strerror(result)))") }
        return pid
    }

    /// Close-on-exec copies of `descriptors` numbered `from` upwards, above
    /// every slot: moving them into their slots afterwards never clobbers a
    /// descriptor that already sits on another's slot.
    private static func staged(_ descriptors: [Int32: UnixFD], from floor: Int32) throws(SandboxError) -> [(slot: Int32, raw: Int32)] {
        var staged: [(slot: Int32, raw: Int32)] = []
        for (slot, fd) in descriptors {
            let raw = fd.withRawDescriptor { fcntl($0, F_DUPFD_CLOEXEC, floor) }
            guard raw >= 0 else {
                let reason = String(cString: strerror(errno))
                staged.forEach { close($0.raw) }
                throw SandboxError("cannot prepare descriptor \(slot): \(reason)")
            }
            staged.append((slot, raw))
        }
        return staged
    }
}
