import Foundation
@testable import Runtime
import Testing

/// The launcher's `mkdir -p` (FileSystem.ensureDirectory), run at every launch
/// for the app's data directories.
@Suite("FileSystem.ensureDirectory")
struct EnsureDirectoryTests {
    private func mode(_ path: String) -> mode_t {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode & 0o7777 : 0
    }

    @Test func createsMissingParentsWithTheMode() throws {
        let scratch = try Scratch()
        let deep = scratch.sub("a/b/c")
        try FileSystem.ensureDirectory(deep, mode: 0o700)
        #expect(FileSystem.isDirectory(deep))
        #expect(mode(scratch.sub("a")) == 0o700 & ~currentUmask())
        #expect(mode(deep) == 0o700 & ~currentUmask())
    }

    @Test func leavesExistingDirectoriesAsTheyAre() throws {
        let scratch = try Scratch()
        let existing = scratch.sub("data")
        #expect(mkdir(existing, 0o755) == 0)
        #expect(chmod(existing, 0o750) == 0)
        try FileSystem.ensureDirectory(existing, mode: 0o700)
        #expect(mode(existing) == 0o750)
    }

    @Test func followsALinkToADirectory() throws {
        let scratch = try Scratch()
        #expect(mkdir(scratch.sub("elsewhere"), 0o700) == 0)
        #expect(symlink(scratch.sub("elsewhere"), scratch.sub("data")) == 0)
        try FileSystem.ensureDirectory(scratch.sub("data"), mode: 0o700)
        try FileSystem.ensureDirectory(scratch.sub("data/cache"), mode: 0o700)
        #expect(FileSystem.isDirectory(scratch.sub("elsewhere/cache")))
    }

    @Test func refusesAFileInTheWay() throws {
        let scratch = try Scratch()
        #expect(FileManager.default.createFile(atPath: scratch.sub("file"), contents: Data()))
        #expect(throws: SandboxError.self) { try FileSystem.ensureDirectory(scratch.sub("file"), mode: 0o700) }
        #expect(throws: SandboxError.self) { try FileSystem.ensureDirectory(scratch.sub("file/below"), mode: 0o700) }
    }

    @Test func insideABaseLinksAreNotFollowed() throws {
        let scratch = try Scratch()
        #expect(mkdir(scratch.sub("app"), 0o700) == 0)
        #expect(mkdir(scratch.sub("elsewhere"), 0o700) == 0)
        #expect(symlink(scratch.sub("elsewhere"), scratch.sub("app/cache")) == 0)
        #expect(throws: SandboxError.self) { try FileSystem.ensureDirectory("cache/tmp", inside: scratch.sub("app"), mode: 0o700) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.sub("elsewhere")).isEmpty)
        try FileSystem.ensureDirectory("data/deep/er", inside: scratch.sub("app"), mode: 0o700)
        #expect(FileSystem.isDirectory(scratch.sub("app/data/deep/er")))
        #expect(throws: SandboxError.self) { try FileSystem.ensureDirectory("data/../../x", inside: scratch.sub("app"), mode: 0o700) }
    }

    /// Read, not set and restored: other tests create files meanwhile.
    private func currentUmask() -> mode_t {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("Umask:") } ?? "Umask: 0022"
        return mode_t(line.split(separator: "\t").last.flatMap { UInt32($0.trimmingCharacters(in: .whitespaces), radix: 8) } ?? 0o022)
    }
}
