import CLinux
import Foundation
import PortalCommon
import Testing
import TestSupport

/// Directory documents (AddFull flag 8), and the walls between documents.
@Suite("Document store: directory documents")
struct DirectoryDocumentTests {
    static let app = "org.burrow.Builder"

    /// `files/project` with `readme.txt`, exported for `app` with `permissions`.
    static func project(_ portal: DocumentDaemon, permissions: [String] = ["read", "write"]) async throws -> String {
        let directory = try portal.makeDirectory("project")
        try portal.makeFile("project/readme.txt", contents: "read me")
        let (ids, _) = try await portal.addFull([portal.open(directory, burrow_o_path | O_DIRECTORY)], flags: 8,
                                                app: app, permissions: permissions)
        try #require(ids.count == 1)
        return ids[0]
    }

    @Test func aDirectoryDocumentIsListedAndRead() async throws {
        let portal = try await DocumentDaemon()
        let id = try await Self.project(portal)
        #expect(try await portal.info(id).path == portal.filesDirectory + "/project")
        for view in ["$DOC/\(id)", "$DOC/by-app/\(Self.app)/\(id)"] {
            let result = try await portal.shell("ls -A \"\(view)\" && ls -A \"\(view)/project\" && cat \"\(view)/project/readme.txt\"")
            #expect(result.status == 0, "\(view): \(result.stderr)")
            #expect(result.stdout == "project\nreadme.txt\nread me", "\(view)")
        }
    }

    @Test func filesAndDirectoriesAreMadeAndRenamedInside() async throws {
        let portal = try await DocumentDaemon()
        let id = try await Self.project(portal)
        // Absolute paths, no cd: chdir is tested on its own below.
        let result = try await portal.shell("""
            P="$DOC/by-app/\(Self.app)/\(id)/project"
            printf made > "$P/new.txt" || exit 11
            mkdir "$P/sub" || exit 12
            mv "$P/new.txt" "$P/sub/moved.txt" || exit 13
            mv "$P/sub" "$P/renamed" || exit 14
            ls -A "$P" "$P/renamed" | sed "s|$P|P|"
            """)
        #expect(result.status == 0, "step \(result.status): \(result.stderr)")
        #expect(result.stdout == "P:\nreadme.txt\nrenamed\n\nP/renamed:\nmoved.txt\n")
        let project = portal.filesDirectory + "/project"
        #expect((try? String(contentsOfFile: project + "/renamed/moved.txt", encoding: .utf8)) == "made")
        #expect(try FileManager.default.contentsOfDirectory(atPath: project).sorted() == ["readme.txt", "renamed"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: project + "/renamed") == ["moved.txt"])
    }

    @Test func aReadOnlyDirectoryDocumentRefusesChanges() async throws {
        let portal = try await DocumentDaemon()
        let id = try await Self.project(portal, permissions: ["read"])
        let result = try await portal.shell("""
            P="$DOC/by-app/\(Self.app)/\(id)/project"
            printf made > "$P/new.txt" && exit 11
            mkdir "$P/sub" && exit 12
            mv "$P/readme.txt" "$P/other.txt" && exit 13
            rm -f "$P/readme.txt" && exit 14
            cat "$P/readme.txt"
            """)
        #expect(result.status == 0, "a change through a read-only view succeeded (step \(result.status))")
        #expect(result.stdout == "read me")
        #expect(try FileManager.default.contentsOfDirectory(atPath: portal.filesDirectory + "/project") == ["readme.txt"])
    }

    @Test func renameAcrossDocumentsFailsWithEXDEV() async throws {
        let portal = try await DocumentDaemon()
        let left = try portal.makeDirectory("left")
        let right = try portal.makeDirectory("right")
        try portal.makeFile("left/a.txt", contents: "a")
        let (ids, _) = try await portal.addFull([portal.open(left, burrow_o_path), portal.open(right, burrow_o_path)], flags: 8)
        try #require(ids.count == 2)
        // Another app's view of the same document is another tree too.
        try await portal.grant(ids[0], to: "org.burrow.Any", ["read", "write"])
        let first = try await portal.addFile("first.txt")
        let second = try await portal.addFile("second.txt")
        // os.rename is rename(2) itself; mv would fall back to copying.
        let result = try await portal.shell("""
            python3 -c 'import os, sys
            for source, target in zip(sys.argv[1::2], sys.argv[2::2]):
                try:
                    os.rename(source, target); print("renamed")
                except OSError as e: print(e.errno)' \
              "$DOC/\(ids[0])/left/a.txt" "$DOC/\(ids[1])/right/a.txt" \
              "$DOC/\(first)/first.txt" "$DOC/\(second)/first.txt" \
              "$DOC/\(ids[0])/left/a.txt" "$DOC/by-app/org.burrow.Any/\(ids[0])/left/b.txt"
            """)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "\(EXDEV)\n\(EXDEV)\n\(EXDEV)\n")
        #expect(FileManager.default.fileExists(atPath: left + "/a.txt"))
        #expect(FileManager.default.fileExists(atPath: portal.filesDirectory + "/first.txt"))
    }

    /// Symlinks inside a directory document are shown as symlinks: the
    /// kernel resolves them in the reader's own namespace, through the
    /// app's view, never on the host by the daemon.
    @Test func symlinksResolveInsideTheAppsView() async throws {
        let portal = try await DocumentDaemon()
        try portal.makeFile("secret.txt", contents: "SECRET")
        let id = try await Self.project(portal, permissions: ["read"])
        let project = portal.filesDirectory + "/project"
        for (name, target) in [("absolute", portal.filesDirectory + "/secret.txt"), ("relative", "../secret.txt"),
                               ("up", "../.."), ("passwd", "/etc/passwd"), ("inside", "readme.txt")] {
            #expect(symlink(target, project + "/" + name) == 0)
            #expect(lchown(project + "/" + name, Nobody.uid, Nobody.uid) == 0)
        }

        // From the host (nobody), through the app's view: relative targets
        // stay in the view, so `../secret.txt` beside the exported
        // directory does not exist there.
        let host = try await portal.shell("""
            P="$DOC/by-app/\(Self.app)/\(id)/project"
            stat -c %F "$P/relative" "$P/up" "$P/inside" || exit 11
            readlink "$P/relative" || exit 12
            cat "$P/relative" && exit 13
            ls "$P/up/" || exit 14
            cat "$P/up/\(id)/project/readme.txt" || exit 15
            echo; cat "$P/inside"
            """)
        #expect(host.status == 0, "step \(host.status): \(host.stderr)")
        #expect(host.stdout == "symbolic link\nsymbolic link\nsymbolic link\n../secret.txt\n\(id)\nread me\nread me")

        // In a sandbox that has only the app's view, at /run/flatpak/doc:
        // no target leads back to the host.
        let sandboxed = try await TestSandbox.run("/bin/sh", ["-c", """
            P=/run/flatpak/doc/\(id)/project
            for link in absolute relative passwd; do cat "$P/$link" 2>/dev/null && exit 11; done
            readlink "$P/absolute" "$P/passwd" || exit 12
            cat "$P/up/\(id)/project/readme.txt"
            """], bus: portal.bus, info: .none, extraArguments: ["--bind", "\(portal.mountPoint)/by-app/\(Self.app)", "/run/flatpak/doc"])
        #expect(sandboxed.status == 0, "step \(sandboxed.status): \(sandboxed.stderr)")
        #expect(sandboxed.stdout == "\(portal.filesDirectory)/secret.txt\n/etc/passwd\nread me")
    }

    @Test func directoriesInsideCanBeEnteredAndAccessChecked() async throws {
        let portal = try await DocumentDaemon()
        let id = try await Self.project(portal)
        try portal.makeDirectory("project/deep")
        try portal.makeFile("project/deep/file.txt", contents: "deep")
        // chdir and access(2) reach the daemon as FUSE ACCESS requests.
        let result = try await portal.shell("""
            P="$DOC/by-app/\(Self.app)/\(id)/project"
            test -x "$P" || exit 10
            test -r "$P/deep/file.txt" || exit 11
            test -w "$P/deep/file.txt" || exit 12
            cd "$P/deep" || exit 13
            cat file.txt
            """)
        #expect(result.status == 0, "step \(result.status): \(result.stderr)")
        #expect(result.stdout == "deep")
    }

    @Test func hostPathAttributeInsideADirectoryDocument() async throws {
        let portal = try await DocumentDaemon()
        let id = try await Self.project(portal)
        try portal.makeDirectory("project/deep")
        try portal.makeFile("project/deep/file.txt")
        let result = try await portal.shell("""
            python3 -c 'import os, sys
            for p in sys.argv[1:]: print(os.getxattr(p, "user.document-portal.host-path").decode())' \
              "$DOC/\(id)/project" "$DOC/by-app/\(Self.app)/\(id)/project/deep/file.txt"
            """)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "\(portal.filesDirectory)/project\n\(portal.filesDirectory)/project/deep/file.txt\n")
    }
}
