import Glibc
import PortalCommon
import Runtime
import Testing

/// The plan as a value: given permissions and a described host, exactly
/// these steps, these options, this command line.
@Suite("Sandbox plan as data")
struct SandboxPlanTests {
    static let appID = try! AppID("org.burrow.Hello")
    static let home = "/home/alice"
    static let appData = "/home/alice/.var/app/org.burrow.Hello"

    static func input(_ context: PermissionContext = PermissionContext(), arguments: [String] = []) throws -> SandboxPlan.Input {
        let runtime = try FlatpakRef(parsing: "runtime/org.burrow.Platform/x86_64/1")
        let info = try FlatpakInfo(
            appID: appID, runtime: runtime,
            instance: .init(instanceID: "42", instancePath: appData, arch: "x86_64"), context: context)
        return SandboxPlan.Input(
            appID: appID, appFiles: "/deploy/app/files", runtimeFiles: "/deploy/runtime/files",
            runtimeLayout: RuntimeLayout(
                usrMergedDirectories: ["bin", "lib", "lib64"],
                etcEntries: [.file("passwd"), .symlink("mtab", target: "../proc/self/mounts"), .file("os-release")]),
            info: info, context: context,
            user: .init(uid: 1000, gid: 1000, name: "alice", realName: "Alice: Liddell", groupName: "alice",
                        home: home, runtimeDirectory: "/run/user/1000"),
            command: "hello", arguments: arguments,
            environment: ["LANG": "C.UTF-8", "LD_PRELOAD": "/evil.so", "XDG_DATA_HOME": "/home/alice/.local/share",
                          "DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/user/1000/bus"])
    }

    static var host: HostPathSnapshot {
        var paths: Set<String> = ["/etc/machine-id", "/etc/resolv.conf", "/usr/share/fonts", "/sys/devices"]
        paths.formUnion(["", "/data", "/config", "/cache", "/cache/tmp", "/.local/state"].map { appData + $0 })
        return HostPathSnapshot(existingPaths: paths, symbolicLinks: ["/etc/localtime": "/usr/share/zoneinfo/Europe/Paris"])
    }

    static func context(filesystems: [String] = [], _ change: (inout PermissionContext) -> Void = { _ in }) throws -> PermissionContext {
        let list = filesystems.isEmpty ? "" : "filesystems=\(filesystems.joined(separator: ";"));\n"
        let keyFile = try KeyFile(parsing: "[Context]\n" + list)
        var context = try PermissionContext(keyFile: keyFile)
        change(&context)
        return context
    }

    @Test func defaultSandboxStepByStep() throws {
        let plan = try SandboxPlan(try Self.input(), hostPaths: Self.host)
        let environment: [SetupStep] = [
            .setEnvironment("FLATPAK_ID", "org.burrow.Hello"), .setEnvironment("HOME", Self.home),
            .setEnvironment("HOST_XDG_DATA_HOME", "/home/alice/.local/share"), .setEnvironment("LANG", "C.UTF-8"),
            .setEnvironment("PATH", "/app/bin:/usr/bin"), .setEnvironment("SHELL", "/bin/sh"),
            .setEnvironment("XDG_CACHE_HOME", Self.appData + "/cache"),
            .setEnvironment("XDG_CONFIG_DIRS", "/app/etc/xdg:/etc/xdg"),
            .setEnvironment("XDG_CONFIG_HOME", Self.appData + "/config"),
            .setEnvironment("XDG_DATA_DIRS", "/app/share:/usr/share"),
            .setEnvironment("XDG_DATA_HOME", Self.appData + "/data"),
            .setEnvironment("XDG_RUNTIME_DIR", "/run/user/1000"),
            .setEnvironment("XDG_STATE_HOME", Self.appData + "/.local/state"),
        ]
        let expected: [SetupStep] = [
            .unshare([.user, .pid, .ipc, .network]), .disableUserNamespaces, .dieWithParent, .clearEnvironment,
        ] + environment + [
            .roBind(source: "/deploy/runtime/files", destination: "/usr"),
            .symlink(target: "usr/bin", path: "/bin"), .symlink(target: "usr/lib", path: "/lib"),
            .symlink(target: "usr/lib64", path: "/lib64"),
            .roBind(source: "/deploy/app/files", destination: "/app"),
            .proc("/proc"), .dev("/dev"),
            .tmpfs("/tmp"), .symlink(target: "../run", path: "/var/run"), .dir("/run/host"),
            .tmpfs("/run/user/1000", mode: 0o700),
            .roBind(source: "/sys/devices", destination: "/sys/devices"),
            .symlink(target: "../proc/self/mounts", path: "/etc/mtab"),
            .symlink(target: "/usr/etc/os-release", path: "/etc/os-release"),
            .file(slot: 11, path: "/etc/passwd", mode: 0o644), .file(slot: 12, path: "/etc/group", mode: 0o644),
            .file(slot: 13, path: "/etc/machine-id", mode: 0o644), .file(slot: 14, path: "/etc/resolv.conf", mode: 0o644),
            .symlink(target: "/usr/share/zoneinfo/Europe/Paris", path: "/etc/localtime"),
            .file(slot: 15, path: "/.flatpak-info"), .roBindData(slot: 16, path: "/.flatpak-info"),
            .symlink(target: "../../../.flatpak-info", path: "/run/user/1000/flatpak-info"),
            .roBind(source: "/usr/share/fonts", destination: "/run/host/fonts"),
            .file(slot: 17, path: "/run/host/font-dirs.xml", mode: 0o644),
            .symlink(target: Self.appData + "/cache", path: "/var/cache"),
            .symlink(target: Self.appData + "/data", path: "/var/data"),
            .symlink(target: Self.appData + "/config", path: "/var/config"),
            .symlink(target: Self.appData + "/cache/tmp", path: "/var/tmp"),
            .bind(source: Self.appData, destination: Self.appData),
            .seccomp(slot: 18),
            .chdir(Self.home),
        ]
        #expect(plan.steps == expected)
        #expect(plan.notes.isEmpty)
        #expect(plan.descriptors.map(\.slot) == [11, 12, 13, 14, 15, 16, 17, 18])
        #expect(plan.descriptors[2].content == .hostFile(path: "/etc/machine-id"))
        #expect(plan.descriptors[3].content == .hostFile(path: "/etc/resolv.conf"))
        #expect(plan.descriptors.last?.content == .seccomp(SeccompFilter()))
    }

    @Test func userDatabaseHasOnlyTheUser() throws {
        let plan = try SandboxPlan(try Self.input(), hostPaths: Self.host)
        #expect(plan.descriptors[0].content == .data(name: "passwd", bytes: Array(
            "alice:x:1000:1000:Alice  Liddell:/home/alice:/bin/sh\nnfsnobody:x:65534:65534:Unmapped user:/:/sbin/nologin\n".utf8)))
        #expect(plan.descriptors[1].content == .data(name: "group", bytes: Array("alice:x:1000:alice\nnfsnobody:x:65534:\n".utf8)))
        var input = try Self.input()
        input.user.name = "alice\nroot:x:0:0::/:/bin/sh"
        #expect(throws: SandboxError.self) { try SandboxPlan(input, hostPaths: Self.host) }
    }

    @Test func flatpakInfoIsTheInfoGiven() throws {
        let input = try Self.input()
        let plan = try SandboxPlan(input, hostPaths: Self.host)
        let bytes = Array(try input.info.serialized(fileName: "/.flatpak-info").utf8)
        #expect(plan.descriptors[4].content == .data(name: "flatpak-info", bytes: bytes))
        #expect(plan.descriptors[5].content == .data(name: "flatpak-info", bytes: bytes))
    }

    @Test func appArgumentsComeAfterTheOptionsEnd() throws {
        let plan = try SandboxPlan(try Self.input(arguments: ["--bind", "/", "/host", "--args", "0"]), hostPaths: Self.host)
        #expect(plan.commandLine(bwrap: "bwrap") == ["bwrap", "--args", "10", "--", "hello", "--bind", "/", "/host", "--args", "0"])
        // Options travel NUL-terminated on the arguments slot, never on argv.
        let data = plan.argsData()
        #expect(data.last == 0)
        #expect(data.split(separator: 0, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) }
            == plan.bwrapArguments())
        #expect(!plan.bwrapArguments().contains("/host"))
    }

    @Test func noNulReachesTheArguments() throws {
        var withNul = try Self.input()
        withNul.context.environment["EVIL"] = .set("x\0--bind\0/\0/host")
        #expect(throws: SandboxError.self) { try SandboxPlan(withNul, hostPaths: Self.host) }
        #expect(throws: SandboxError.self) { try SandboxPlan(try Self.input(arguments: ["a\0b"]), hostPaths: Self.host) }
    }

    @Test func sharedNamespacesAreNotUnshared() throws {
        let context = try Self.context { $0.shared = [.network, .ipc] }
        let plan = try SandboxPlan(try Self.input(context), hostPaths: Self.host)
        #expect(plan.steps.first == .unshare([.user, .pid]))
        #expect(plan.bwrapArguments().prefix(4) == ["--unshare-user", "--unshare-pid", "--disable-userns", "--die-with-parent"])
    }

    @Test func environmentDropsHostOnlyVariablesAndAppliesTheContext() throws {
        let context = try Self.context {
            $0.environment["LANG"] = .unset
            $0.environment["GTK_THEME"] = .set("Adwaita:dark")
        }
        let plan = try SandboxPlan(try Self.input(context), hostPaths: Self.host)
        let set = Dictionary(uniqueKeysWithValues: plan.steps.compactMap { step -> (String, String)? in
            if case .setEnvironment(let name, let value) = step { return (name, value) } else { return nil }
        })
        #expect(set["GTK_THEME"] == "Adwaita:dark")
        #expect(set["LANG"] == nil)
        #expect(set["LD_PRELOAD"] == nil)
        #expect(set["DBUS_SESSION_BUS_ADDRESS"] == nil)
        #expect(plan.steps.firstIndex(of: .clearEnvironment)! < plan.steps.firstIndex(of: .setEnvironment("PATH", "/app/bin:/usr/bin"))!)
    }

    @Test func homeGrantHidesOtherAppsData() throws {
        var host = Self.host
        host.existingPaths.insert(Self.home)
        let plan = try SandboxPlan(try Self.input(try Self.context(filesystems: ["home:ro"])), hostPaths: host)
        let tail = Array(plan.steps.suffix(5))
        #expect(tail == [
            .roBind(source: Self.home, destination: Self.home),
            .tmpfs(Self.home + "/.var/app"),
            .bind(source: Self.appData, destination: Self.appData),
            .seccomp(slot: 18), .chdir(Self.home),
        ])
    }

    @Test func grantsMapToBindsParentsFirst() throws {
        var host = Self.host
        host.existingPaths.formUnion(["/home/alice/Downloads", "/home/alice/Downloads/Music", "/opt/data",
                                      "/home/alice/Projects", "/run/user/1000/app/org.burrow.Hello"])
        host.userDirectories = [.download: "/home/alice/Downloads", .music: Self.home]
        let context = try Self.context(filesystems: [
            "xdg-download/Music", "xdg-download:ro", "/opt/data", "~/Projects:create", "~/.ssh", "/usr/lib",
            "xdg-music", "xdg-run/app/org.burrow.Hello", "/etc/passwd", "/.flatpak-info",
        ])
        let plan = try SandboxPlan(try Self.input(context), hostPaths: host)
        let binds = plan.steps.filter {
            if case .bind = $0 { return true }
            if case .roBind = $0 { return true }
            return false
        }.suffix(6)
        #expect(Array(binds) == [
            .bind(source: Self.appData, destination: Self.appData),
            .roBind(source: "/home/alice/Downloads", destination: "/home/alice/Downloads"),
            .bind(source: "/home/alice/Downloads/Music", destination: "/home/alice/Downloads/Music"),
            .bind(source: "/home/alice/Projects", destination: "/home/alice/Projects"),
            .bind(source: "/opt/data", destination: "/opt/data"),
            .bind(source: "/run/user/1000/app/org.burrow.Hello", destination: "/run/user/1000/app/org.burrow.Hello"),
        ])
        #expect(plan.notes.sorted() == [
            "not sharing /.flatpak-info: /.flatpak-info is reserved for the sandbox",
            "not sharing /etc/passwd: /etc is reserved for the sandbox",
            "not sharing /home/alice/.ssh (~/.ssh): it does not exist",
            "not sharing /usr/lib: /usr is reserved for the sandbox",
            "not sharing xdg-music: not configured on this host (or it is the home directory)",
        ])
        #expect(SandboxPlan.hostDirectories(for: try Self.input(context), hostPaths: host).contains("/home/alice/Projects"))
        // Nothing hides ~/.var/app: no grant shows home.
        #expect(!plan.steps.contains(.tmpfs(Self.home + "/.var/app")))
    }

    @Test func hostGrantsBringTheHostButNotItsOS() throws {
        var host = Self.host
        host.rootEntries = ["bin", "etc", "home", "lib", "media", "opt", "proc", "usr", "var"]
        host.existingPaths.formUnion(["/home", "/media", "/opt", "/usr", "/etc", "/lib64"])
        host.symbolicLinks["/bin"] = "usr/bin"
        host.symbolicLinks["/lib"] = "usr/lib"
        let plan = try SandboxPlan(try Self.input(try Self.context(filesystems: ["host"])), hostPaths: host)
        let exported = plan.steps.filter { step in
            switch step {
            case .bind(_, let destination), .symlink(_, let destination), .tmpfs(let destination, _):
                return destination.hasPrefix("/home") || destination.hasPrefix("/media") || destination.hasPrefix("/opt")
                    || destination.hasPrefix("/run/host/")
            default: return false
            }
        }
        #expect(exported == [
            .bind(source: "/home", destination: "/home"),
            .tmpfs(Self.home + "/.var/app"),
            .bind(source: Self.appData, destination: Self.appData),
            .bind(source: "/media", destination: "/media"),
            .bind(source: "/opt", destination: "/opt"),
            .symlink(target: "usr/bin", path: "/run/host/bin"),
            .bind(source: "/etc", destination: "/run/host/etc"),
            .symlink(target: "usr/lib", path: "/run/host/lib"),
            .bind(source: "/lib64", destination: "/run/host/lib64"),
            .bind(source: "/usr", destination: "/run/host/usr"),
        ])
        #expect(!plan.steps.contains(.bind(source: "/usr", destination: "/usr")))
    }

    @Test func persistentDirectoriesOnlyWithoutHome() throws {
        var host = Self.host
        host.existingPaths.formUnion([Self.appData + "/.mozilla", Self.home])
        let persistent = try Self.context { try! $0.addPersistent(".mozilla") }
        let plan = try SandboxPlan(try Self.input(persistent), hostPaths: host)
        #expect(plan.steps.contains(.bind(source: Self.appData + "/.mozilla", destination: Self.home + "/.mozilla")))
        #expect(SandboxPlan.hostDirectories(for: try Self.input(persistent), hostPaths: host).contains(Self.appData + "/.mozilla"))
        var withHome = persistent
        withHome = withHome.merging(try Self.context(filesystems: ["home"]))
        let homePlan = try SandboxPlan(try Self.input(withHome), hostPaths: host)
        #expect(!homePlan.steps.contains(.bind(source: Self.appData + "/.mozilla", destination: Self.home + "/.mozilla")))
    }

    @Test func devicesFollowTheGrants() throws {
        var host = Self.host
        host.existingPaths.formUnion(["/dev/dri", "/dev/kvm", "/dev/shm"])
        let dri = try SandboxPlan(try Self.input(try Self.context { $0.devices = [.dri, .kvm, .shm] }), hostPaths: host)
        #expect(dri.steps.contains(.dev("/dev")))
        #expect(dri.steps.contains(.devBind(source: "/dev/dri", destination: "/dev/dri")))
        #expect(dri.steps.contains(.devBind(source: "/dev/kvm", destination: "/dev/kvm")))
        #expect(dri.steps.contains(.bind(source: "/dev/shm", destination: "/dev/shm")))
        let all = try SandboxPlan(try Self.input(try Self.context { $0.devices = [.all] }), hostPaths: host)
        #expect(all.steps.contains(.devBind(source: "/dev", destination: "/dev")))
        #expect(!all.steps.contains(.dev("/dev")))
        let none = try SandboxPlan(try Self.input(), hostPaths: host)
        #expect(!none.steps.contains { if case .devBind = $0 { return true } else { return false } })
    }

    @Test func featuresChooseTheFilter() throws {
        let plan = try SandboxPlan(try Self.input(try Self.context { $0.features = [.devel, .multiarch] }), hostPaths: Self.host)
        #expect(plan.descriptors.last?.content == .seccomp(SeccompFilter(options: .init(devel: true, multiarch: true))))
    }

    @Test func documentPortalShowsOnlyThisApp() throws {
        var input = try Self.input()
        input.documentPortalMount = "/run/user/1000/doc"
        var host = Self.host
        host.existingPaths.insert("/run/user/1000/doc/by-app/org.burrow.Hello")
        let plan = try SandboxPlan(input, hostPaths: host)
        #expect(plan.steps.contains(.bind(source: "/run/user/1000/doc/by-app/org.burrow.Hello", destination: "/run/flatpak/doc")))
        #expect(plan.steps.contains(.symlink(target: "/run/flatpak/doc", path: "/run/user/1000/doc")))
    }

    @Test func flatpakInfoMustMatchThePermissions() throws {
        var input = try Self.input()
        input.context.shared = [.network]
        #expect(throws: SandboxError.self) { try SandboxPlan(input, hostPaths: Self.host) }
    }

    @Test func missingAppDirectoryIsAnError() throws {
        #expect(throws: SandboxError.self) { try SandboxPlan(try Self.input(), hostPaths: HostPathSnapshot()) }
    }

    @Test func stepsSpellBwrapOptions() {
        #expect(SetupStep.tmpfs("/run/user/1000", mode: 0o700).arguments == ["--perms", "0700", "--tmpfs", "/run/user/1000"])
        #expect(SetupStep.roBindData(slot: 11, path: "/.flatpak-info").arguments == ["--ro-bind-data", "11", "/.flatpak-info"])
        #expect(SetupStep.file(slot: 12, path: "/etc/hosts", mode: 0o644).arguments == ["--perms", "0644", "--file", "12", "/etc/hosts"])
        #expect(SetupStep.unshare([.user, .pid, .ipc, .network]).arguments
            == ["--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-net"])
    }

    /// Each sandbox holds its deployments' .ref files (where they exist),
    /// right after binding them, so an update cannot delete them under it.
    @Test func deploymentsInUseAreLocked() throws {
        var paths = Self.host
        paths.existingPaths.formUnion(["/deploy/runtime/files/.ref", "/deploy/app/files/.ref"])
        let steps = try SandboxPlan(try Self.input(), hostPaths: paths).steps
        let app = try #require(steps.firstIndex(of: .roBind(source: "/deploy/app/files", destination: "/app")))
        #expect(Array(steps[(app + 1)...].prefix(2)) == [.lockFile("/usr/.ref"), .lockFile("/app/.ref")])
        #expect(!(try SandboxPlan(try Self.input(), hostPaths: Self.host).steps.contains(.lockFile("/app/.ref"))), "no .ref, no lock")
    }

    /// per-app-dev-shm arrives as an open directory bound over bwrap's
    /// private /dev/shm; --device=shm (the host's) wins over it.
    @Test func perAppSharedMemoryIsBoundByDescriptor() throws {
        var input = try Self.input()
        input.perAppSharedMemory = UnixFD(takingOwnershipOf: open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC))
        let steps = try SandboxPlan(input, hostPaths: Self.host).steps
        let dev = try #require(steps.firstIndex(of: .dev("/dev")))
        #expect(steps[dev...].contains { if case .bindFD(_, "/dev/shm", false) = $0 { true } else { false } })
        var paths = Self.host
        paths.existingPaths.insert("/dev/shm")
        var withShm = try Self.input(try Self.context { $0.devices.grant(.shm) })
        withShm.perAppSharedMemory = input.perAppSharedMemory
        input = withShm
        let hostShm = try SandboxPlan(input, hostPaths: paths).steps
        #expect(hostShm.contains(.bind(source: "/dev/shm", destination: "/dev/shm")))
        #expect(!hostShm.contains { if case .bindFD(_, "/dev/shm", _) = $0 { true } else { false } })
    }
}
