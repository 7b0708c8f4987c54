import Glibc
import PortalCommon
import Testing

@Suite("GVariant serialization of stored data")
struct GVariantCodingTests {
    @Test func everyTypeRoundTrips() throws {
        let bytes = try GVariantCoding.serialize(DBusRoundTripTests.everything)
        #expect(GVariantCoding.deserialize(bytes) == DBusRoundTripTests.everything)
    }

    @Test func encodingIsGVariantsOwn() throws {
        // A variant holding uint32 7: the value, a NUL, the type string "u"
        // (GVariant's serialized form, as xdg-permission-store stores it).
        #expect(try GVariantCoding.serialize(.uint32(7)) == [7, 0, 0, 0, 0, 0x75])
        #expect(GVariantCoding.text(of: .dictionary(key: .string, value: .variant, [.init(.string("a"), .variant(.int32(1)))]))
                == "{'a': <1>}")
    }

    @Test(arguments: [
        ("{'a': <1>}", DBusValue.dictionary(key: .string, value: .variant, [.init(.string("a"), .variant(.int32(1)))])),
        ("uint32 7", .uint32(7)),
        ("'yes'", .string("yes")),
        ("<byte 0x00>", .variant(.byte(0))),
        ("[('x', true)]", .array(element: .structure([.string, .bool]), [.structure([.string("x"), .bool(true)])])),
        ("b'ab'", .bytes(Array("ab\0".utf8))),
        ("objectpath '/a/b'", .objectPath("/a/b")),
        ("@as []", .array(element: .string, [])),
    ])
    func parsesGLibText(text: String, expected: DBusValue) throws {
        #expect(try GVariantCoding.parse(text) == expected)
    }

    @Test func printedDataOfInferableTypesParsesBack() throws {
        // The CLI's Data column prints without type annotations, as flatpak
        // does, so only values whose type the text implies (int32, string,
        // bool, double, containers of those, variants) come back unchanged;
        // `uint32 7` prints as `7`.
        let value = DBusValue.dictionary(key: .string, value: .variant, [
            .init(.string("n"), .variant(.int32(-3))),
            .init(.string("list"), .variant(.array(element: .string, [.string("a'b"), .string("\n")]))),
            .init(.string("on"), .variant(.bool(true))),
        ])
        #expect(try GVariantCoding.parse(GVariantCoding.text(of: value)) == value)
        #expect(GVariantCoding.text(of: .uint32(7)) == "7")
    }

    @Test(arguments: ["{'a': ", "", "1 2", "[]", "nothing"])
    func badTextIsAnInvalidArgumentNamingTheText(text: String) {
        #expect {
            try GVariantCoding.parse(text)
        } throws: { error in
            guard let error = error as? PortalError else { return false }
            return error.name == PortalError.invalidArgument("").name
                && error.message.hasPrefix("Failed to parse '\(text)' as GVariant: ")
        }
    }

    @Test(arguments: ["just 'x'", "@ms nothing", "handle 3", "[<just 1>]"])
    func typesDBusCannotCarryAreRefused(text: String) {
        #expect {
            try GVariantCoding.parse(text)
        } throws: { error in
            (error as? PortalError)?.message.contains("which D-Bus cannot carry") == true
        }
    }

    @Test func fileDescriptorsAreRefused() {
        #expect(throws: PortalError.self) {
            try GVariantCoding.serialize(.structure([.string("x"), .unixFD(UnixFD(takingOwnershipOf: dup(2)))]))
        }
    }

    @Test(arguments: [[UInt8](), [0xff], [1, 2, 3, 0, 0x28], Array(repeating: 0xff, count: 64)])
    func corruptBytesNeverCrash(bytes: [UInt8]) {
        // GLib reads untrusted serialized data without leaving the buffer;
        // whatever comes back must at least be a well-formed value.
        if let value = GVariantCoding.deserialize(bytes) {
            #expect((try? value.validate()) != nil)
        }
    }
}
