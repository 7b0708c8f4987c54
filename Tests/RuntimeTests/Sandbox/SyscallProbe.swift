import Foundation
import PortalCommon
import TestSupport

/// Small C programs, compiled at test time, that make the syscalls the
/// seccomp filter is about and print `name=RESULT` per check: `0` for
/// success, the errno number, or `signal:N` when the check was killed.
///
/// The native probe runs every check in a forked child, so one check's side
/// effects (a new user namespace, a persona, a mount) never change another's
/// answer. The i386 probe has no libc (Debian has no 32-bit one installed):
/// it is freestanding code making `int $0x80` syscalls, the compat table.
enum SyscallProbe {
    struct Binaries: Sendable {
        let native: String
        /// The native probe linked statically, to run inside the busybox
        /// runtime (which has no libc); `nil` without a static libc.
        let nativeStatic: String?
        /// `nil` when `gcc -m32` cannot produce even a freestanding binary.
        let i386: String?
    }

    /// Built once per test process, in a directory `nobody` can read.
    static let binaries = Task<Binaries, any Error> {
        let directory = try TemporaryDirectory.makeForProcess(prefix: "burrow-probe")
        chmod(directory.path, 0o755)
        let native = directory.appendingPathComponent("probe").path
        try await compile(nativeSource, to: native, flags: ["-O1", "-Wall"])
        let nativeStatic = directory.appendingPathComponent("probe-static").path
        let staticBuilt = (try? await compile(nativeSource, to: nativeStatic, flags: ["-O1", "-static"])) != nil
        let i386 = directory.appendingPathComponent("probe32").path
        let i386Built: Bool
        do {
            try await compile(i386Source, to: i386, flags: [
                "-m32", "-static", "-nostdlib", "-ffreestanding", "-fno-pic", "-fno-stack-protector", "-O1",
            ])
            i386Built = true
        } catch {
            i386Built = false
        }
        return Binaries(native: native, nativeStatic: staticBuilt ? nativeStatic : nil, i386: i386Built ? i386 : nil)
    }

    private static func compile(_ source: String, to output: String, flags: [String]) async throws {
        let file = output + ".c"
        try AtomicFile.write(source, to: file)
        let result = try await runProgram("/usr/bin/cc", flags + ["-o", output, file])
        guard result.status == 0 else { throw TestFailure("cc \(file) failed: \(result.stderr)") }
        chmod(output, 0o755)
    }

    /// `name=RESULT` lines as a dictionary.
    static func parse(_ output: String) -> [String: String] {
        var results: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { results[String(parts[0])] = String(parts[1]) }
        }
        return results
    }

    static let nativeSource = #"""
        #define _GNU_SOURCE
        #include <errno.h>
        #include <fcntl.h>
        #include <linux/perf_event.h>
        #include <sched.h>
        #include <signal.h>
        #include <stdint.h>
        #include <stdio.h>
        #include <string.h>
        #include <sys/ioctl.h>
        #include <sys/socket.h>
        #include <sys/syscall.h>
        #include <sys/wait.h>
        #include <unistd.h>

        #define NOWHERE "/nonexistent-burrow-probe"
        static int fds[2];

        /* clone() that, in the child, exits at once. */
        static long clone_flags(unsigned long flags) {
            long pid = syscall(SYS_clone, flags, 0, 0, 0, 0);
            if (pid == 0) _exit(0);
            if (pid > 0) waitpid((pid_t)pid, NULL, 0);
            return pid;
        }
        /* socket() with a type carrying an invalid flag bit: the kernel says
           EINVAL for every family before looking at the family, so EAFNOSUPPORT
           can only come from the filter, whatever the kernel supports. */
        static long family(long domain) { return syscall(SYS_socket, domain, SOCK_STREAM | 0x1000, 0); }
        static long perf(void) {
            struct perf_event_attr attr;
            memset(&attr, 0, sizeof attr);
            attr.type = PERF_TYPE_SOFTWARE;
            attr.size = sizeof attr;
            attr.config = PERF_COUNT_SW_CPU_CLOCK;
            attr.exclude_kernel = 1;
            attr.exclude_hv = 1;
            return syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
        }
        /* The i386 table from a 64-bit process: the classic filter bypass. */
        static long int80(long nr, long a, long b) {
            long r;
            __asm__ volatile ("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b) : "memory");
            if (r < 0 && r > -4096) { errno = (int)-r; return -1; }
            return r;
        }
        static long x32(long nr) { return syscall(0x40000000L | nr); }

        static long run(const char *name) {
            char c = 'x';
            long buf[4];
            #define CHECK(n, expr) if (strcmp(name, n) == 0) return (expr);
            CHECK("ptrace", syscall(SYS_ptrace, 2 /* PEEKDATA */, getpid(), 0, 0))
            CHECK("personality_linux32", syscall(SYS_personality, 0x0008UL))
            CHECK("personality_linux32_highbits", syscall(SYS_personality, 0x100000008UL))
            CHECK("personality_linux", syscall(SYS_personality, 0UL))
            CHECK("personality_query", syscall(SYS_personality, 0xffffffffUL))
            CHECK("keyctl", syscall(SYS_keyctl, 0xdead, 0, 0, 0, 0))
            CHECK("add_key", syscall(SYS_add_key, "user", "burrow-probe", "x", 1, -2 /* process keyring */))
            CHECK("request_key", syscall(SYS_request_key, "user", "burrow-probe-absent", NULL, 0))
            CHECK("unshare_user", syscall(SYS_unshare, CLONE_NEWUSER))
            CHECK("unshare_mount", syscall(SYS_unshare, CLONE_NEWNS))
            CHECK("setns", syscall(SYS_setns, -1, 0))
            CHECK("clone_newuser", clone_flags(CLONE_NEWUSER | SIGCHLD))
            CHECK("clone_newuser_highbits", clone_flags((1UL << 32) | CLONE_NEWUSER | SIGCHLD))
            CHECK("clone_plain", clone_flags(SIGCHLD))
            CHECK("clone3", syscall(435, NULL, 0))
            CHECK("mount", syscall(SYS_mount, "none", NOWHERE, "tmpfs", 0, NULL))
            CHECK("umount2", syscall(SYS_umount2, NOWHERE, 0))
            CHECK("pivot_root", syscall(SYS_pivot_root, NOWHERE, NOWHERE))
            CHECK("chroot", syscall(SYS_chroot, NOWHERE))
            CHECK("open_tree", syscall(428, AT_FDCWD, NOWHERE, 0))
            CHECK("move_mount", syscall(429, -1, "", -1, "", 0))
            CHECK("fsopen", syscall(430, "tmpfs", 0))
            CHECK("fsconfig", syscall(431, -1, 0, NULL, NULL, 0))
            CHECK("fsmount", syscall(432, -1, 0, 0))
            CHECK("fspick", syscall(433, AT_FDCWD, NOWHERE, 0))
            CHECK("mount_setattr", syscall(442, AT_FDCWD, NOWHERE, 0, NULL, 0))
            CHECK("ioctl_tiocsti", syscall(SYS_ioctl, fds[0], (unsigned long)TIOCSTI, &c))
            CHECK("ioctl_tiocsti_highbits", syscall(SYS_ioctl, fds[0], (1UL << 32) | TIOCSTI, &c))
            CHECK("ioctl_tioclinux", syscall(SYS_ioctl, fds[0], (unsigned long)TIOCLINUX, &c))
            CHECK("ioctl_tioclinux_highbits", syscall(SYS_ioctl, fds[0], (1UL << 32) | TIOCLINUX, &c))
            CHECK("ioctl_fionread", syscall(SYS_ioctl, fds[0], (unsigned long)FIONREAD, buf))
            CHECK("socket_packet", syscall(SYS_socket, AF_PACKET, SOCK_RAW, 0))
            CHECK("socket_inet", syscall(SYS_socket, AF_INET, SOCK_DGRAM, 0))
            CHECK("socket_unix", syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0))
            CHECK("socket_netlink", syscall(SYS_socket, AF_NETLINK, SOCK_RAW, 0))
            CHECK("family_unspec", family(AF_UNSPEC))
            CHECK("family_unix", family(AF_UNIX))
            CHECK("family_inet", family(AF_INET))
            CHECK("family_inet6", family(AF_INET6))
            CHECK("family_netlink", family(AF_NETLINK))
            CHECK("family_ax25", family(AF_AX25))
            CHECK("family_key", family(AF_KEY))
            CHECK("family_packet", family(AF_PACKET))
            CHECK("family_can", family(AF_CAN))
            CHECK("family_bluetooth", family(AF_BLUETOOTH))
            CHECK("family_alg", family(AF_ALG))
            CHECK("family_vsock", family(AF_VSOCK))
            CHECK("family_max", family(AF_MAX))
            CHECK("family_huge", family(0x7fffffffL))
            CHECK("family_negative", family(-1L))
            CHECK("family_inet_highbits", family((1L << 32) | AF_INET))
            CHECK("perf_event_open", perf())
            CHECK("init_module", syscall(SYS_init_module, NULL, 0, ""))
            CHECK("finit_module", syscall(SYS_finit_module, -1, "", 0))
            CHECK("delete_module", syscall(SYS_delete_module, "burrow_probe", 0))
            CHECK("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0))
            CHECK("kexec_file_load", syscall(SYS_kexec_file_load, -1, -1, 0, "", 0))
            CHECK("open_by_handle_at", syscall(SYS_open_by_handle_at, -1, NULL, 0))
            CHECK("syslog", syscall(SYS_syslog, 10 /* SIZE_BUFFER */, NULL, 0))
            CHECK("acct", syscall(SYS_acct, NULL))
            CHECK("quotactl", syscall(SYS_quotactl, (3 << 8) | 0x7f /* Q_SYNC, bad type */, NULL, 0, NULL))
            CHECK("quotactl_fd", syscall(443, -1, (3 << 8), 0, NULL))
            CHECK("uselib", syscall(SYS_uselib, NOWHERE))
            CHECK("modify_ldt", syscall(SYS_modify_ldt, 0, buf, sizeof buf))
            CHECK("get_mempolicy", syscall(SYS_get_mempolicy, NULL, NULL, 0, NULL, 0))
            CHECK("set_mempolicy", syscall(SYS_set_mempolicy, 0 /* MPOL_DEFAULT */, NULL, 0))
            CHECK("mbind", syscall(SYS_mbind, NULL, 0, 0, NULL, 0, 0))
            CHECK("move_pages", syscall(SYS_move_pages, 0, 0, NULL, NULL, NULL, 0))
            CHECK("migrate_pages", syscall(SYS_migrate_pages, 0, 0, NULL, NULL))
            CHECK("getpid", syscall(SYS_getpid))
            CHECK("int80_getpid", int80(20, 0, 0))
            CHECK("int80_unshare_user", int80(310, CLONE_NEWUSER, 0))
            CHECK("int80_keyctl", int80(288, 0xdead, 0))
            CHECK("x32_getpid", x32(39))
            errno = EDOM; /* unknown check name */
            return -1;
        }

        int main(int argc, char **argv) {
            if (pipe(fds) != 0) return 2;
            for (int i = 1; i < argc; i++) {
                pid_t pid = fork();
                if (pid < 0) return 2;
                if (pid == 0) {
                    errno = 0;
                    long result = run(argv[i]);
                    _exit(result == -1 ? (errno & 0xff) : 0);
                }
                int status = 0;
                waitpid(pid, &status, 0);
                if (WIFSIGNALED(status)) printf("%s=signal:%d\n", argv[i], WTERMSIG(status));
                else printf("%s=%d\n", argv[i], WEXITSTATUS(status));
            }
            return 0;
        }
        """#

    /// i386 probe: checks in order, each printed as soon as it is made; the
    /// first syscall (the first write) is where a filter without i386 kills it.
    static let i386Source = #"""
        static long sys(long n, long a, long b, long c, long d, long e) {
            long r;
            __asm__ volatile ("int $0x80"
                : "=a"(r) : "a"(n), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e) : "memory");
            return r;
        }
        static void out(const char *s) { long n = 0; while (s[n]) n++; sys(4, 1, (long)s, n, 0, 0); }
        static void report(const char *name, long r) {
            char digits[12]; int i = 11; unsigned long v = r < 0 && r > -4096 ? (unsigned long)-r : 0;
            digits[i] = 0;
            do { digits[--i] = (char)('0' + v % 10); v /= 10; } while (v);
            out(name); out("="); out(digits + i); out("\n");
        }
        #define NOWHERE "/nonexistent-burrow-probe"
        void _start(void) {
            int fds[2]; char c = 'x';
            long socket_args[3] = { 17 /* AF_PACKET */, 3 /* SOCK_RAW */, 0 };
            out("start=0\n");
            report("getpid", sys(20, 0, 0, 0, 0, 0));
            report("ptrace", sys(26, 2, sys(20, 0, 0, 0, 0, 0), 0, 0, 0));
            report("keyctl", sys(288, 0xdead, 0, 0, 0, 0));
            report("personality_linux32", sys(136, 8, 0, 0, 0, 0));
            report("mount", sys(21, (long)"none", (long)NOWHERE, (long)"tmpfs", 0, 0));
            report("umount", sys(22, (long)NOWHERE, 0, 0, 0, 0));
            report("chroot", sys(61, (long)NOWHERE, 0, 0, 0, 0));
            report("clone3", sys(435, 0, 0, 0, 0, 0));
            report("fsopen", sys(430, (long)"tmpfs", 0, 0, 0, 0));
            sys(42, (long)fds, 0, 0, 0, 0);
            report("ioctl_tiocsti", sys(54, fds[0], 0x5412, (long)&c, 0, 0));
            report("socket_packet", sys(359, 17, 3, 0, 0, 0));
            report("socketcall_packet", sys(102, 1 /* SYS_SOCKET */, (long)socket_args, 0, 0, 0));
            report("unshare_user", sys(310, 0x10000000, 0, 0, 0, 0));
            sys(1, 0, 0, 0, 0, 0);
            for (;;) {}
        }
        """#
}
