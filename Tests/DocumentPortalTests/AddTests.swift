import CLinux
import Foundation
import PortalCommon
import Testing
import TestSupport

/// GetMountPoint and the Add family, from a host app.
@Suite("Documents: adding files")
struct AddTests {
    @Test func mountPointIsTheRuntimeDirectorysDocNulTerminated() async throws {
        let portal = try await DocumentDaemon()
        let reply = try await portal.documents("GetMountPoint")
        #expect(reply == [.bytes(Array("\(portal.runtimeDirectory)/doc".utf8) + [0])])
        #expect(portal.isMounted)
    }

    @Test func reuseExistingReturnsTheSameIDAndOtherwiseANewOne() async throws {
        let portal = try await DocumentDaemon()
        let path = try portal.makeFile("report.txt", contents: "draft")
        let first = try await portal.add(portal.open(path, burrow_o_path), reuse: true)
        let again = try await portal.add(portal.open(path, O_RDONLY), reuse: true)
        let fresh = try await portal.add(portal.open(path, O_RDONLY), reuse: false)
        #expect(!first.isEmpty)
        #expect(again == first)
        #expect(fresh != first)
        #expect(try await portal.list().keys.sorted() == [first, fresh].sorted())
    }

    @Test func aSymlinkDescriptorIsRefused() async throws {
        let portal = try await DocumentDaemon()
        let target = try portal.makeFile("target.txt", contents: "real")
        let link = portal.filesDirectory + "/link.txt"
        #expect(symlink(target, link) == 0)
        let fd = try portal.open(link, burrow_o_path | O_NOFOLLOW)
        let error = await #expect(throws: PortalError.self) { try await portal.add(fd) }
        #expect(error?.name == ErrorName.invalidArgument)
        #expect(try await portal.list().isEmpty)
    }

    @Test func aDirectoryNeedsTheExportDirectoryFlag() async throws {
        let portal = try await DocumentDaemon()
        let directory = try portal.makeDirectory("folder")
        let plain = await #expect(throws: PortalError.self) { try await portal.add(portal.open(directory, burrow_o_path)) }
        #expect(plain?.name == ErrorName.invalidArgument)
        let full = await #expect(throws: PortalError.self) {
            try await portal.addFull([portal.open(directory, burrow_o_path)], flags: 0)
        }
        #expect(full?.name == ErrorName.invalidArgument)
        #expect(try await portal.list().isEmpty)
    }

    @Test func addNamedFileCreatedThroughTheMountAppearsOnTheHost() async throws {
        let portal = try await DocumentDaemon()
        let id = try await portal.addNamed(parent: portal.open(portal.filesDirectory, burrow_o_path | O_DIRECTORY), "later.txt")
        #expect(try await portal.info(id).path == portal.filesDirectory + "/later.txt")
        #expect(!FileManager.default.fileExists(atPath: portal.filesDirectory + "/later.txt"))

        let write = try await portal.shell("printf 'written through the store' > \"$DOC/\(id)/later.txt\"")
        #expect(write.status == 0, "\(write.stderr)")
        let host = try? String(contentsOfFile: portal.filesDirectory + "/later.txt", encoding: .utf8)
        #expect(host == "written through the store")
    }

    @Test(arguments: ["..", "a/b", "", "."])
    func addNamedRefusesNamesThatAreNotOneComponent(name: String) async throws {
        let portal = try await DocumentDaemon()
        let parent = try portal.open(portal.filesDirectory, burrow_o_path | O_DIRECTORY)
        let error = await #expect(throws: PortalError.self) { try await portal.addNamed(parent: parent, name) }
        #expect(error?.name == ErrorName.invalidArgument)
        #expect(try await portal.list().isEmpty)
    }

    @Test func addFullAddsEveryDescriptorForTheApp() async throws {
        let portal = try await DocumentDaemon()
        let paths = try ["one.txt", "two.txt", "three.txt"].map { try portal.makeFile($0, contents: $0) }
        let fds = try paths.map { try portal.open($0, O_RDWR) }
        let (ids, extra) = try await portal.addFull(fds, flags: 0, app: "org.burrow.Viewer", permissions: ["read", "write"])
        #expect(ids.count == 3)
        #expect(Set(ids).count == 3)
        #expect(extra["mountpoint"]?.value == .bytes(Array(portal.mountPoint.utf8) + [0]))
        for (id, path) in zip(ids, paths) {
            let info = try await portal.info(id)
            #expect(info.path == path)
            #expect(info.apps["org.burrow.Viewer"]?.sorted() == ["read", "write"])
        }
        #expect(try await portal.list("org.burrow.Viewer").keys.sorted() == ids.sorted())
    }

    @Test func addFullRefusesUnknownFlags() async throws {
        let portal = try await DocumentDaemon()
        let path = try portal.makeFile("flags.txt")
        let error = await #expect(throws: PortalError.self) {
            try await portal.addFull([portal.open(path, O_RDONLY)], flags: 16)
        }
        #expect(error?.name == ErrorName.invalidArgument)
        #expect(try await portal.list().isEmpty)
    }

    @Test func addNamedFullGrantsTheAppAndReportsTheMountPoint() async throws {
        let portal = try await DocumentDaemon()
        let parent = try portal.open(portal.filesDirectory, burrow_o_path | O_DIRECTORY)
        let (id, extra) = try await portal.addNamedFull(parent: parent, "notes.txt", flags: 2, app: "org.burrow.Editor",
                                                        permissions: ["read", "write"])
        #expect(extra["mountpoint"]?.value == .bytes(Array(portal.mountPoint.utf8) + [0]))
        let info = try await portal.info(id)
        #expect(info.path == portal.filesDirectory + "/notes.txt")
        #expect(info.apps == ["org.burrow.Editor": ["read", "write"]])

        // The app may create the file through its own view.
        let write = try await portal.shell("printf saved > \"$DOC/by-app/org.burrow.Editor/\(id)/notes.txt\"")
        #expect(write.status == 0, "\(write.stderr)")
        #expect((try? String(contentsOfFile: portal.filesDirectory + "/notes.txt", encoding: .utf8)) == "saved")
    }

    @Test func addNamedFullRefusesTheExportDirectoryFlag() async throws {
        let portal = try await DocumentDaemon()
        let parent = try portal.open(portal.filesDirectory, burrow_o_path | O_DIRECTORY)
        let error = await #expect(throws: PortalError.self) {
            try await portal.addNamedFull(parent: parent, "dir", flags: 8)
        }
        #expect(error?.name == ErrorName.invalidArgument)
    }
}
