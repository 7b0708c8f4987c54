import Foundation

/// Executables SwiftPM built next to the test bundle (`swift build
/// --build-tests` builds every product), so integration tests run the real
/// daemons.
public enum BuiltProducts {
    public static var directory: URL {
        // /proc/self/exe is the test runner, which lives in the build directory.
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent()
    }

    public static func path(_ name: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestFailure("\(name) is not built at \(path); run `swift build --build-tests` first")
        }
        return path
    }

    /// The source checkout (the directory holding Package.swift), for
    /// tests that use files shipped with burrow (service files, examples).
    public static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            url.deleteLastPathComponent()
        }
        return url.path
    }()
}
