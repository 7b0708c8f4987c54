import CLinux
import Foundation
import PortalCommon
import Testing
import TestSupport

/// What editors and file tools do inside a file document's directory.
@Suite("Document store: files through the mount")
struct FileSystemTests {
    static let editor = "org.burrow.Editor"

    @Test func atomicSaveReplacesTheHostFileAndOpenFilesKeepTheOldContents() async throws {
        let portal = try await DocumentDaemon()
        let path = try portal.makeFile("essay.txt", contents: "old text")
        let id = try await portal.add(portal.open(path, O_RDWR))
        try await portal.grant(id, to: Self.editor, ["read", "write"])
        // As an editor saves: write a temporary beside the document, rename
        // it over the document; a reader that opened it before keeps reading
        // the old file.
        let save = try await portal.shell("""
            cd "$DOC/by-app/\(Self.editor)/\(id)" || exit 10
            exec 3< essay.txt || exit 11
            printf 'new text' > .essay.txt.swp || exit 12
            ls -a | grep -q '^.essay.txt.swp$' || exit 13
            mv .essay.txt.swp essay.txt || exit 14
            cat essay.txt || exit 15
            echo
            cat <&3 || exit 16
            echo
            ls -A
            """)
        #expect(save.status == 0, "step \(save.status): \(save.stderr)")
        #expect(save.stdout == "new text\nold text\nessay.txt\n")
        #expect((try? String(contentsOfFile: path, encoding: .utf8)) == "new text")
        // The temporary was renamed, not copied: nothing hidden is left.
        #expect(try FileManager.default.contentsOfDirectory(atPath: portal.filesDirectory) == ["essay.txt"])
        // The host's view shows the new file too.
        let host = try await portal.shell("cat \"$DOC/\(id)/essay.txt\"")
        #expect(host.stdout == "new text", "\(host.stderr)")
    }

    @Test func temporariesAreHiddenOnTheHostAndVisibleOnlyInTheirView() async throws {
        let portal = try await DocumentDaemon()
        let path = try portal.makeFile("draft.txt", contents: "draft")
        let id = try await portal.add(portal.open(path, O_RDWR))
        try await portal.grant(id, to: Self.editor, ["read", "write"])
        try await portal.grant(id, to: "org.burrow.Other", ["read", "write"])
        let made = try await portal.shell("printf temp > \"$DOC/by-app/\(Self.editor)/\(id)/scratch\" && ls -A \"$DOC/by-app/org.burrow.Other/\(id)\"")
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout == "draft.txt\n", "another app's view shows the temporary")
        let hostNames = try FileManager.default.contentsOfDirectory(atPath: portal.filesDirectory).sorted()
        #expect(hostNames.count == 2)
        #expect(hostNames.contains("draft.txt"))
        #expect(hostNames.contains { $0.hasPrefix(".xdp-scratch-") }, "\(hostNames)")
    }

    @Test func unlinkedFileStaysReadableThroughAnOpenDescriptor() async throws {
        let portal = try await DocumentDaemon()
        let path = try portal.makeFile("temp.txt", contents: "still here")
        let id = try await portal.add(portal.open(path, O_RDWR))
        let result = try await portal.shell("""
            cd "$DOC/\(id)" || exit 10
            exec 3< temp.txt || exit 11
            rm temp.txt || exit 12
            test -e temp.txt && exit 13
            cat <&3 || exit 14
            """)
        #expect(result.status == 0, "step \(result.status): \(result.stderr)")
        #expect(result.stdout == "still here")
        #expect(!FileManager.default.fileExists(atPath: path))
        // The document outlives its file: AddNamed-style, it can be made again.
        #expect(try await portal.info(id).path == path)
    }

    /// read(2) and fstat(2) on a descriptor whose name was replaced or
    /// removed, apart: `cat` and `cp` fstat their input before reading.
    @Test(arguments: ["replace", "unlink"])
    func anOpenDescriptorStillReadsAndStatsAfterItsNameIsGone(change: String) async throws {
        let portal = try await DocumentDaemon()
        let path = try portal.makeFile("held.txt", contents: "old text")
        let id = try await portal.add(portal.open(path, O_RDWR))
        let result = try await portal.shell("""
            python3 -c 'import os, sys
            name = sys.argv[1]
            fd = os.open(name, os.O_RDONLY)
            if sys.argv[2] == "replace":
                with open(name + ".new", "w") as f: f.write("new text")
                os.rename(name + ".new", name)
            else:
                os.unlink(name)
            for what, call in (("read", lambda: os.pread(fd, 100, 0).decode()), ("size", lambda: os.fstat(fd).st_size)):
                try: print(what, call())
                except OSError as e: print(what, os.strerror(e.errno))' "$DOC/\(id)/held.txt" \(change)
            """)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "read old text\nsize 8\n")
    }

    @Test func hostPathAttributeNamesTheHostFile() async throws {
        let portal = try await DocumentDaemon()
        let path = try portal.makeFile("tagged.txt")
        let id = try await portal.add(portal.open(path, O_RDONLY))
        try await portal.grant(id, to: Self.editor, ["read"])
        let result = try await portal.shell("""
            python3 -c 'import os, sys
            for p in sys.argv[1:]: print(os.getxattr(p, "user.document-portal.host-path").decode())
            print(" ".join(os.listxattr(sys.argv[1])))' "$DOC/\(id)/tagged.txt" "$DOC/by-app/\(Self.editor)/\(id)/tagged.txt"
            """)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "\(path)\n\(path)\nuser.document-portal.host-path\n")
    }

    @Test func hostPathAttributeIsReadOnly() async throws {
        let portal = try await DocumentDaemon()
        let id = try await portal.addFile("fixed.txt")
        let result = try await portal.shell("""
            python3 -c 'import os, sys
            try:
                os.setxattr(sys.argv[1], "user.document-portal.host-path", b"/etc/passwd"); print("set")
            except OSError as e: print(e.errno)
            print(os.getxattr(sys.argv[1], "user.document-portal.host-path").decode())' "$DOC/\(id)/fixed.txt"
            """)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "\(ENOTSUP)\n\(portal.filesDirectory)/fixed.txt\n")
    }

    @Test func fileSystemStatisticsWork() async throws {
        let portal = try await DocumentDaemon()
        let id = try await portal.addFile("stats.txt")
        let result = try await portal.shell("""
            stat -f -c %T "$DOC" || exit 10
            stat -f -c %T "$DOC/\(id)/stats.txt" || exit 11
            stat -f -c %T "$DOC/by-app/org.burrow.Viewer" || exit 12
            df -P "$DOC" | tail -n 1 || exit 13
            """)
        #expect(result.status == 0, "step \(result.status): \(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 4, "\(result.stdout)")
        #expect(lines.prefix(3).allSatisfy { $0.hasPrefix("fuse") }, "\(result.stdout)")
        #expect(lines.last?.hasSuffix(portal.mountPoint) == true, "\(result.stdout)")
    }
}
