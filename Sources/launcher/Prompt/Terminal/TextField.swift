/// A one-line text entry with a caret and the usual editing keys
/// (readline's Ctrl-A/E/U among them).
struct TextField: Sendable, Equatable {
    private(set) var characters: [Character]
    private(set) var caret: Int

    init(_ text: String = "") {
        characters = Array(text)
        caret = characters.count
    }

    var text: String {
        get { String(characters) }
        set {
            characters = Array(newValue)
            caret = characters.count
        }
    }

    var isEmpty: Bool { characters.isEmpty }

    /// Applies an editing key; false when the key is not an editing key.
    mutating func handle(_ key: Key) -> Bool {
        switch key {
        case .character(let c):
            characters.insert(c, at: caret)
            caret += 1
        case .backspace:
            guard caret > 0 else { return true }
            characters.remove(at: caret - 1)
            caret -= 1
        case .delete, .control("d"):
            if caret < characters.count { characters.remove(at: caret) }
        case .left: caret = max(caret - 1, 0)
        case .right: caret = min(caret + 1, characters.count)
        case .home, .control("a"): caret = 0
        case .end, .control("e"): caret = characters.count
        case .control("u"):
            characters.removeSubrange(0..<caret)
            caret = 0
        default:
            return false
        }
        return true
    }

    /// The part to show in `width` columns and the caret's column in it:
    /// long text scrolls so the caret stays visible. Columns, not
    /// characters: a wide character (CJK, emoji) takes two.
    func visible(width: Int) -> (text: String, caret: Int) {
        let room = max(width - 1, 1)
        var start = caret
        var used = 0
        while start > 0 && used + DisplayWidth.of(characters[start - 1]) <= room {
            start -= 1
            used += DisplayWidth.of(characters[start])
        }
        var end = caret
        while end < characters.count && used + DisplayWidth.of(characters[end]) <= room {
            used += DisplayWidth.of(characters[end])
            end += 1
        }
        return (String(characters[start..<end]), DisplayWidth.of(characters[start..<caret]))
    }
}
