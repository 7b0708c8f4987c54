import CLinux
import Glibc
import PortalCommon

/// `burrow enter`: runs a command inside a running sandbox, in the
/// namespaces, root and environment of its first process — what
/// `flatpak enter` does.
///
/// Security: this only ever gains what the caller already has. The target
/// is a sandbox of the caller's own (its user namespace belongs to the
/// caller; setns into another user's fails with EPERM), and the command runs
/// under the sandbox's seccomp rules only if it inherits them — it does not,
/// so `enter` is a debugging tool for the sandbox's owner, as in Flatpak.
public enum SandboxEnter {
    /// Runs `command` in the sandbox and exits with its status.
    public static func run(childPID: Int32, command: [String]) throws(SandboxError) -> Never {
        guard !command.isEmpty else { throw SandboxError("enter needs a command") }
        let proc = "/proc/\(childPID)"
        // Open everything first: once in the new mount namespace, the
        // host's /proc is gone.
        var namespaces: [(String, Int32)] = []
        for name in ["user", "ipc", "net", "pid", "uts", "mnt"] {
            let fd = open("\(proc)/ns/\(name)", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw SandboxError("cannot open the \(name) namespace of pid \(childPID): \(String(cString: strerror(errno)))") }
            namespaces.append((name, fd))
        }
        let root = open("\(proc)/root", burrow_o_path | O_DIRECTORY | O_CLOEXEC)
        guard root >= 0 else { throw SandboxError("cannot open the root of pid \(childPID): \(String(cString: strerror(errno)))") }
        let environment = readEnvironment("\(proc)/environ")

        // Namespaces we already share (a shared net namespace, say) are
        // skipped: joining one's own user namespace is EINVAL.
        var own = stat(), theirs = stat()
        let fds: [Int32] = namespaces.map { name, fd in
            stat("/proc/self/ns/\(name)", &own) == 0 && fstat(fd, &theirs) == 0 && own.st_ino == theirs.st_ino ? -1 : fd
        }
        let path = command[0].hasPrefix("/") ? command[0] : "/usr/bin/\(command[0])"
        let argv = command.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        // setns(CLONE_NEWUSER) refuses multithreaded callers, and this
        // process has Swift's threads: the joining happens in a fork, where
        // only the calling thread exists, and only system calls run there.
        let child = fork()
        if child == 0 {
            var step: Int32 = 0
            _ = fds.withUnsafeBufferPointer { nsFDs in
                burrow_enter_exec(nsFDs.baseAddress, Int32(nsFDs.count), root, path, argv, envp, &step)
            }
            _exit(step < Int32(fds.count) ? 100 + step : step == Int32(fds.count) ? 126 : 127)
        }
        guard child > 0 else { throw SandboxError("fork: \(String(cString: strerror(errno)))") }
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        if status & 0x7f == 0 {
            let code = (status >> 8) & 0xff
            switch code {
            case 100..<(100 + Int32(fds.count)):
                throw SandboxError("cannot enter the \(namespaces[Int(code - 100)].0) namespace of pid \(childPID)")
            case 126: throw SandboxError("cannot change into the root of pid \(childPID)")
            default: exit(code)
            }
        }
        exit(128 + (status & 0x7f))
    }

    /// `/proc/PID/environ`: NUL-separated; empty when unreadable. (The
    /// kernel caps an environment far below the limit given here.)
    private static func readEnvironment(_ path: String) -> [String] {
        let bytes = (try? FileSystem.contents(of: path, limit: 64 << 20)) ?? []
        return bytes.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }
}
