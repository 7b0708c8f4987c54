internal import CSeccomp
public import PortalCommon

/// The sandbox's syscall filter: allow by default, deny the list in
/// `SeccompFilter+Rules.swift`, compiled by libseccomp into classic BPF on a
/// sealed memory file for `bwrap --seccomp FD`.
///
/// bwrap installs it (with NO_NEW_PRIVS) as the last step before exec'ing
/// the app, so the filter binds the app and everything it starts, and
/// nothing in the sandbox can remove it: seccomp filters only ever stack.
public struct SeccompFilter: Hashable, Sendable {
    /// The `features=` permissions that change the filter.
    public struct Options: Hashable, Sendable {
        /// `devel`: allow ptrace, perf_event_open and personality (debuggers).
        public var devel: Bool
        /// `multiarch`: allow the compat architectures (i386 and x32 on
        /// x86_64, 32-bit arm on aarch64), and modify_ldt.
        public var multiarch: Bool
        /// `bluetooth`: allow AF_BLUETOOTH sockets.
        public var bluetooth: Bool
        /// `canbus`: allow AF_CAN sockets.
        public var canbus: Bool

        public init(devel: Bool = false, multiarch: Bool = false, bluetooth: Bool = false, canbus: Bool = false) {
            self.devel = devel
            self.multiarch = multiarch
            self.bluetooth = bluetooth
            self.canbus = canbus
        }

        /// The options a context's granted `features=` ask for.
        public init(features: PermissionContext.FlagSet<PermissionContext.Feature>) {
            self.init(
                devel: features.contains(.devel), multiarch: features.contains(.multiarch),
                bluetooth: features.contains(.bluetooth), canbus: features.contains(.canbus))
        }
    }

    /// A syscall ABI the filter covers. Each has its own syscall table, so
    /// each gets its own copy of every rule.
    public enum Architecture: String, Hashable, Sendable, CaseIterable {
        case x86_64
        case i386
        /// x86_64's ILP32 ABI: same audit arch as x86_64, syscall numbers
        /// with bit 30 set.
        case x32
        case aarch64
        case arm

        /// The architecture burrow was built for (and bwrap runs as).
        public static var native: Architecture {
            #if arch(x86_64)
                return .x86_64
            #elseif arch(arm64)
                return .aarch64
            #else
                #error("burrow's seccomp filter knows only x86_64 and aarch64 hosts")
            #endif
        }

        /// The 32-bit ABIs the kernel also accepts from processes on this one.
        public var compatibleArchitectures: [Architecture] {
            switch self {
            case .x86_64: return [.i386, .x32]
            case .aarch64: return [.arm]
            case .i386, .x32, .arm: return []
            }
        }

        /// Whether socket()'s family can be filtered. i386 reaches socket()
        /// through the socketcall multiplexer, whose arguments are in memory
        /// where seccomp cannot look (the direct syscall exists, but glibc
        /// built for old kernels does not use it). libseccomp would answer by
        /// failing every socketcall socket(), breaking all 32-bit networking,
        /// so i386 keeps the kernel's own checks only. Flatpak has the same
        /// gap (with multiarch it filters no socket family on any arch).
        public var filtersSocketFamilies: Bool { self != .i386 }

        /// The number of `syscall` in this ABI's table (x32 numbers include
        /// bit 30), or `nil` when the ABI has no such syscall.
        public func syscallNumber(_ syscall: String) -> Int32? {
            let number = seccomp_syscall_resolve_name_arch(token, syscall)
            return number >= 0 ? number : nil
        }

        var token: UInt32 {
            switch self {
            case .x86_64: return burrow_scmp_arch_x86_64()
            case .i386: return burrow_scmp_arch_x86()
            case .x32: return burrow_scmp_arch_x32()
            case .aarch64: return burrow_scmp_arch_aarch64()
            case .arm: return burrow_scmp_arch_arm()
            }
        }
    }

    public let options: Options

    public init(options: Options = Options()) {
        self.options = options
    }

    /// The ABIs the filter admits, native first. A syscall made through any
    /// other ABI kills the process (libseccomp's "bad arch" action): without
    /// `multiarch`, `int $0x80` from an x86_64 process, or an i386 binary,
    /// dies on its first syscall instead of reaching an unfiltered table.
    public var architectures: [Architecture] {
        let native = Architecture.native
        return [native] + (options.multiarch ? native.compatibleArchitectures : [])
    }

    /// Every rule of this filter, in the order they are added.
    public var rules: [SeccompRule] {
        var rules = Self.baseRules
        if !options.multiarch { rules += Self.singleArchRules }
        if !options.devel { rules += Self.nonDevelRules }
        return rules + socketRules()
    }

    /// Compiles the filter: a sealed memfd holding the BPF program at offset
    /// 0, ready to be placed in bwrap's descriptor table for `--seccomp FD`.
    ///
    /// Any rule libseccomp cannot add is an error, never skipped: a filter
    /// missing a rule is a weaker sandbox nobody asked for.
    public func compile() throws(SandboxError) -> UnixFD {
        let rules = self.rules
        let architectures = self.architectures
        // One libseccomp context per ABI, merged: rules are then added per
        // ABI, so socket rules can be exact where they work and left out
        // where they cannot work (i386), without disturbing the others.
        var filter = try SeccompContext(architecture: architectures[0], rules: rules)
        for architecture in architectures.dropFirst() {
            try filter.merge(SeccompContext(architecture: architecture, rules: rules))
        }
        return try filter.exportBPF()
    }
}
