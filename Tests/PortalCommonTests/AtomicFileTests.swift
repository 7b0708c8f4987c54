import Foundation
import PortalCommon
import Testing
import TestSupport

@Suite("AtomicFile")
struct AtomicFileTests {
    @Test func replacesContentAndLeavesNothingBehind() throws {
        let dir = try TemporaryDirectory.make(prefix: "burrow-atomic")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.path + "/info"
        try AtomicFile.write("first\n", to: path)
        try AtomicFile.write("second\n", to: path, mode: 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "second\n")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["info"], "no temporary file left")
    }

    @Test func failureNamesThePathAndKeepsTheOldFile() throws {
        let dir = try TemporaryDirectory.make(prefix: "burrow-atomic")
        defer { try? FileManager.default.removeItem(at: dir) }
        let error = #expect(throws: PortalError.self) { try AtomicFile.write("x", to: dir.path + "/missing/info") }
        #expect(error?.message.contains(dir.path + "/missing/info") == true)
    }
}
