import Foundation
import Installer
import PortalCommon
import Runtime

/// Build directories in Flatpak's layout: a tiny runtime made of
/// busybox-static and an app whose command is a shell script.
enum Fixtures {
    static let arch = FlatpakArch.current
    static let runtimeID = "org.example.Platform"
    static let appID = "org.example.Hello"
    static var runtimeRef: FlatpakRef { try! FlatpakRef(parsing: "runtime/\(runtimeID)/\(arch)/stable") }
    static var appRef: FlatpakRef { try! FlatpakRef(parsing: "app/\(appID)/\(arch)/stable") }

    /// `files/bin/busybox` plus `sh`, `ls`, `echo` links to it.
    @discardableResult
    static func makeRuntimeBuild(at directory: String, id: String = runtimeID) throws -> String {
        let bin = directory + "/files/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: bin + "/busybox")
        for name in ["sh", "ls", "echo"] {
            try FileManager.default.createSymbolicLink(atPath: bin + "/" + name, withDestinationPath: "busybox")
        }
        try FileManager.default.createDirectory(atPath: directory + "/files/etc", withIntermediateDirectories: true)
        try Files.write("root:x:0:0::/:/bin/sh\n", to: directory + "/files/etc/passwd")
        try Files.write("[Runtime]\nname=\(id)\nruntime=\(id)/\(arch)/stable\n", to: directory + "/metadata")
        return directory
    }

    /// An app whose `hello` prints `greeting`.
    @discardableResult
    static func makeAppBuild(at directory: String, id: String = appID, greeting: String = "hello") throws -> String {
        try Files.write("#!/bin/sh\necho \(greeting)\n", to: directory + "/files/bin/hello", mode: 0o755)
        try FileManager.default.createDirectory(atPath: directory + "/export", withIntermediateDirectories: true)
        try Files.write(
            "[Application]\nname=\(id)\nruntime=\(runtimeID)/\(arch)/stable\ncommand=hello\n\n[Context]\nshared=network;\n",
            to: directory + "/metadata")
        return directory
    }

    /// A publishing repository holding the runtime and the app.
    @discardableResult
    /// The runtime and app published into `scratch/published`, and a user
    /// installation (in `scratch/user`) with that repository as remote
    /// "origin": the start of most installation tests.
    static func installationWithOrigin(_ scratch: Scratch) async throws
        -> (installation: Installation, published: String, exports: (runtime: Publisher.Export, app: Publisher.Export))
    {
        let published = scratch.sub("published")
        let exports = try publishRuntimeAndApp(repository: published, scratch: scratch)
        let installation = Installation(scope: .user, path: scratch.sub("user"))
        try await installation.addRemote("origin", url: "file://" + published, options: .unverified)
        return (installation, published, exports)
    }

    static func publishRuntimeAndApp(repository: String, scratch: Scratch, greeting: String = "hello") throws
        -> (runtime: Publisher.Export, app: Publisher.Export)
    {
        let runtimeBuild = scratch.sub("build-runtime-\(UUID().uuidString)")
        let appBuild = scratch.sub("build-app-\(UUID().uuidString)")
        try makeRuntimeBuild(at: runtimeBuild)
        try makeAppBuild(at: appBuild, greeting: greeting)
        let runtime = try Publisher.buildExport(
            repository: repository, buildDirectory: runtimeBuild, branch: "stable", runtime: true)
        let app = try Publisher.buildExport(repository: repository, buildDirectory: appBuild, branch: "stable")
        return (runtime, app)
    }
}
