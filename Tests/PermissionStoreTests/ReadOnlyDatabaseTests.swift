import Foundation
import PermissionData
import PortalCommon
import Testing

/// `PermissionDatabase(readOnlyAt:)`, which `burrow permissions` uses to
/// learn the table names of a store the daemon owns.
@Suite("Read-only permission database")
struct ReadOnlyDatabaseTests {
    @Test func readsWhatTheWriterCommittedAndRefusesWrites() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/permissions.sqlite"
            let writer = try PermissionDatabase(path: path)
            _ = try writer.setPermission(table: "devices", create: true, id: "camera", app: "a", permissions: ["yes"])

            let reader = try PermissionDatabase(readOnlyAt: path)
            #expect(try reader.tables() == ["devices"])
            // A later commit by the writer is visible to the open reader (WAL).
            _ = try writer.setValue(table: "location", create: true, id: "location", data: [1])
            #expect(try reader.tables() == ["devices", "location"])
            #expect(throws: (any Error).self) {
                try reader.setValue(table: "devices", create: true, id: "mic", data: nil)
            }
            #expect(try writer.list(table: "devices") == ["camera"])
        }
    }

    @Test func aMissingFileIsAnErrorAndIsNotCreated() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/absent/permissions.sqlite"
            #expect(throws: (any Error).self) { try PermissionDatabase(readOnlyAt: path) }
            #expect(!FileManager.default.fileExists(atPath: directory + "/absent"))
        }
    }

    @Test func aFileWithoutTheSchemaIsRefusedByName() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/permissions.sqlite"
            #expect(FileManager.default.createFile(atPath: path, contents: Data()))
            expectPortalError(ErrorName.failed, containing: [path, "schema version 0"]) {
                try PermissionDatabase(readOnlyAt: path)
            }
        }
    }
}
