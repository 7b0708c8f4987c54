import PortalCommon
import Testing

private func info(_ text: String, file: String = "/proc/1234/root/.flatpak-info") throws -> FlatpakInfo {
    try FlatpakInfo(parsing: Array(text.utf8), fileName: file)
}

private let commit = String(repeating: "0123456789abcdef", count: 4)

@Suite("FlatpakInfo (/.flatpak-info)")
struct FlatpakInfoTests {
    @Test("parses the file Flatpak 1.14 writes")
    func parsesRealFile() throws {
        let parsed = try info(Fixtures.richFlatpakInfo)
        #expect(parsed.kind == .app)
        #expect(parsed.appID == AppID(rawValue: "org.test.Rich"))
        #expect(parsed.runtime?.description == "runtime/org.test.Platform/x86_64/1")
        #expect(parsed.instance.instanceID == "3634336602")
        #expect(parsed.instance.instancePath == "/root/.var/app/org.test.Rich")
        #expect(parsed.instance.appCommit == "df35f2369afb95e2fe81b4550c2ece17d4735651a4b57b7db3a8dca65c6cd68b")
        #expect(parsed.instance.branch == "master")
        #expect(parsed.instance.arch == "x86_64")
        #expect(parsed.instance.flatpakVersion == "1.14.10")
        #expect(parsed.instance.sessionBusProxy)
        #expect(parsed.instance.systemBusProxy)
        #expect(parsed.context.shared.contains(.network))
        #expect(parsed.context.allowsTalk(to: "org.freedesktop.Notifications"))
        #expect(parsed.context.allowsTalk(to: "org.test.Rich.Sub"))
        #expect(!parsed.context.allowsTalk(to: "org.freedesktop.secrets"))
    }

    @Test("round trip: what burrow writes parses back equal")
    func roundTrip() throws {
        var context = PermissionContext()
        context.shared = [.network]
        context.sockets = [.wayland, .pulseaudio]
        context.filesystems = [try .init(parsing: "xdg-download"): .readOnly, try .init(parsing: "~/My Games"): .create]
        context.environment = ["LANG": .set("C.UTF-8"), "ODD": .set(" leading\nand newline"), "LD_PRELOAD": .unset]
        try context.addPersistent(".config/app")
        try context.sessionBusPolicy.setLevel(.talk, for: "org.freedesktop.Notifications")
        try context.sessionBusPolicy.setLevel(.own, for: "org.test.App.*")
        try context.systemBusPolicy.setLevel(.talk, for: "org.freedesktop.login1")

        let original = try FlatpakInfo(
            appID: AppID("org.test.App"),
            runtime: FlatpakRef(parsing: "runtime/org.test.Platform/x86_64/1"),
            instance: .init(
                instanceID: "1030560568", instancePath: "/home/u/.var/app/org.test.App",
                appPath: "/var/lib/burrow/app/org.test.App/x86_64/stable/\(commit)/files", appCommit: commit,
                runtimePath: "/var/lib/burrow/runtime/org.test.Platform/x86_64/1/\(commit)/files",
                runtimeCommit: commit, branch: "stable", arch: "x86_64", flatpakVersion: "1.14.10",
                sessionBusProxy: true, systemBusProxy: false),
            context: context)

        let text = try original.serialized(fileName: "info")
        let parsed = try info(text)
        #expect(parsed == original)
        #expect(parsed.instance.instanceID == "1030560568")
        #expect(text.hasPrefix("[Application]\nname=org.test.App\nruntime=runtime/org.test.Platform/x86_64/1\n\n[Instance]\n"))
        #expect(text.contains("session-bus-proxy=true\n"))
        #expect(!text.contains("system-bus-proxy"))
    }

    @Test("the context is stored flattened: what was granted, no negations")
    func flattensContext() throws {
        var context = PermissionContext()
        context.shared = .init(granting: [.ipc], revoking: [.network])
        context.filesystems = [.home: .none, .hostOS: .readOnly]
        try context.sessionBusPolicy.setLevel(.none, for: "org.a.B")
        let built = try FlatpakInfo(appID: AppID("org.test.App"), context: context)
        #expect(built.context == context.flattened)
        #expect(built.context.filesystems == [.hostOS: .readOnly])
        #expect(try info(try built.serialized()) == built)
    }

    @Test("a runtime-only sandbox uses [Runtime] name")
    func runtimeKind() throws {
        let parsed = try info("[Runtime]\nname=org.test.Sdk\nruntime=runtime/org.test.Sdk/x86_64/1\n[Instance]\ninstance-id=7\n")
        #expect(parsed.kind == .runtime)
        #expect(parsed.appID.rawValue == "org.test.Sdk")
        #expect(try info(try parsed.serialized()) == parsed)
        #expect(try parsed.serialized().hasPrefix("[Runtime]\n"))
    }

    @Test("a missing or invalid identity is an error naming file, group and key")
    func identityErrors() throws {
        let missing = #expect(throws: KeyFileError.self) { try info("[Instance]\ninstance-id=1\n") }
        #expect(missing?.fileName == "/proc/1234/root/.flatpak-info")
        #expect(missing?.group == "Application")
        #expect(missing?.key == "name")

        let empty = #expect(throws: KeyFileError.self) { try info("") }
        #expect(empty?.key == "name")

        let bad = #expect(throws: KeyFileError.self) { try info("[Application]\nname=org.example\n") }
        #expect(bad?.group == "Application")
        #expect(bad?.key == "name")
        #expect(bad?.message.contains("2 periods") == true)

        let both = #expect(throws: KeyFileError.self) {
            try info("[Application]\nname=org.a.B\n[Runtime]\nname=org.a.C\n")
        }
        #expect(both?.message.contains("both") == true)

        let appRuntime = #expect(throws: KeyFileError.self) {
            try info("[Application]\nname=org.a.B\nruntime=app/org.a.C/x86_64/1\n")
        }
        #expect(appRuntime?.key == "runtime")
    }

    @Test("[Instance] values that would be unsafe to use are refused", arguments: [
        ("instance-id", "../../etc"), ("instance-id", "1/2"), ("instance-id", ""),
        ("instance-path", "relative/path"), ("instance-path", "/home/u/../../etc"),
        ("app-path", "/a\u{1B}b"), ("app-commit", "abc"), ("runtime-commit", commit.uppercased()),
        ("branch", ".."), ("arch", "x86-64"), ("session-bus-proxy", "perhaps"),
    ])
    func badInstance(key: String, value: String) {
        let error = #expect(throws: KeyFileError.self) {
            try info("[Application]\nname=org.a.B\n[Instance]\n\(key)=\(value)\n")
        }
        #expect(error?.fileName == "/proc/1234/root/.flatpak-info")
        #expect(error?.group == "Instance")
        #expect(error?.key == key)
    }

    @Test("a context burrow cannot fully read makes the whole file invalid")
    func badContext() {
        let error = #expect(throws: KeyFileError.self) {
            try info("[Application]\nname=org.a.B\n[Context]\nsockets=wayland;x12;\n")
        }
        #expect(error?.group == "Context")
        #expect(error?.key == "sockets")
    }
}
