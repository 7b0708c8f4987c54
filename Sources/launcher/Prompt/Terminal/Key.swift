/// One key press, decoded from the bytes a terminal sends.
enum Key: Sendable, Hashable {
    case character(Character)
    case enter, tab, backTab, backspace, delete, escape
    /// Ctrl-C: with raw mode it arrives as a byte, not as SIGINT.
    case interrupt
    case up, down, left, right, home, end, pageUp, pageDown
    /// Ctrl plus a letter (lower case), e.g. `.control("t")` for Ctrl-T.
    case control(Character)
}

/// Turns terminal input bytes into keys: UTF-8 text, control bytes, and the
/// CSI / SS3 sequences terminals (and tmux) send for cursor keys.
///
/// A lone ESC is ambiguous — the Escape key, or the start of a sequence
/// whose rest has not arrived yet. `feed` keeps an unfinished sequence
/// back; the reader calls `flush` when no more bytes follow within a few
/// milliseconds, and only then does ESC count as Escape.
struct KeyDecoder {
    private var pending: [UInt8] = []

    /// True while bytes are held back waiting for the rest of a sequence.
    var isWaiting: Bool { !pending.isEmpty }

    mutating func feed(_ bytes: some Sequence<UInt8>) -> [Key] {
        pending.append(contentsOf: bytes)
        var keys: [Key] = []
        while let (key, used) = decode(pending[...], final: false) {
            pending.removeFirst(used)
            if let key { keys.append(key) }
        }
        return keys
    }

    /// Decodes what is held back as if nothing more will come.
    mutating func flush() -> [Key] {
        var keys: [Key] = []
        while !pending.isEmpty {
            guard let (key, used) = decode(pending[...], final: true) else { break }
            pending.removeFirst(used)
            if let key { keys.append(key) }
        }
        pending.removeAll()
        return keys
    }

    /// One key from the front of `bytes` and how many bytes it used, or nil
    /// when more bytes are needed. A nil key means "consumed, ignored".
    private func decode(_ bytes: ArraySlice<UInt8>, final: Bool) -> (Key?, Int)? {
        guard let first = bytes.first else { return nil }
        switch first {
        case 0x1b: return decodeEscape(bytes, final: final)
        case 0x0d, 0x0a: return (.enter, 1)
        case 0x09: return (.tab, 1)
        case 0x7f, 0x08: return (.backspace, 1)
        case 0x03: return (.interrupt, 1)
        case 0x00: return (.control(" "), 1)
        case 0x01...0x1a: return (.control(Character(Unicode.Scalar(first + 0x60))), 1)
        case 0x1c...0x1f: return (nil, 1)
        case 0x20...0x7e: return (.character(Character(Unicode.Scalar(first))), 1)
        default: return decodeUTF8(bytes, final: final)
        }
    }

    private func decodeEscape(_ bytes: ArraySlice<UInt8>, final: Bool) -> (Key?, Int)? {
        let rest = bytes.dropFirst()
        guard let second = rest.first else { return final ? (.escape, 1) : nil }
        switch second {
        case UInt8(ascii: "["):
            // CSI: parameter bytes 0x30–0x3F, then a final byte 0x40–0x7E.
            var index = rest.index(after: rest.startIndex)
            while index < bytes.endIndex, (0x20...0x3f).contains(bytes[index]) { index += 1 }
            guard index < bytes.endIndex else { return final ? (.escape, 1) : nil }
            let parameters = String(decoding: bytes[(rest.startIndex + 1)..<index], as: UTF8.self)
            let length = index - bytes.startIndex + 1
            return (Self.csiKey(final: bytes[index], parameters: parameters), length)
        case UInt8(ascii: "O"):
            guard rest.count >= 2 else { return final ? (.escape, 1) : nil }
            let code = rest[rest.startIndex + 1]
            return (Self.csiKey(final: code, parameters: ""), 3)
        case 0x1b:
            // Escape pressed twice: the first is a key of its own.
            return (.escape, 1)
        default:
            // Alt+key: not a key any dialog uses; dropping it beats treating
            // a stray Alt chord as Escape and cancelling the dialog.
            guard let (_, used) = decode(rest, final: final) else { return final ? (.escape, 1) : nil }
            return (nil, 1 + used)
        }
    }

    private static func csiKey(final: UInt8, parameters: String) -> Key? {
        switch final {
        case UInt8(ascii: "A"): return .up
        case UInt8(ascii: "B"): return .down
        case UInt8(ascii: "C"): return .right
        case UInt8(ascii: "D"): return .left
        case UInt8(ascii: "H"): return .home
        case UInt8(ascii: "F"): return .end
        case UInt8(ascii: "Z"): return .backTab
        case UInt8(ascii: "~"):
            switch parameters.split(separator: ";").first ?? "" {
            case "1", "7": return .home
            case "4", "8": return .end
            case "3": return .delete
            case "5": return .pageUp
            case "6": return .pageDown
            default: return nil
            }
        default: return nil
        }
    }

    private func decodeUTF8(_ bytes: ArraySlice<UInt8>, final: Bool) -> (Key?, Int)? {
        let first = bytes[bytes.startIndex]
        let length: Int
        switch first {
        case 0xc2...0xdf: length = 2
        case 0xe0...0xef: length = 3
        case 0xf0...0xf4: length = 4
        default: return (nil, 1)  // a stray continuation or invalid byte
        }
        guard bytes.count >= length else { return final ? (nil, bytes.count) : nil }
        let sequence = bytes.prefix(length)
        guard sequence.dropFirst().allSatisfy({ $0 & 0xc0 == 0x80 }) else { return (nil, 1) }
        let text = String(decoding: sequence, as: UTF8.self)
        guard let character = text.first, !text.unicodeScalars.contains("\u{FFFD}") else { return (nil, length) }
        return (.character(character), length)
    }
}
