import Glibc
import SystemPackage

// The deny list, after Flatpak's `setup_seccomp` (common/flatpak-run.c),
// itself after linux-user-chroot and Sandstorm. Every other syscall is
// allowed: this is a blocklist of kernel surface a desktop app has no use
// for and that sandbox escapes have used. Keep it in step with Flatpak's
// so that apps that run there run here.

extension SeccompFilter {
    // Kernel ABI values (asm-generic, shared by x86 and arm) that glibc only
    // declares under _GNU_SOURCE or not at all.
    static let cloneNewUser: UInt64 = 0x1000_0000
    static let ioctlTIOCSTI: UInt64 = 0x5412
    static let ioctlTIOCLINUX: UInt64 = 0x541C
    static let personalityLinux: UInt64 = 0
    /// ioctl's request is an `unsigned int` to the kernel but travels in a
    /// 64-bit register; comparing only its low half catches `TIOCSTI | 1<<32`
    /// (CVE-2019-10063, the bypass of Flatpak's first TIOCSTI filter).
    static let lowWord: UInt64 = 0xFFFF_FFFF

    /// Rules applied whatever the options.
    static var baseRules: [SeccompRule] {
        var rules: [SeccompRule] = [
            // Reading the kernel log leaks addresses and other users' activity.
            SeccompRule("syslog", .notPermitted),
            // a.out loader: obsolete, and only ever an attack surface.
            SeccompRule("uselib", .notPermitted),
            // Process accounting is the host's; turning it off hides activity.
            SeccompRule("acct", .notPermitted),
            // Quota use of a filesystem tells about other users' files.
            SeccompRule("quotactl", .notPermitted),
            SeccompRule("quotactl_fd", .notPermitted),

            // The kernel keyring is shared beyond the sandbox (the user's
            // keyrings survive it), so keys would leak in both directions.
            SeccompRule("add_key", .notPermitted),
            SeccompRule("keyctl", .notPermitted),
            SeccompRule("request_key", .notPermitted),

            // NUMA and page-migration calls: a poor bug history, no desktop use.
            SeccompRule("move_pages", .notPermitted),
            SeccompRule("mbind", .notPermitted),
            SeccompRule("get_mempolicy", .notPermitted),
            SeccompRule("set_mempolicy", .notPermitted),
            SeccompRule("migrate_pages", .notPermitted),

            // No namespaces inside the sandbox. A new user namespace gives the
            // app CAP_SYS_ADMIN over fresh mount namespaces, from which it can
            // re-arrange what it sees, hide /.flatpak-info behind a writable
            // copy and lie to the portals about who it is. unshare and setns
            // are denied whole, as in Flatpak; bwrap's --disable-userns is the
            // second lock on the same door.
            SeccompRule("unshare", .notPermitted),
            SeccompRule("setns", .notPermitted),
            // clone's flags are its first argument on x86 and arm (only s390
            // and cris swap them, and burrow builds for neither).
            SeccompRule("clone", .notPermitted, when: .argument(0, .maskedEqual(mask: cloneNewUser, value: cloneNewUser))),
            // seccomp cannot read clone3's flags (they sit in a struct in
            // memory), so clone3 goes whole. ENOSYS, not EPERM: glibc then
            // falls back to clone, whose flags the rule above does see.
            SeccompRule("clone3", .noFunction),

            // The mount table is the sandbox; nothing inside may change it.
            SeccompRule("mount", .notPermitted),
            SeccompRule("umount", .notPermitted),
            SeccompRule("umount2", .notPermitted),
            SeccompRule("pivot_root", .notPermitted),
            SeccompRule("chroot", .notPermitted),
            // The new mount API is the same power through other doors
            // (CVE-2021-41133). ENOSYS tells libmount to use the old API, which
            // the rules above then refuse with a plain EPERM.
            SeccompRule("open_tree", .noFunction),
            SeccompRule("move_mount", .noFunction),
            SeccompRule("fsopen", .noFunction),
            SeccompRule("fsconfig", .noFunction),
            SeccompRule("fsmount", .noFunction),
            SeccompRule("fspick", .noFunction),
            SeccompRule("mount_setattr", .noFunction),

            // Typing into the terminal the app was started from runs commands
            // outside the sandbox (CVE-2017-5226); TIOCLINUX's selection paste
            // does the same on a virtual console (CVE-2023-28100). Blocking the
            // two requests lets burrow keep the terminal's session (job
            // control works) instead of bwrap's --new-session.
            SeccompRule("ioctl", .notPermitted, when: .argument(1, .maskedEqual(mask: lowWord, value: ioctlTIOCSTI))),
            SeccompRule("ioctl", .notPermitted, when: .argument(1, .maskedEqual(mask: lowWord, value: ioctlTIOCLINUX))),
        ]
        rules += [
            // burrow's additions: each needs a capability of the initial user
            // namespace, which no sandboxed process holds, so no app can miss
            // them; denied so that a bug in a capability check is not enough.
            // Loading kernel code:
            "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
            // Opening any file by handle, skipping path permissions ("Shocker"):
            "open_by_handle_at",
        ].map { SeccompRule($0, .notPermitted) }
        return rules
    }

    /// Rules lifted by `--allow=devel` (debuggers and profilers need them).
    static var nonDevelRules: [SeccompRule] {
        [
            // perf has been a steady source of kernel CVEs. ENODEV is what a
            // kernel without a usable PMU answers, which profiling libraries
            // take as "no perf here" (EPERM makes some suggest sysctl changes).
            SeccompRule("perf_event_open", .operationNotSupportedByDevice),
            // A non-default persona changes how other syscalls behave, e.g.
            // ADDR_NO_RANDOMIZE turns off ASLR. Only PER_LINUX may be set, as
            // in Flatpak. The 0xffffffff query is refused too: allowing it
            // needs two comparisons of one argument, which libseccomp 2.5
            // rejects, and callers (sanitizers) treat -1 as "unknown".
            // All 64 bits are compared, so high junk cannot pass for 0.
            SeccompRule("personality", .notPermitted, when: .argument(0, .notEqual(personalityLinux))),
            // Attaching to another process defeats every other rule.
            SeccompRule("ptrace", .notPermitted),
        ]
    }

    /// `modify_ldt` (x86): leaks kernel memory layout; needed by 16-bit code
    /// and some Wine builds, so `multiarch` lifts it, as in Flatpak.
    static var singleArchRules: [SeccompRule] {
        [SeccompRule("modify_ldt", .notPermitted)]
    }

    /// Address families a sandbox may open sockets in, ascending.
    /// AF_CAN and AF_BLUETOOTH only with their `features=` permissions.
    func allowedSocketFamilies() -> [Int32] {
        var families = [AF_UNSPEC, AF_UNIX, AF_INET, AF_INET6, AF_NETLINK]
        if options.canbus { families.append(AF_CAN) }
        if options.bluetooth { families.append(AF_BLUETOOTH) }
        return families.sorted()
    }

    /// socket() outside the allowed families fails with EAFNOSUPPORT, what a
    /// kernel without that family says, so apps take their no-support path.
    /// AF_PACKET (raw frames), AF_VSOCK (the hypervisor), AF_ALG, AF_KEY, …
    /// are large, rarely reviewed kernel code that a desktop app never needs.
    ///
    /// One rule per forbidden family below the highest allowed one, then one
    /// for everything above: families the kernel adds later are denied
    /// without a change here. All 64 bits are compared, so a family with
    /// junk in the high half (which the kernel truncates to an int) is
    /// denied too.
    func socketRules() -> [SeccompRule] {
        var rules: [SeccompRule] = []
        var next: Int32 = 0
        for family in allowedSocketFamilies() {
            for denied in next..<family {
                rules.append(SeccompRule("socket", .addressFamilyNotSupported, when: .argument(0, .equal(UInt64(denied)))))
            }
            next = family + 1
        }
        rules.append(SeccompRule("socket", .addressFamilyNotSupported, when: .argument(0, .greaterOrEqual(UInt64(next)))))
        return rules
    }
}
