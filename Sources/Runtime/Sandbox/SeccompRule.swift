public import SystemPackage

/// One entry of the sandbox's deny list: a syscall, optionally narrowed by
/// one argument comparison, answered with an errno instead of being run.
///
/// Rules are plain values so the list can be read, tested and shown
/// (`burrow info`) without libseccomp; `SeccompFilter.compile()` turns
/// them into BPF.
public struct SeccompRule: Hashable, Sendable, CustomStringConvertible {
    /// How an argument (all 64 bits of it) is compared.
    public enum Comparison: Hashable, Sendable {
        case equal(UInt64)
        case notEqual(UInt64)
        case greaterOrEqual(UInt64)
        /// `(argument & mask) == value`.
        case maskedEqual(mask: UInt64, value: UInt64)
    }

    /// The rule applies only when argument `index` (0-based) compares so.
    public struct Condition: Hashable, Sendable {
        public let index: Int
        public let comparison: Comparison

        public init(index: Int, _ comparison: Comparison) {
            self.index = index
            self.comparison = comparison
        }

        /// `.argument(1, .equal(0x5412))`: argument 1 equals 0x5412.
        public static func argument(_ index: Int, _ comparison: Comparison) -> Condition {
            Condition(index: index, comparison)
        }
    }

    /// The name as libseccomp knows it; resolved per architecture, so
    /// `umount` (i386 only) or `modify_ldt` (x86 only) are fine everywhere.
    public let syscall: String
    public let errno: Errno
    public let condition: Condition?

    public init(_ syscall: String, _ errno: Errno, when condition: Condition? = nil) {
        self.syscall = syscall
        self.errno = errno
        self.condition = condition
    }

    public var description: String {
        guard let condition else { return "\(syscall) → \(errno)" }
        let argument = "a\(condition.index)"
        let test: String
        switch condition.comparison {
        case .equal(let value): test = "\(argument) == \(hex(value))"
        case .notEqual(let value): test = "\(argument) != \(hex(value))"
        case .greaterOrEqual(let value): test = "\(argument) >= \(hex(value))"
        case .maskedEqual(let mask, let value): test = "\(argument) & \(hex(mask)) == \(hex(value))"
        }
        return "\(syscall) if \(test) → \(errno)"
    }

    private func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }
}
