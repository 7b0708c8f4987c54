import CLinux
import Foundation
import PortalCommon
import Testing
import TestSupport

/// `burrow info --file-access`, and the document portal's as-needed-by-app
/// flag that asks it (as upstream asks `flatpak info --file-access`).
@Suite("File access of installed apps")
struct FileAccessTests {
    static let app = "org.example.Hello"

    /// The demo installed for nobody, with a read-only grant of one directory.
    static func prepare() async throws -> (InstallCommandTests.Scratch, [String: String], shared: String) {
        let (scratch, environment) = try await RunCommandTests.prepare()
        let shared = scratch.root.path + "/shared"
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        for name in ["granted.txt", "also.txt"] { try "text".write(toFile: "\(shared)/\(name)", atomically: false, encoding: .utf8) }
        try "private".write(toFile: scratch.root.path + "/outside.txt", atomically: false, encoding: .utf8)
        let override = try await scratch.run("override", "--user", "--filesystem=\(shared):ro", Self.app)
        #expect(override.status == 0, "\(override)")
        return (scratch, environment, shared)
    }

    @Test func infoReportsWhatTheSandboxShows() async throws {
        let (scratch, environment, shared) = try await Self.prepare()
        defer { withExtendedLifetime(scratch) {} }
        let appData = environment["HOME"]! + "/.var/app/\(Self.app)"
        try FileManager.default.createDirectory(atPath: appData + "/data", withIntermediateDirectories: true)
        for (path, expected) in [("\(shared)/granted.txt", "read-only"), (scratch.root.path + "/outside.txt", "hidden"),
                                 (appData + "/data", "read-write"), ("/usr/bin/env", "hidden"),
                                 ("\(shared)/../shared/granted.txt", "read-only")] {
            let answer = try await RunCommandTests.runAsNobody(["info", "--file-access=\(path)", Self.app], environment: environment)
            #expect(answer.status == 0, "\(answer)")
            #expect(answer.stdout == expected + "\n", "\(path)")
        }
        let missing = try await RunCommandTests.runAsNobody(["info", "--file-access=/no/such/file", Self.app], environment: environment)
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("existing absolute path"))
    }

    @Test func asNeededByAppExportsOnlyWhatTheAppCannotReach() async throws {
        let (scratch, environment, shared) = try await Self.prepare()
        defer { withExtendedLifetime(scratch) {} }
        let portal = try await DocumentDaemon(environment: ["BURROW_USER_DIR": environment["BURROW_USER_DIR"]!,
                                                            "BURROW": try BuiltProducts.path("burrow")])
        func addFull(_ path: String, _ permissions: [String]) async throws -> String {
            let reply = try await portal.documents("AddFull", [
                .array(element: .unixFD, [.unixFD(try portal.open(path, O_RDONLY))]), .uint32(1 | 4),
                .string(Self.app), permissions.dbusValue,
            ])
            return try [String](dbusValue: reply[0]).first ?? "?"
        }
        #expect(try await addFull("\(shared)/granted.txt", ["read"]) == "", "the app reads it already: no document")
        #expect(try await addFull(scratch.root.path + "/outside.txt", ["read"]).count == 8, "hidden from the app: a document")
        // Write is asked for but the grant is read-only: a document, and its
        // permission needs a writable descriptor, so the call is refused.
        await #expect(throws: PortalError.self) { try await addFull("\(shared)/also.txt", ["read", "write"]) }
        let listed = try await portal.documents("List", [.string(Self.app)])
        guard case .dictionary(_, _, let entries)? = listed.first else { throw TestFailure("List answered \(listed)") }
        #expect(entries.count == 1, "only the hidden file became a document")
    }
}
