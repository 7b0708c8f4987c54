import SystemPackage

// Small text operations full Foundation has and FoundationEssentials lacks.
// burrow links FoundationEssentials only: full Foundation brings
// CoreFoundation and ICU's data (an executable of 85 MB instead of 30 MB,
// and its initialization at every start).

extension StringProtocol {
    /// Without the leading and trailing characters that are in `set`.
    public func trimmingCharacters(in set: String) -> String {
        var slice = self[...]
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}

extension String {
    /// ASCII whitespace, as C's isspace() knows it.
    public static let asciiWhitespace = " \t\n\r\u{0B}\u{0C}"

    /// Lowercase hexadecimal, two digits a byte (a checksum's spelling).
    public init(hexadecimal bytes: some Sequence<UInt8>) {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        self = String(decoding: text, as: UTF8.self)
    }
}

/// Text for a terminal, standard output or standard error.
public enum TextOutput {
    /// Writes all of `text` to `fd` (short writes and EINTR go on). What
    /// nobody can take any more (the terminal hung up, the pipe closed) is
    /// dropped: there is no one left to tell.
    public static func write(_ text: String, to fd: Int32) {
        _ = try? FileDescriptor(rawValue: fd).writeAll(text.utf8)
    }
}
