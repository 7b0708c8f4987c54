import Glibc

/// Rows of text columns printed the way flatpak's table printer prints them
/// to a pipe or a terminal.
///
/// - Not a terminal (scripts): no title line, fields separated by one tab,
///   one row per line, nothing at all for no rows. Stable across releases.
/// - A terminal: a bold title line, columns padded with spaces to line up.
///
/// Every field has its control characters escaped (`\n`, `\t`, `\x1b`…):
/// ids, app ids and permission strings come from apps through the portals,
/// and one holding a newline or tab would forge rows for a script, one
/// holding an escape sequence would drive the user's terminal.
package struct TablePrinter {
    package let titles: [String]
    package private(set) var rows: [[String]] = []

    package init(titles: [String]) {
        self.titles = titles
    }

    package mutating func append(_ row: [String]) {
        precondition(row.count == titles.count, "a row must have one field per column")
        rows.append(row.map(Self.escapingControlCharacters))
    }

    /// The text to print; `aligned` for a terminal.
    package func render(aligned: Bool) -> String {
        guard aligned else {
            return rows.map { $0.joined(separator: "\t") + "\n" }.joined()
        }
        let all = [titles] + rows
        let widths = titles.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        func line(_ fields: [String]) -> String {
            // The last column is not padded: no trailing blanks.
            let padded = fields.indices.map { column in
                column == fields.count - 1
                    ? fields[column]
                    : fields[column] + String(repeating: " ", count: widths[column] - fields[column].count)
            }
            return padded.joined(separator: " ")
        }
        return "\u{1B}[1m" + line(titles) + "\u{1B}[22m\n" + rows.map { line($0) + "\n" }.joined()
    }

    /// Prints to stdout, aligned when stdout is a terminal.
    package func print() {
        Swift.print(render(aligned: isatty(1) == 1), terminator: "")
    }

    package static func escapingControlCharacters(_ field: String) -> String {
        guard field.unicodeScalars.contains(where: isControl) else { return field }
        var escaped = ""
        for scalar in field.unicodeScalars {
            switch scalar {
            case "\n": escaped += "\\n"
            case "\t": escaped += "\\t"
            case "\r": escaped += "\\r"
            case _ where isControl(scalar):
                escaped += "\\x" + String(scalar.value, radix: 16).leftPadded(to: 2)
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    /// C0 controls, DEL and C1 controls.
    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
