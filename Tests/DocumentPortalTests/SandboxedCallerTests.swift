import CLinux
import Foundation
import PortalCommon
import Testing
import TestSupport

/// Calls from a sandboxed app: a real bwrap sandbox with a read-only
/// `/.flatpak-info`, so the portal identifies it from the kernel's side.
@Suite("Documents: sandboxed callers")
struct SandboxedCallerTests {
    static let app = "org.burrow.Sandboxed"

    @Test func addFromASandboxGrantsReadInItsOwnViewOnly() async throws {
        let portal = try await DocumentDaemon()
        let sandbox = try await portal.connectSandboxedApp(Self.app)
        defer { sandbox.close() }
        let path = try portal.makeFile("gift.txt", contents: "from the host")
        let id = try await portal.add(portal.open(path, O_RDONLY), reuse: true, as: sandbox)
        #expect(try await portal.info(id).apps == [Self.app: ["read"]])
        #expect(try await portal.list(Self.app).keys.sorted() == [id])

        let view = try await portal.shell("""
            ls "$DOC/by-app/\(Self.app)" || exit 10
            cat "$DOC/by-app/\(Self.app)/\(id)/gift.txt" || exit 11
            echo
            ls "$DOC/by-app/org.burrow.Other" || exit 12
            stat "$DOC/by-app/org.burrow.Other/\(id)" 2>/dev/null && exit 13
            printf changed > "$DOC/by-app/\(Self.app)/\(id)/gift.txt" 2>/dev/null && exit 14
            exit 0
            """)
        #expect(view.status == 0, "step \(view.status): \(view.stderr)")
        #expect(view.stdout == "\(id)\nfrom the host\n")
        #expect((try? String(contentsOfFile: path, encoding: .utf8)) == "from the host")
    }

    @Test func aWritableDescriptorFromASandboxGrantsWrite() async throws {
        let portal = try await DocumentDaemon()
        let sandbox = try await portal.connectSandboxedApp(Self.app)
        defer { sandbox.close() }
        let path = try portal.makeFile("mine.txt", contents: "mine")
        let id = try await portal.add(portal.open(path, O_RDWR), as: sandbox)
        #expect(try await portal.info(id).apps[Self.app]?.sorted() == ["read", "write"])
        let write = try await portal.shell("printf edited > \"$DOC/by-app/\(Self.app)/\(id)/mine.txt\"")
        #expect(write.status == 0, "\(write.stderr)")
        #expect((try? String(contentsOfFile: path, encoding: .utf8)) == "edited")
    }

    @Test func aSandboxCannotLookupInfoOrList() async throws {
        let portal = try await DocumentDaemon()
        let sandbox = try await portal.connectSandboxedApp(Self.app)
        defer { sandbox.close() }
        let path = try portal.makeFile("private.txt")
        let id = try await portal.add(portal.open(path, O_RDONLY), as: sandbox)
        // The sandbox is served (so the refusals below are about the methods).
        let mountPoint = try await portal.documents("GetMountPoint", as: sandbox)
        #expect(mountPoint == [.bytes(Array(portal.mountPoint.utf8) + [0])])
        #expect(try await portal.hostPaths([id], as: sandbox) == [id: path])

        let calls: [(String, () async throws -> Void)] = [
            ("Lookup", { _ = try await portal.lookup(path, as: sandbox) }),
            ("Info", { _ = try await portal.info(id, as: sandbox) }),
            ("List", { _ = try await portal.list("", as: sandbox) }),
            ("List(own id)", { _ = try await portal.list(Self.app, as: sandbox) }),
        ]
        for (member, call) in calls {
            let error = await #expect(throws: PortalError.self, "\(member)") { try await call() }
            #expect(error?.name == ErrorName.notAllowed, "\(member)")
        }
    }

    @Test func aSandboxCannotSeeHostPathsOfDocumentsItCannotRead() async throws {
        let portal = try await DocumentDaemon()
        let sandbox = try await portal.connectSandboxedApp(Self.app)
        defer { sandbox.close() }
        let id = try await portal.addFile("elsewhere.txt")
        #expect(try await portal.hostPaths([id], as: sandbox).isEmpty)
    }

    @Test func grantingFromASandboxNeedsGrantPermissions() async throws {
        let portal = try await DocumentDaemon()
        let sandbox = try await portal.connectSandboxedApp(Self.app)
        defer { sandbox.close() }
        let path = try portal.makeFile("pass-on.txt")
        let id = try await portal.add(portal.open(path, O_RDONLY), as: sandbox)

        let refused = await #expect(throws: PortalError.self) {
            try await portal.grant(id, to: "org.burrow.Friend", ["read"], as: sandbox)
        }
        #expect(refused?.name == ErrorName.notAllowed)
        let revoke = await #expect(throws: PortalError.self) {
            try await portal.revoke(id, from: Self.app, ["read"], as: sandbox)
        }
        #expect(revoke?.name == ErrorName.notAllowed)
        #expect(try await portal.info(id).apps == [Self.app: ["read"]])

        // With grant-permissions it may pass on what it holds, and no more.
        try await portal.grant(id, to: Self.app, ["grant-permissions"])
        try await portal.grant(id, to: "org.burrow.Friend", ["read"], as: sandbox)
        let beyond = await #expect(throws: PortalError.self) {
            try await portal.grant(id, to: "org.burrow.Friend", ["write"], as: sandbox)
        }
        #expect(beyond?.name == ErrorName.notAllowed)
        #expect(try await portal.info(id).apps["org.burrow.Friend"] == ["read"])
    }

    @Test func deletingFromASandboxNeedsDelete() async throws {
        let portal = try await DocumentDaemon()
        let sandbox = try await portal.connectSandboxedApp(Self.app)
        defer { sandbox.close() }
        let id = try await portal.add(portal.open(try portal.makeFile("keep.txt"), O_RDONLY), as: sandbox)
        let refused = await #expect(throws: PortalError.self) { try await portal.delete(id, as: sandbox) }
        #expect(refused?.name == ErrorName.notAllowed)
        try await portal.grant(id, to: Self.app, ["delete"])
        try await portal.delete(id, as: sandbox)
        #expect(try await portal.list().isEmpty)
    }
}
