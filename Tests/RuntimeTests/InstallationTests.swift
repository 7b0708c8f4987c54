import Foundation
import Installer
import PortalCommon
import Runtime
import TestSupport
import Testing

@Suite struct InstallationTests {
    @Test func locationsFollowTheEnvironment() {
        #expect(Installation.user(environment: ["BURROW_USER_DIR": "/x/user", "HOME": "/home/a"]).path == "/x/user")
        #expect(Installation.user(environment: ["HOME": "/home/a"]).path == "/home/a/.local/share/burrow")
        #expect(Installation.user(environment: ["HOME": "/home/a", "XDG_DATA_HOME": "/data"]).path == "/data/burrow")
        #expect(Installation.system(environment: [:]).path == "/var/lib/burrow")
        #expect(Installation.system(environment: ["BURROW_SYSTEM_DIR": "/x/sys"]).path == "/x/sys")
        #expect(Installation.system(environment: [:]).scope == .system)
    }

    @Test func installsUpdatesAndUninstalls() async throws {
        let scratch = try Scratch()
        let (installation, published, first) = try await Fixtures.installationWithOrigin(scratch)
        #expect(try installation.remotes().map(\.name) == ["origin"])
        #expect(try installation.remotes().first?.gpgVerify == false)

        let runtime = try await installation.install(Fixtures.runtimeRef, from: "origin")
        let app = try await installation.install(Fixtures.appRef, from: "origin")

        // Flatpak's layout: KIND/ID/ARCH/BRANCH/COMMIT and an `active` link.
        let appBase = installation.directory(for: Fixtures.appRef)
        #expect(app.path == appBase + "/" + first.app.commit)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: appBase + "/active") == first.app.commit)
        #expect(app.commit == first.app.commit)
        #expect(app.origin == "origin")
        #expect(app.metadata.command == "hello")
        #expect(app.metadata.runtime == Fixtures.runtimeRef)
        #expect(app.metadata.context.shared.contains(.network))
        #expect((app.installedSize ?? 0) > 0)
        #expect(try String(contentsOfFile: app.filesPath + "/bin/hello", encoding: .utf8) == "#!/bin/sh\necho hello\n")
        #expect(Files.isRegularFile(app.filesPath + "/.ref"))
        // Hard-linked from the repository: the object and the file are one inode.
        #expect(Files.info(runtime.filesPath + "/bin/busybox").st_nlink >= 2)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: runtime.filesPath + "/bin/sh") == "busybox")
        // The runtime's etc is ready for bind mounts.
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: runtime.filesPath + "/etc/resolv.conf")
            == "/run/host/monitor/resolv.conf")
        #expect(Files.isRegularFile(runtime.filesPath + "/etc/machine-id"))

        let installed = try installation.installedRefs()
        #expect(installed.map(\.ref) == [Fixtures.appRef, Fixtures.runtimeRef])
        #expect(installed.allSatisfy { $0.origin == "origin" })
        #expect(try installation.installedRefs(named: Fixtures.appRef.id) == [Fixtures.appRef])
        #expect(try installation.installedRefs(named: Fixtures.runtimeRef.id) == [Fixtures.runtimeRef])
        #expect(try installation.installedRefs(named: AppID("org.burrow.Missing")).isEmpty)
        #expect(try installation.deployment(for: Fixtures.appRef) == app)

        let again = await #expect(throws: InstallerError.self) {
            try await installation.install(Fixtures.appRef, from: "origin")
        }
        #expect(again?.kind == .alreadyInstalled)

        // Nothing new: update leaves everything as it was.
        #expect(try await installation.update(Fixtures.appRef) == .upToDate(app))

        // A new export: update deploys it and retires the old deployment.
        let second = try Fixtures.publishRuntimeAndApp(repository: published, scratch: scratch, greeting: "again")
        let result = try await installation.update(Fixtures.appRef)
        #expect(result == .updated(from: first.app.commit, to: result.deployment))
        #expect(result.deployment.commit == second.app.commit)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: appBase + "/active") == second.app.commit)
        #expect(!Files.exists(app.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.sub("user/.removed")).isEmpty)

        try await installation.uninstall(Fixtures.appRef)
        #expect(try installation.deployment(for: Fixtures.appRef) == nil)
        #expect(!Files.exists(scratch.sub("user/app/\(Fixtures.appID)")))
        #expect(try installation.installedRefs().map(\.ref) == [Fixtures.runtimeRef])
        #expect(try installation.installedRefs(named: Fixtures.appRef.id).isEmpty)
        let repository = try OSTreeRepository(openingAt: installation.repositoryPath)
        #expect(try repository.refs().keys.sorted() == [
            "deploy/\(Fixtures.runtimeRef)", "origin:\(Fixtures.runtimeRef)",
        ])
        let notInstalled = await #expect(throws: InstallerError.self) { try await installation.uninstall(Fixtures.appRef) }
        #expect(notInstalled?.kind == .notInstalled)
        #expect(notInstalled.map(PortalError.init)?.name == "org.freedesktop.portal.Error.NotFound")

        // The remote is in use by the runtime until that goes too.
        let inUse = await #expect(throws: InstallerError.self) { try await installation.removeRemote("origin") }
        #expect(inUse?.kind == .remoteInUse)
        try await installation.uninstall(Fixtures.runtimeRef)
        try await installation.removeRemote("origin")
        #expect(try installation.remotes().isEmpty)
        #expect(try OSTreeRepository(openingAt: installation.repositoryPath).refs().isEmpty)
    }

    @Test func installsOverHTTP() async throws {
        let scratch = try Scratch()
        let published = scratch.sub("published")
        let exports = try Fixtures.publishRuntimeAndApp(repository: published, scratch: scratch)
        let server = try await StaticHTTPServer.start(serving: published)
        let installation = Installation(scope: .system, path: scratch.sub("system"))
        try await installation.addRemote("web", url: server.url, options: .unverified)
        let log = ProgressLog()
        let runtime = try await installation.install(Fixtures.runtimeRef, from: "web") { log.record($0) }
        #expect(runtime.commit == exports.runtime.commit)
        #expect((log.all.last?.bytesTransferred ?? 0) > 500_000)
        // System installations must be readable by every user.
        #expect(Files.info(runtime.path).st_mode & 0o777 == 0o755)
        #expect(Files.info(scratch.sub("system/runtime")).st_mode & 0o777 == 0o755)
    }

    @Test func unknownRemoteAndNotInstalled() async throws {
        let scratch = try Scratch()
        let installation = Installation(scope: .user, path: scratch.sub("user"))
        let unknown = await #expect(throws: InstallerError.self) {
            try await installation.install(Fixtures.appRef, from: "nowhere")
        }
        #expect(unknown?.kind == .unknownRemote)
        #expect(try installation.installedRefs().isEmpty)
        #expect(try installation.deployment(for: Fixtures.appRef) == nil)
        let update = await #expect(throws: InstallerError.self) { try await installation.update(Fixtures.appRef) }
        #expect(update?.kind == .notInstalled)
    }

    @Test func concurrentInstallsAreSerialized() async throws {
        let scratch = try Scratch()
        let (installation, _, _) = try await Fixtures.installationWithOrigin(scratch)
        // Two installs of each ref at once: each ref ends up installed
        // exactly once and the losers learn it was already installed.
        let outcomes = await withTaskGroup(of: Result<Deployment, any Error>.self) { group in
            for ref in [Fixtures.appRef, Fixtures.runtimeRef, Fixtures.appRef, Fixtures.runtimeRef] {
                group.addTask {
                    do { return .success(try await installation.install(ref, from: "origin")) } catch { return .failure(error) }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { (try? $0.get()) != nil }.count == 2)
        for case .failure(let error) in outcomes {
            #expect((error as? InstallerError)?.kind == .alreadyInstalled)
        }
        #expect(try installation.installedRefs().count == 2)
    }

    @Test func keepsARetiredDeploymentWhileAnInstanceHoldsIt() async throws {
        let scratch = try Scratch()
        let (installation, published, _) = try await Fixtures.installationWithOrigin(scratch)
        let old = try await installation.install(Fixtures.appRef, from: "origin")

        // A running instance: bwrap's --lock-file takes a POSIX read lock
        // on files/.ref; a python child does the same here.
        let holder = try ChildProcess(
            "/usr/bin/python3",
            ["-c", "import fcntl,sys; f=open(sys.argv[1]); fcntl.lockf(f, fcntl.LOCK_SH); print('locked', flush=True); sys.stdin.read()",
             old.filesPath + "/.ref"],
            captureOutput: true, pipeInput: true)
        let line = try await BlockingWork.run { holder.standardOutput!.readLine() }
        #expect(line == "locked")

        try Fixtures.publishRuntimeAndApp(repository: published, scratch: scratch, greeting: "v2")
        _ = try await installation.update(Fixtures.appRef)
        #expect(!Files.exists(old.path))
        let removed = try FileManager.default.contentsOfDirectory(atPath: scratch.sub("user/.removed"))
        #expect(removed.count == 1)
        #expect(Files.isRegularFile(scratch.sub("user/.removed/\(removed[0])/files/bin/hello")))

        try holder.standardInput!.close()
        try await BlockingWork.run { holder.stop() }
        try installation.sweepRemovedDeployments()
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.sub("user/.removed")).isEmpty)
    }
}
