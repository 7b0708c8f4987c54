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
