import CLinux
import Foundation
import PortalCommon
import Testing
import TestSupport

/// GrantPermissions and RevokePermissions, seen through the apps' views of
/// the mount. Each shell step runs right after the D-Bus reply: a change
/// must show at once, whatever the kernel had cached (no sleeps).
@Suite("Documents: permissions and the by-app views")
struct PermissionTests {
    static let app = "org.burrow.Viewer"

    @Test func grantAndRevokeChangeTheAppsViewAtOnce() async throws {
        let portal = try await DocumentDaemon()
        let id = try await portal.addFile("shared.txt", contents: "hello")
        let view = "\"$DOC/by-app/\(Self.app)\""
        let file = "\(view)/\(id)/shared.txt"

        let before = try await portal.shell("ls \(view); stat \(view)/\(id)")
        #expect(before.status != 0, "the document is visible before any grant")
        #expect(!before.stdout.contains(id))

        try await portal.grant(id, to: Self.app, ["read"])
        let readable = try await portal.shell("ls \(view) && stat -c %A \(file) && cat \(file)")
        #expect(readable.status == 0, "\(readable.stderr)")
        #expect(readable.stdout == "\(id)\n-r--r--r--\nhello")

        try await portal.grant(id, to: Self.app, ["write"])
        let writable = try await portal.shell("stat -c %A \(file)")
        #expect(writable.stdout == "-rw-r--r--\n", "\(writable.stderr)")

        try await portal.revoke(id, from: Self.app, ["read", "write"])
        let gone = try await portal.shell("ls \(view); stat \(view)/\(id)")
        #expect(gone.status != 0, "the document is still visible after the revoke")
        #expect(!gone.stdout.contains(id))
        #expect(try await portal.info(id).apps[Self.app] == nil)
    }

    @Test func writeBitsFollowTheWriteGrantNotTheHostMode() async throws {
        let portal = try await DocumentDaemon()
        let id = try await portal.addFile("modes.txt")
        try await portal.grant(id, to: Self.app, ["read", "write"])
        try await portal.revoke(id, from: Self.app, ["write"])
        let shown = try await portal.shell("stat -c %A \"$DOC/by-app/\(Self.app)/\(id)\" \"$DOC/by-app/\(Self.app)/\(id)/modes.txt\"")
        #expect(shown.stdout == "dr-x------\n-r--r--r--\n", "\(shown.stderr)")
        // The host's own view keeps the file's real mode.
        let host = try await portal.shell("stat -c %A \"$DOC/\(id)/modes.txt\"")
        #expect(host.stdout == "-rw-r--r--\n", "\(host.stderr)")
    }

    @Test func revokeRefusesNewOpensRightAfterALookup() async throws {
        let portal = try await DocumentDaemon()
        let id = try await portal.addFile("secret.txt", contents: "for your eyes")
        try await portal.grant(id, to: Self.app, ["read"])
        // One process: it sits in the document's directory (so the kernel
        // holds that node), looks the name up, reads it, then revokes its own
        // access over the bus and opens the same name again.
        let revoke = "gdbus call --session --dest \(DocumentDaemon.name.rawValue) --object-path \(DocumentDaemon.path.rawValue) "
            + "--method \(DocumentDaemon.documentsInterface).RevokePermissions \(id) \(Self.app) \"['read']\" >/dev/null"
        let result = try await portal.shell("""
            cd "$DOC/by-app/\(Self.app)/\(id)" || exit 10
            stat secret.txt >/dev/null || exit 11
            cat secret.txt || exit 12
            echo
            \(revoke) || exit 13
            cat secret.txt && exit 14
            stat secret.txt && exit 15
            exit 0
            """)
        #expect(result.status == 0, "step \(result.status): \(result.stderr)")
        #expect(result.stdout == "for your eyes\n")
        #expect(result.stderr.contains("No such file or directory"), "\(result.stderr)")
    }

    @Test func readOnlyViewRefusesWritesWritableViewChangesTheHostFile() async throws {
        let portal = try await DocumentDaemon()
        let path = try portal.makeFile("doc.txt", contents: "original")
        let id = try await portal.add(portal.open(path, O_RDONLY))
        try await portal.grant(id, to: "org.burrow.Reader", ["read"])
        try await portal.grant(id, to: "org.burrow.Writer", ["read", "write"])

        let refused = try await portal.shell("""
            cd "$DOC/by-app/org.burrow.Reader/\(id)" || exit 10
            printf changed > doc.txt && exit 11
            printf more >> doc.txt && exit 12
            truncate -s 0 doc.txt && exit 13
            rm -f doc.txt && exit 14
            printf new > other.txt && exit 15
            exit 0
            """)
        #expect(refused.status == 0, "a write through the read-only view succeeded (step \(refused.status))")
        let denials = refused.stderr.split(separator: "\n")
        #expect(denials.count == 5, "\(refused.stderr)")
        #expect(denials.allSatisfy { $0.contains("Permission denied") || $0.contains("Operation not permitted") }, "\(refused.stderr)")
        #expect((try? String(contentsOfFile: path, encoding: .utf8)) == "original")

        let written = try await portal.shell("printf changed > \"$DOC/by-app/org.burrow.Writer/\(id)/doc.txt\"")
        #expect(written.status == 0, "\(written.stderr)")
        #expect((try? String(contentsOfFile: path, encoding: .utf8)) == "changed")
    }

    @Test(arguments: ["not an app", "org.burrow", "org.bur-row.App", "org..burrow.App", "org.burrow.3D", "../etc/passwd"])
    func invalidAppIDsAreRefused(app: String) async throws {
        let portal = try await DocumentDaemon()
        let path = try portal.makeFile("app.txt")
        let id = try await portal.add(portal.open(path, O_RDONLY))
        let grant = await #expect(throws: PortalError.self) { try await portal.grant(id, to: app, ["read"]) }
        #expect(grant?.name == ErrorName.invalidArgument)
        let revoke = await #expect(throws: PortalError.self) { try await portal.revoke(id, from: app, ["read"]) }
        #expect(revoke?.name == ErrorName.invalidArgument)
        let addFull = await #expect(throws: PortalError.self) {
            try await portal.addFull([portal.open(path, O_RDONLY)], flags: 0, app: app, permissions: ["read"])
        }
        #expect(addFull?.name == ErrorName.invalidArgument)
        #expect(try await portal.info(id).apps.isEmpty)
        #expect(try await portal.list().count == 1)
    }

    @Test func unknownPermissionWordsAreRefused() async throws {
        let portal = try await DocumentDaemon()
        let path = try portal.makeFile("words.txt")
        let id = try await portal.add(portal.open(path, O_RDONLY))
        let grant = await #expect(throws: PortalError.self) { try await portal.grant(id, to: Self.app, ["read", "execute"]) }
        #expect(grant?.name == ErrorName.invalidArgument)
        #expect(try await portal.info(id).apps.isEmpty, "part of a refused grant was applied")
        let addFull = await #expect(throws: PortalError.self) {
            try await portal.addFull([portal.open(path, O_RDONLY)], flags: 0, app: Self.app, permissions: ["READ"])
        }
        #expect(addFull?.name == ErrorName.invalidArgument)
        #expect(try await portal.list().keys.sorted() == [id])
    }

    @Test func unknownDocumentIDsAreNotFound() async throws {
        let portal = try await DocumentDaemon()
        _ = try await portal.addFile("exists.txt")
        let calls: [(String, () async throws -> Void)] = [
            ("Info", { _ = try await portal.info("nosuchid") }),
            ("GrantPermissions", { try await portal.grant("nosuchid", to: Self.app, ["read"]) }),
            ("RevokePermissions", { try await portal.revoke("nosuchid", from: Self.app, ["read"]) }),
            ("Delete", { try await portal.delete("nosuchid") }),
        ]
        for (member, call) in calls {
            let error = await #expect(throws: PortalError.self, "\(member)") { try await call() }
            #expect(error?.name == ErrorName.notFound, "\(member)")
        }
    }
}
