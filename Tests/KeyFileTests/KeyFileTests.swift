import PortalCommon
import Testing

@Suite("KeyFile (GKeyFile wrapper)")
struct KeyFileTests {
    @Test("GLib escapes round-trip: \\s, \\n, \\t, \\\\ in strings and \\; in lists")
    func escapesRoundTrip() throws {
        let written = KeyFile(fileName: "escapes")
        try written.set(" leading space", forKey: "spaced", in: "G")
        try written.set("\tindented", forKey: "tabbed", in: "G")
        try written.set("two\nlines\tand a \\ backslash", forKey: "multi", in: "G")
        try written.set(["a;b", "c", " d", "e\\f"], forKey: "list", in: "G")
        let text = written.serialized()

        // The bytes are GLib's own escapes, which Flatpak reads back.
        #expect(text.contains("spaced=\\sleading space\n"))
        #expect(text.contains("tabbed=\\tindented\n"))
        // GLib escapes a tab only where it would otherwise be lost (leading).
        #expect(text.contains("multi=two\\nlines\tand a \\\\ backslash\n"))
        #expect(text.contains("list=a\\;b;c;\\sd;e\\\\f;\n"))

        let read = try KeyFile(parsing: text, fileName: "escapes")
        #expect(try read.string(forKey: "spaced", in: "G") == " leading space")
        #expect(try read.string(forKey: "tabbed", in: "G") == "\tindented")
        #expect(try read.string(forKey: "multi", in: "G") == "two\nlines\tand a \\ backslash")
        #expect(try read.stringList(forKey: "list", in: "G") == ["a;b", "c", " d", "e\\f"])
    }

    @Test("lists parse with or without the trailing separator")
    func listSeparators() throws {
        let file = try KeyFile(parsing: "[G]\nwith=a;b;\nwithout=a;b\nempty=\n", fileName: "lists")
        #expect(try file.stringList(forKey: "with", in: "G") == ["a", "b"])
        #expect(try file.stringList(forKey: "without", in: "G") == ["a", "b"])
        #expect(try file.stringList(forKey: "empty", in: "G") == [])
        #expect(try file.stringList(forKey: "absent", in: "G") == nil)
        #expect(try file.stringList(forKey: "with", in: "NoSuchGroup") == nil)
    }

    @Test("typed values: booleans, integers, missing keys")
    func typedValues() throws {
        let file = try KeyFile(parsing: "[G]\nyes=true\nno=false\nn=-42\nbad=maybe\n", fileName: "typed")
        #expect(try file.bool(forKey: "yes", in: "G") == true)
        #expect(try file.bool(forKey: "no", in: "G") == false)
        #expect(try file.bool(forKey: "absent", in: "G") == nil)
        #expect(try file.integer(forKey: "n", in: "G") == -42)
        let error = #expect(throws: KeyFileError.self) { try file.bool(forKey: "bad", in: "G") }
        #expect(error?.fileName == "typed")
        #expect(error?.group == "G")
        #expect(error?.key == "bad")
    }

    @Test("a NUL byte anywhere is refused, not silently truncated")
    func nulInInput() {
        let bytes = Array("[Application]\nname=org.a.b".utf8) + [0] + Array("evil\n".utf8)
        let error = #expect(throws: KeyFileError.self) { try KeyFile(parsing: bytes, fileName: "nul") }
        #expect(error?.fileName == "nul")
        #expect(error?.message.contains("NUL") == true)
    }

    @Test("writing a value with NUL is refused")
    func nulInValue() {
        let file = KeyFile(fileName: "out")
        let error = #expect(throws: KeyFileError.self) { try file.set("a\u{0}b", forKey: "k", in: "G") }
        #expect(error?.key == "k")
        #expect(throws: KeyFileError.self) { try file.set(["ok", "a\u{0}b"], forKey: "k", in: "G") }
        #expect(file.hasKey("k", in: "G") == false)
    }

    @Test("invalid group and key names are refused when writing")
    func badNames() {
        let file = KeyFile()
        #expect(throws: KeyFileError.self) { try file.set("v", forKey: "k", in: "a]b") }
        #expect(throws: KeyFileError.self) { try file.set("v", forKey: "a=b", in: "G") }
        #expect(throws: KeyFileError.self) { try file.set("v", forKey: "line\nbreak", in: "G") }
        #expect(throws: KeyFileError.self) { try file.set("v", forKey: "", in: "G") }
    }

    @Test("bad UTF-8 in a value is an error naming file, group and key")
    func badUTF8Value() throws {
        let bytes = Array("[Application]\nname=org.".utf8) + [0xFF, 0xFE] + Array(".x\nother=fine\n".utf8)
        let file = try KeyFile(parsing: bytes, fileName: "/proc/42/root/.flatpak-info")
        #expect(try file.string(forKey: "other", in: "Application") == "fine")
        let error = #expect(throws: KeyFileError.self) { try file.string(forKey: "name", in: "Application") }
        #expect(error?.fileName == "/proc/42/root/.flatpak-info")
        #expect(error?.group == "Application")
        #expect(error?.key == "name")
        #expect(throws: KeyFileError.self) { try file.stringList(forKey: "name", in: "Application") }
    }

    @Test("bad UTF-8 in a group name is an error, not a dropped group")
    func badUTF8Group() throws {
        let bytes = Array("[Gr".utf8) + [0xC3] + Array("]\nk=v\n".utf8)
        do {
            let file = try KeyFile(parsing: bytes, fileName: "bad-group")
            #expect(throws: KeyFileError.self) { try file.groups }
        } catch {
            // Refusing at load time is just as good.
            #expect(error.fileName == "bad-group")
        }
    }

    @Test("syntax errors carry the file name")
    func syntaxError() {
        let error = #expect(throws: KeyFileError.self) {
            try KeyFile(parsing: "this is not a keyfile\n", fileName: "garbage")
        }
        #expect(error?.fileName == "garbage")
        #expect(error?.description.hasPrefix("garbage: ") == true)
    }

    @Test("translated keys are kept whatever the process locale, so parsing does not depend on it")
    func translationsKept() throws {
        let file = try KeyFile(parsing: "[G]\nk=plain\nk[de]=übersetzt\nk[zz_ZZ]=other\n", fileName: "l10n")
        #expect(try file.keys(in: "G") == ["k", "k[de]", "k[zz_ZZ]"])
        #expect(try file.string(forKey: "k", in: "G") == "plain")
    }

    @Test("structure: groups and keys in file order, removal")
    func structure() throws {
        let file = try KeyFile(parsing: "[B]\nz=1\na=2\n[A]\nk=v\n", fileName: "order")
        #expect(try file.groups == ["B", "A"])
        #expect(try file.startGroup == "B")
        #expect(try file.keys(in: "B") == ["z", "a"])
        #expect(try file.keys(in: "Missing") == [])
        #expect(file.removeKey("z", in: "B"))
        #expect(!file.removeKey("z", in: "B"))
        #expect(file.removeGroup("A"))
        #expect(try file.groups == ["B"])
    }

    @Test("required keys: the error names file, group and key")
    func requiredKey() throws {
        let file = try KeyFile(parsing: "[G]\n", fileName: "req")
        let error = #expect(throws: KeyFileError.self) { try file.requiredString(forKey: "name", in: "G") }
        #expect(error == KeyFileError(fileName: "req", group: "G", key: "name", message: "required key is missing"))
        #expect(error?.description == "req: [G] name: required key is missing")
    }

    @Test("KeyFileError becomes an InvalidArgument portal error")
    func portalError() {
        let error = KeyFileError(fileName: "f", group: "G", key: "k", message: "bad")
        let portal = PortalError(error)
        #expect(portal.name == "org.freedesktop.portal.Error.InvalidArgument")
        #expect(portal.message == "f: [G] k: bad")
    }
}
