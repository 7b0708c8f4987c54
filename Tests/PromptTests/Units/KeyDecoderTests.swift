import Testing
@testable import launcher

/// Bytes → keys, including what tmux's send-keys never produces: sequences
/// split across reads, modifiers, UTF-8 arriving byte by byte.
@Suite("burrow prompt: key decoding")
struct KeyDecoderTests {
    static func keys(_ bytes: [UInt8]) -> [Key] {
        var decoder = KeyDecoder()
        return decoder.feed(bytes) + decoder.flush()
    }

    @Test func sequencesSplitAcrossReadsAreJoined() {
        var decoder = KeyDecoder()
        #expect(decoder.feed([0x1b]).isEmpty)
        #expect(decoder.isWaiting, "a lone ESC waits for the rest of a sequence")
        #expect(decoder.feed(Array("[A".utf8)) == [.up])
        #expect(!decoder.isWaiting)
    }

    @Test func aLoneEscapeIsEscapeOnlyOnceNothingFollows() {
        var decoder = KeyDecoder()
        #expect(decoder.feed([0x1b]).isEmpty)
        #expect(decoder.flush() == [.escape])
        #expect(Self.keys([0x1b, 0x1b]) == [.escape, .escape])
    }

    @Test func cursorAndEditingKeys() {
        #expect(Self.keys(Array("\u{1b}[B\u{1b}[C\u{1b}[D\u{1b}OA".utf8)) == [.down, .right, .left, .up])
        #expect(Self.keys(Array("\u{1b}[1;5A".utf8)) == [.up], "modifiers are ignored")
        #expect(Self.keys(Array("\u{1b}[3~\u{1b}[5~\u{1b}[6~\u{1b}[H\u{1b}OF\u{1b}[1~\u{1b}[4~".utf8))
            == [.delete, .pageUp, .pageDown, .home, .end, .home, .end])
        #expect(Self.keys(Array("\u{1b}[Z".utf8)) == [.backTab])
        #expect(Self.keys(Array("\u{1b}[200~".utf8)) == [], "unknown sequences are dropped whole")
    }

    @Test func controlBytes() {
        #expect(Self.keys([0x0d, 0x0a, 0x09, 0x7f, 0x08, 0x03]) == [.enter, .enter, .tab, .backspace, .backspace, .interrupt])
        #expect(Self.keys([0x14, 0x06, 0x0f, 0x00]) == [.control("t"), .control("f"), .control("o"), .control(" ")])
    }

    @Test func utf8ArrivingByteByByte() {
        var decoder = KeyDecoder()
        #expect(decoder.feed([0xc3]).isEmpty)
        #expect(decoder.feed([0xa9]) == [.character("é")])
        #expect(Self.keys(Array("日a".utf8)) == [.character("日"), .character("a")])
        #expect(Self.keys([0xff, 0x80, 0x61]) == [.character("a")], "invalid bytes are dropped")
    }

    @Test func altChordsAreNotEscape() {
        // Alt+x must not cancel a dialog.
        #expect(Self.keys([0x1b, 0x78, 0x79]) == [.character("y")])
    }
}
