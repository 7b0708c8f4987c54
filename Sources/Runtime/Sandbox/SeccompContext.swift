internal import CSeccomp
import Glibc
import PortalCommon

/// A libseccomp filter context for one architecture, owned uniquely and
/// released exactly once (by `deinit`, or by libseccomp when merged).
struct SeccompContext: ~Copyable {
    private let handle: scmp_filter_ctx

    /// A context with the default action ALLOW, admitting only
    /// `architecture`, with `rules` added.
    init(architecture: SeccompFilter.Architecture, rules: [SeccompRule]) throws(SandboxError) {
        guard let handle = seccomp_init(SCMP_ACT_ALLOW) else {
            throw SandboxError("seccomp_init failed (out of memory?)")
        }
        do {
            try Self.configure(handle, architecture: architecture, rules: rules)
        } catch {
            seccomp_release(handle)
            throw error
        }
        self.handle = handle
    }

    deinit {
        seccomp_release(handle)
    }

    /// Takes `other`'s architecture and rules into this context.
    mutating func merge(_ other: consuming SeccompContext) throws(SandboxError) {
        let result = seccomp_merge(handle, other.handle)
        guard result == 0 else {
            // On failure libseccomp leaves `other` alone; its deinit frees it.
            throw SandboxError("cannot merge seccomp filters: \(Self.describe(result))")
        }
        // On success libseccomp has freed `other`'s context.
        other.forget()
    }

    private consuming func forget() {
        discard self
    }

    /// The BPF program in a sealed memfd at offset 0.
    func exportBPF() throws(SandboxError) -> UnixFD {
        try SealedMemoryFile.make(name: "burrow-seccomp") { (fd: Int32) throws(SandboxError) in
            let result = seccomp_export_bpf(handle, fd)
            guard result == 0 else {
                throw SandboxError("cannot export the seccomp filter: \(Self.describe(result))")
            }
        }
    }

    private static func configure(
        _ handle: scmp_filter_ctx, architecture: SeccompFilter.Architecture, rules: [SeccompRule]
    ) throws(SandboxError) {
        func check(_ result: Int32, _ what: @autoclosure () -> String) throws(SandboxError) {
            if result < 0 { throw SandboxError("\(what()): \(describe(result))") }
        }
        let native = SeccompFilter.Architecture.native
        if architecture != native {
            try check(seccomp_arch_add(handle, architecture.token), "cannot add \(architecture) to a seccomp filter")
            try check(seccomp_arch_remove(handle, UInt32(SCMP_ARCH_NATIVE)), "cannot remove the native architecture")
        }
        // KILL_PROCESS rather than libseccomp's default KILL_THREAD: a process
        // using an ABI it was not granted dies whole, with SIGSYS, instead of
        // leaving its other threads running.
        try check(
            seccomp_attr_set(handle, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS),
            "cannot set the seccomp bad-architecture action")

        for rule in rules {
            if rule.syscall == "socket" && !architecture.filtersSocketFamilies { continue }
            // Native numbering (or libseccomp's pseudo numbers for syscalls
            // the native ABI lacks); libseccomp translates per architecture.
            let number = seccomp_syscall_resolve_name(rule.syscall)
            guard number != __NR_SCMP_ERROR else {
                throw SandboxError("libseccomp does not know the syscall \(rule.syscall) (rule \(rule))")
            }
            let action = burrow_scmp_act_errno(UInt16(rule.errno.rawValue))
            var comparisons = rule.condition.map { [Self.comparison($0)] } ?? []
            let result = comparisons.withUnsafeMutableBufferPointer { buffer in
                // socket() exactly as written: libseccomp's rewriting for
                // multiplexed ABIs would turn a family rule into "deny every
                // socket()" (libseccomp issue #8).
                rule.syscall == "socket"
                    ? seccomp_rule_add_exact_array(handle, action, number, UInt32(buffer.count), buffer.baseAddress)
                    : seccomp_rule_add_array(handle, action, number, UInt32(buffer.count), buffer.baseAddress)
            }
            try check(result, "cannot add the seccomp rule \(rule) for \(architecture)")
        }
    }

    private static func comparison(_ condition: SeccompRule.Condition) -> scmp_arg_cmp {
        let argument = UInt32(condition.index)
        switch condition.comparison {
        case .equal(let value):
            return scmp_arg_cmp(arg: argument, op: SCMP_CMP_EQ, datum_a: value, datum_b: 0)
        case .notEqual(let value):
            return scmp_arg_cmp(arg: argument, op: SCMP_CMP_NE, datum_a: value, datum_b: 0)
        case .greaterOrEqual(let value):
            return scmp_arg_cmp(arg: argument, op: SCMP_CMP_GE, datum_a: value, datum_b: 0)
        case .maskedEqual(let mask, let value):
            return scmp_arg_cmp(arg: argument, op: SCMP_CMP_MASKED_EQ, datum_a: mask, datum_b: value)
        }
    }

    /// libseccomp's negative errno, with the codes it uses for its own
    /// meanings spelled out (as Flatpak's flatpak_seccomp_strerror does).
    private static func describe(_ result: Int32) -> String {
        switch -result {
        case EDOM: return "architecture-specific failure"
        case EFAULT: return "internal libseccomp failure (unknown syscall?)"
        case ECANCELED: return "system failure beyond libseccomp's control"
        default: return String(cString: strerror(-result))
        }
    }
}
