import Foundation
import PortalCommon
import TestSupport

/// A static C program that attempts one escape per argument, each in a
/// forked child, and prints `CHECK=0` (it worked), `CHECK=EPERM` (the errno
/// name) or `CHECK=signal:N`. Static, so it runs inside the busybox runtime,
/// which has no libc; it is exposed to the sandbox read-only with
/// `--filesystem=DIR:ro` and run with `--command=DIR/escape`.
///
/// Checks: `ptrace` (PTRACE_ATTACH to a child it forked), `open:PATH`,
/// `write:PATH` (O_WRONLY|O_CREAT), `connect:PATH` or `connect:@ABSTRACT`,
/// `tiocsti`/`tioclinux`/`isatty` (on stdin), `unshare-user`, `clone-user`,
/// `clone3` (with CLONE_NEWUSER), `keyctl`, `add_key`, `mount:DIR` (a tmpfs),
/// `bind:PATH` / `rename:PATH` (a file of its own, bind-mounted or renamed
/// over PATH), `unlink:PATH`, `socket-packet`, `socket-bluetooth`,
/// `socket-vsock`.
enum EscapeProbe {
    /// The probe's path, in a directory of its own that `nobody` can read.
    static let binary = Task<String, any Error> {
        let directory = try TemporaryDirectory.makeForProcess(prefix: "burrow-escape")
        chmod(directory.path, 0o755)
        let binary = directory.appendingPathComponent("escape").path
        try AtomicFile.write(source, to: binary + ".c")
        let built = try await runProgram("/usr/bin/cc", ["-static", "-O2", "-Wall", "-o", binary, binary + ".c"])
        guard built.status == 0 else { throw TestFailure("cc escape.c failed: \(built.stderr)") }
        chmod(binary, 0o755)
        return binary
    }

    static var directory: String {
        get async throws { (try await binary.value as NSString).deletingLastPathComponent }
    }

    /// `burrow run` arguments that run the probe with CHECKS in the sandbox.
    static func runArguments(_ checks: [String], flags: [String] = []) async throws -> [String] {
        let probe = try await binary.value
        return ["run", "--filesystem=\(try await directory):ro"] + flags + ["--command=\(probe)", "org.example.Hello"] + checks
    }

    /// The checks, run in a sandbox as nobody.
    static func inSandbox(_ checks: [String], flags: [String] = [], environment: [String: String]) async throws
        -> (results: [String: String], run: BurrowRun)
    {
        let run = try await RunCommandTests.runAsNobody(try await runArguments(checks, flags: flags), environment: environment)
        return (parse(run.stdout), run)
    }

    /// The same checks on the host as nobody, no sandbox: the control that
    /// tells whether the sandbox (rather than the kernel's ordinary rules
    /// for an unprivileged user) is what refused.
    static func onHost(_ checks: [String]) async throws -> [String: String] {
        let command = Nobody.command(try await binary.value, checks)
        let result = try await runProgram(command[0], Array(command.dropFirst()))
        return parse(result.stdout)
    }

    static func parse(_ output: String) -> [String: String] {
        var results: [String: String] = [:]
        for line in output.split(whereSeparator: \.isNewline) {  // "\r\n" from a pty is one Character
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { results[String(parts[0])] = String(parts[1]) }
        }
        return results
    }

    /// A single-quoted shell word.
    static func quoted(_ word: String) -> String { "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    static let source = #"""
        #define _GNU_SOURCE
        #include <errno.h>
        #include <fcntl.h>
        #include <linux/keyctl.h>
        #include <linux/sched.h>
        #include <sched.h>
        #include <signal.h>
        #include <stddef.h>
        #include <stdint.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <sys/ioctl.h>
        #include <sys/mount.h>
        #include <sys/ptrace.h>
        #include <sys/socket.h>
        #include <sys/syscall.h>
        #include <sys/un.h>
        #include <sys/wait.h>
        #include <unistd.h>

        #ifndef AF_VSOCK
        #define AF_VSOCK 40
        #endif
        #ifndef AF_BLUETOOTH
        #define AF_BLUETOOTH 31
        #endif
        #define FAKE "/tmp/burrow-fake-info"
        #define FAKE_CONTENT "[Application]\nname=org.evil.App\n"

        static const char *result(long r) {
            static char buf[32];
            if (r >= 0) return "0";
            const char *name = strerrorname_np(errno);
            if (name) return name;
            snprintf(buf, sizeof buf, "%d", errno);
            return buf;
        }

        static void fake(void) {
            int fd = open(FAKE, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd >= 0) { if (write(fd, FAKE_CONTENT, strlen(FAKE_CONTENT)) < 0) {} close(fd); }
        }

        static long check(const char *name, const char *arg) {
            if (!strcmp(name, "ptrace")) {
                pid_t child = fork();
                if (child == 0) { for (;;) pause(); }
                long r = ptrace(PTRACE_ATTACH, child, 0, 0);
                int saved = errno;
                kill(child, SIGKILL);
                waitpid(child, 0, 0);
                errno = saved;
                return r;
            }
            if (!strcmp(name, "open")) return open(arg, O_RDONLY);
            if (!strcmp(name, "write")) return open(arg, O_WRONLY | O_CREAT, 0644);
            if (!strcmp(name, "connect")) {
                int fd = socket(AF_UNIX, SOCK_STREAM, 0);
                if (fd < 0) return fd;
                struct sockaddr_un addr = {.sun_family = AF_UNIX};
                socklen_t len;
                if (arg[0] == '@') {
                    strncpy(addr.sun_path + 1, arg + 1, sizeof addr.sun_path - 2);
                    len = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(arg + 1);
                } else {
                    strncpy(addr.sun_path, arg, sizeof addr.sun_path - 1);
                    len = sizeof addr;
                }
                return connect(fd, (struct sockaddr *)&addr, len);
            }
            if (!strcmp(name, "tiocsti")) { char c = ' '; return ioctl(0, TIOCSTI, &c); }
            if (!strcmp(name, "tioclinux")) { char sub = 2; return ioctl(0, TIOCLINUX, &sub); }
            if (!strcmp(name, "isatty")) return isatty(0) ? 0 : -1;
            if (!strcmp(name, "unshare-user")) return unshare(CLONE_NEWUSER);
            if (!strcmp(name, "clone-user")) {
                long r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
                if (r == 0) _exit(0);
                if (r > 0) waitpid(r, 0, 0);
                return r;
            }
            if (!strcmp(name, "clone3")) {
                struct clone_args args = {.flags = CLONE_NEWUSER, .exit_signal = SIGCHLD};
                long r = syscall(SYS_clone3, &args, sizeof args);
                if (r == 0) _exit(0);
                if (r > 0) waitpid(r, 0, 0);
                return r;
            }
            if (!strcmp(name, "keyctl")) return syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 1);
            if (!strcmp(name, "add_key")) return syscall(SYS_add_key, "user", "burrow", "x", 1, KEY_SPEC_PROCESS_KEYRING);
            if (!strcmp(name, "mount")) return mount("tmpfs", arg, "tmpfs", 0, 0);
            if (!strcmp(name, "bind")) { fake(); return mount(FAKE, arg, 0, MS_BIND, 0); }
            if (!strcmp(name, "rename")) { fake(); return rename(FAKE, arg); }
            if (!strcmp(name, "unlink")) return unlink(arg);
            if (!strcmp(name, "socket-packet")) return socket(AF_PACKET, SOCK_RAW, 0);
            if (!strcmp(name, "socket-bluetooth")) return socket(AF_BLUETOOTH, SOCK_STREAM, 0);
            if (!strcmp(name, "socket-vsock")) return socket(AF_VSOCK, SOCK_STREAM, 0);
            errno = EINVAL;
            return -1;
        }

        int main(int argc, char **argv) {
            setvbuf(stdout, 0, _IONBF, 0);
            for (int i = 1; i < argc; i++) {
                char name[512];
                snprintf(name, sizeof name, "%s", argv[i]);
                char *arg = strchr(name, ':');
                if (arg) *arg++ = 0; else arg = "";
                pid_t pid = fork();
                if (pid == 0) {
                    long r = check(name, arg);
                    printf("%s=%s\n", argv[i], result(r));
                    _exit(0);
                }
                int status;
                waitpid(pid, &status, 0);
                if (WIFSIGNALED(status)) printf("%s=signal:%d\n", argv[i], WTERMSIG(status));
            }
            return 0;
        }
        """#
}
