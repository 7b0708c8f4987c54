import CLinux
import Foundation
import PortalCommon
import Testing
import TestSupport

/// Delete, Lookup, Info, List and GetHostPaths, from a host app.
@Suite("Documents: queries and Delete")
struct QueryTests {
    @Test func deleteRemovesTheEntryButNotTheFile() async throws {
        let portal = try await DocumentDaemon()
        let path = try portal.makeFile("gone.txt", contents: "still on disk")
        let id = try await portal.add(portal.open(path, O_RDONLY))
        let kept = try await portal.addFile("kept.txt")
        try await portal.grant(id, to: "org.burrow.Viewer", ["read"])
        let before = try await portal.shell("cat \"$DOC/\(id)/gone.txt\"")
        #expect(before.stdout == "still on disk", "\(before.stderr)")

        try await portal.delete(id)
        let info = await #expect(throws: PortalError.self) { try await portal.info(id) }
        #expect(info?.name == ErrorName.notFound)
        #expect(try await portal.list().keys.sorted() == [kept])
        #expect(try await portal.list("org.burrow.Viewer").isEmpty)
        let after = try await portal.shell("""
            ls "$DOC"; ls "$DOC/by-app/org.burrow.Viewer"
            cat "$DOC/\(id)/gone.txt" && exit 11
            cat "$DOC/by-app/org.burrow.Viewer/\(id)/gone.txt" && exit 12
            exit 0
            """)
        #expect(after.status == 0, "the deleted document can still be read (step \(after.status))")
        #expect(!after.stdout.contains(id))
        #expect(after.stdout.contains(kept))
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test func lookupFindsHostPathsAndStorePaths() async throws {
        let portal = try await DocumentDaemon()
        let path = try portal.makeFile("found.txt")
        let id = try await portal.add(portal.open(path, O_RDONLY))
        #expect(try await portal.lookup(path) == id)
        #expect(try await portal.lookup("\(portal.mountPoint)/\(id)/found.txt") == id)
        // Resolved first, as upstream's realpath: `..` and `//` still find it.
        #expect(try await portal.lookup(portal.filesDirectory + "/../files//found.txt") == id)
        #expect(try await portal.lookup("/etc/passwd") == "")
        // A path that does not exist is an error, not "no document" (upstream 1.16).
        let missing = await #expect(throws: PortalError.self) { try await portal.lookup(portal.filesDirectory + "/missing.txt") }
        #expect(missing?.name == ErrorName.notFound)
    }

    @Test func infoGivesThePathAndEveryAppsPermissions() async throws {
        let portal = try await DocumentDaemon()
        let path = try portal.makeFile("info.txt")
        let id = try await portal.add(portal.open(path, O_RDWR))
        #expect(try await portal.info(id).path == path)
        #expect(try await portal.info(id).apps.isEmpty)
        try await portal.grant(id, to: "org.burrow.Reader", ["read"])
        try await portal.grant(id, to: "org.burrow.Owner", ["read", "write", "grant-permissions", "delete"])
        let info = try await portal.info(id)
        #expect(info.apps.mapValues { $0.sorted() } == [
            "org.burrow.Reader": ["read"],
            "org.burrow.Owner": ["delete", "grant-permissions", "read", "write"],
        ])
        let reply = try await portal.documents("Info", [.string(id)])
        #expect(reply.first == .bytes(Array(path.utf8) + [0]), "the path is not nul-terminated")
    }

    @Test func listShowsAllDocumentsOrOneAppsDocuments() async throws {
        let portal = try await DocumentDaemon()
        let shared = try portal.makeFile("shared.txt")
        let privatePath = try portal.makeFile("private.txt")
        let sharedID = try await portal.add(portal.open(shared, O_RDONLY))
        let privateID = try await portal.add(portal.open(privatePath, O_RDONLY))
        try await portal.grant(sharedID, to: "org.burrow.Viewer", ["read"])
        #expect(try await portal.list() == [sharedID: shared, privateID: privatePath])
        #expect(try await portal.list("org.burrow.Viewer") == [sharedID: shared])
        #expect(try await portal.list("org.burrow.Stranger").isEmpty)
    }

    @Test func getHostPathsLeavesUnknownIDsOut() async throws {
        let portal = try await DocumentDaemon()
        let path = try portal.makeFile("host.txt")
        let id = try await portal.add(portal.open(path, O_RDONLY))
        #expect(try await portal.hostPaths([id, "nosuchid", ""]) == [id: path])
        #expect(try await portal.hostPaths([]).isEmpty)
        let reply = try await portal.documents("GetHostPaths", [[id].dbusValue])
        #expect(reply == [.dictionary(key: .string, value: .array(.byte), [.init(.string(id), .bytes(Array(path.utf8) + [0]))])])
    }
}
