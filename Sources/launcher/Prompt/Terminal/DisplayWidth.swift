/// How many terminal columns text takes: East Asian wide and fullwidth
/// characters and emoji take two, everything else one (a character with
/// combining marks is one grapheme, so one cell). Computed here rather than
/// with wcwidth(3), which answers -1 for anything but ASCII in the C locale
/// a portal backend may well run in.
enum DisplayWidth {
    static func of(_ character: Character) -> Int {
        guard let first = character.unicodeScalars.first else { return 0 }
        if first.value < 0x1100 && !first.properties.isEmojiPresentation { return 1 }
        if character.unicodeScalars.contains(where: { $0.properties.isEmojiPresentation }) { return 2 }
        return wideRanges.contains { $0.contains(first.value) } ? 2 : 1
    }

    static func of<S: Sequence<Character>>(_ text: S) -> Int {
        text.reduce(0) { $0 + of($1) }
    }

    /// The longest start of `text` that fits in `columns`.
    static func prefix(_ text: String, fitting columns: Int) -> String {
        var used = 0, result = ""
        for character in text {
            let width = of(character)
            guard used + width <= columns else { break }
            used += width
            result.append(character)
        }
        return result
    }

    /// Unicode's East Asian Wide (W) and Fullwidth (F) blocks, the ones a
    /// terminal draws two cells wide.
    private static let wideRanges: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
        0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
        0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x2FFFD, 0x30000...0x3FFFD,
    ]
}
