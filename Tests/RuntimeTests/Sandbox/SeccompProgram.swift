import TestSupport

/// A classic-BPF seccomp program, run in the test on a made-up syscall, so
/// every rule can be checked on every ABI without the kernel: including
/// the ones a real probe cannot tell apart from the kernel's own refusal
/// (syslog and acct are EPERM either way) and ABIs this kernel lacks (x32).
struct SeccompProgram {
    struct Instruction {
        let code: UInt16
        let jt: UInt8
        let jf: UInt8
        let k: UInt32
    }

    /// What the filter decided (`SECCOMP_RET_*`).
    enum Verdict: Equatable, CustomStringConvertible {
        case allow
        case errno(Int32)
        case killProcess
        case killThread
        case other(UInt32)

        init(_ value: UInt32) {
            switch value & 0xFFFF_0000 {
            case 0x7FFF_0000: self = .allow
            case 0x0005_0000: self = .errno(Int32(value & 0xFFFF))
            case 0x8000_0000: self = .killProcess
            case 0x0000_0000: self = .killThread
            default: self = .other(value)
            }
        }

        var description: String {
            switch self {
            case .allow: return "ALLOW"
            case .errno(let e): return "ERRNO(\(e))"
            case .killProcess: return "KILL_PROCESS"
            case .killThread: return "KILL_THREAD"
            case .other(let v): return "0x" + String(v, radix: 16)
            }
        }
    }

    // AUDIT_ARCH_* as the kernel puts them in seccomp_data.arch.
    static let auditX86_64: UInt32 = 0xC000_003E
    static let auditI386: UInt32 = 0x4000_0003
    static let auditAArch64: UInt32 = 0xC000_00B7

    let instructions: [Instruction]

    init(bytes: [UInt8]) throws {
        guard bytes.count % 8 == 0, !bytes.isEmpty else { throw TestFailure("BPF of \(bytes.count) bytes") }
        func u16(_ i: Int) -> UInt16 { UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8 }
        func u32(_ i: Int) -> UInt32 { UInt32(u16(i)) | UInt32(u16(i + 2)) << 16 }
        instructions = stride(from: 0, to: bytes.count, by: 8).map { i in
            Instruction(code: u16(i), jt: bytes[i + 2], jf: bytes[i + 3], k: u32(i + 4))
        }
    }

    /// Runs the program on `struct seccomp_data { int nr; u32 arch; u64 ip; u64 args[6]; }`.
    func evaluate(arch: UInt32, nr: Int32, args: [UInt64] = []) throws -> Verdict {
        var data = [UInt32](repeating: 0, count: 16)
        data[0] = UInt32(bitPattern: nr)
        data[1] = arch
        for (index, value) in args.enumerated() {
            data[4 + 2 * index] = UInt32(truncatingIfNeeded: value)
            data[5 + 2 * index] = UInt32(truncatingIfNeeded: value >> 32)
        }
        var a: UInt32 = 0
        var x: UInt32 = 0
        var scratch = [UInt32](repeating: 0, count: 16)
        var pc = 0
        while pc < instructions.count {
            let ins = instructions[pc]
            pc += 1
            let source = ins.code & 0x08 == 0 ? ins.k : x  // BPF_K or BPF_X
            switch ins.code {
            case 0x20:  // LD W ABS
                guard ins.k % 4 == 0, Int(ins.k / 4) < data.count else { throw TestFailure("load at \(ins.k)") }
                a = data[Int(ins.k / 4)]
            case 0x00: a = ins.k  // LD IMM
            case 0x01: x = ins.k  // LDX IMM
            case 0x60: a = scratch[Int(ins.k)]  // LD MEM
            case 0x61: x = scratch[Int(ins.k)]  // LDX MEM
            case 0x02: scratch[Int(ins.k)] = a  // ST
            case 0x03: scratch[Int(ins.k)] = x  // STX
            case 0x07: x = a  // TAX
            case 0x87: a = x  // TXA
            case 0x04, 0x0C: a = a &+ source  // ALU ADD
            case 0x14, 0x1C: a = a &- source  // ALU SUB
            case 0x44, 0x4C: a |= source  // ALU OR
            case 0x54, 0x5C: a &= source  // ALU AND
            case 0x64, 0x6C: a <<= source  // ALU LSH
            case 0x74, 0x7C: a >>= source  // ALU RSH
            case 0x05: pc += Int(ins.k)  // JA
            case 0x15, 0x1D: pc += Int(a == source ? ins.jt : ins.jf)
            case 0x25, 0x2D: pc += Int(a > source ? ins.jt : ins.jf)
            case 0x35, 0x3D: pc += Int(a >= source ? ins.jt : ins.jf)
            case 0x45, 0x4D: pc += Int(a & source != 0 ? ins.jt : ins.jf)
            case 0x06: return Verdict(ins.k)  // RET K
            case 0x16: return Verdict(a)  // RET A
            default:
                throw TestFailure("unsupported BPF opcode 0x\(String(ins.code, radix: 16)) at \(pc - 1)")
            }
        }
        throw TestFailure("BPF program ran off its end")
    }
}
