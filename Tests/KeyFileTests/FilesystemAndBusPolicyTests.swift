import PortalCommon
import Testing

private typealias Filesystem = PermissionContext.Filesystem

private func filesystems(_ entries: String) throws -> [String: PermissionContext.FilesystemMode] {
    let ctx = try PermissionContext(parsing: Array("[Context]\nfilesystems=\(entries)\n".utf8), fileName: "fs")
    return Dictionary(uniqueKeysWithValues: ctx.filesystems.map { ($0.key.description, $0.value) })
}

@Suite("Filesystem entries")
struct FilesystemTests {
    @Test("locations normalize to Flatpak's canonical text", arguments: [
        ("home", "home"), ("~", "home"), ("~/", "home"), ("home/Music", "~/Music"),
        ("host", "host"), ("host-os", "host-os"), ("host-etc", "host-etc"),
        ("~/a//./b/", "~/a/b"), ("~/.local/share/x", "~/.local/share/x"),
        ("xdg-download", "xdg-download"), ("xdg-download/", "xdg-download"),
        ("xdg-download/sub/dir", "xdg-download/sub/dir"), ("xdg-config/./gtk-3.0", "xdg-config/gtk-3.0"),
        ("xdg-run/pipewire-0", "xdg-run/pipewire-0"), ("xdg-public-share", "xdg-public-share"),
        ("/opt//data/.", "/opt/data"), ("/media", "/media"), ("/a b/c", "/a b/c"),
    ])
    func canonical(_ text: String, _ expected: String) throws {
        let parsed = try Filesystem(parsing: text)
        #expect(parsed.description == expected)
        // The canonical text parses to the same location.
        #expect(try Filesystem(parsing: expected) == parsed)
    }

    @Test("roots and subpaths are exposed for the sandbox plan")
    func components() throws {
        let download = try Filesystem(parsing: "xdg-download/sub")
        #expect(download.root == .xdg(.download))
        #expect(download.subpath == "sub")
        let games = try Filesystem(parsing: "~/Games")
        #expect(games.root == .home)
        #expect(games.subpath == "Games")
        let opt = try Filesystem(parsing: "/opt/data")
        #expect(opt.root == .absolute)
        #expect(opt.subpath == "opt/data")
        #expect(Filesystem.home.subpath.isEmpty)
    }

    @Test("unsafe or meaningless locations are refused", arguments: [
        "/", "//", "/.", "~/..", "~/../etc", "~/a/../../etc", "/a/../b", "/..", "..", "../x",
        "xdg-download/..", "xdg-download/a/../..", "home/../root",
        "relative", "foo/bar", "Documents", "xdg-run", "xdg-run/", "xdg-bogus", "xdg-download-x",
        "host/etc", "host-os/usr", "home-x", "",
        "~/a\u{202E}b", "/tmp/\u{1B}[31m", "/tmp/tab\there", "/tmp/nbsp\u{A0}x",
    ])
    func refused(_ text: String) {
        #expect(throws: KeyFileError.self, "\(text.debugDescription)") { try Filesystem(parsing: text) }
    }

    @Test("modes and negations")
    func modes() throws {
        let parsed = try filesystems("home:ro;/opt:rw;~/new:create;xdg-music;!host-os;xdg-videos:;")
        #expect(parsed == [
            "home": .readOnly, "/opt": .readWrite, "~/new": .create, "xdg-music": .readWrite,
            "host-os": PermissionContext.FilesystemMode.none, "xdg-videos": .readWrite,
        ])
    }

    @Test("malformed entries are refused (Flatpak warns; burrow does not guess)", arguments: [
        "home:bogus", "home:RO", "!home:ro", "!home:create", "host:reset", "host-reset",
        "!home:reset", "!host-reset:reset", "/opt/../etc:ro", "home\u{7}",
    ])
    func badEntries(_ entry: String) {
        let error = #expect(throws: KeyFileError.self, "\(entry.debugDescription)") { try filesystems(entry + ";") }
        #expect(error?.key == "filesystems")
        #expect(error?.group == "Context")
        #expect(error?.fileName == "fs")
    }

    @Test("`\\:` and `\\\\` escape a colon or backslash inside a location, both ways")
    func escapedColon() throws {
        // GKeyFile doubles the backslash again, so the file holds `\\:`.
        let file = "[Context]\nfilesystems=/srv/a\\\\:b:ro;/srv/back\\\\\\\\slash;\n"
        let ctx = try PermissionContext(parsing: Array(file.utf8), fileName: "esc")
        #expect(ctx.filesystems == [
            try Filesystem(parsing: "/srv/a:b"): .readOnly,
            try Filesystem(parsing: "/srv/back\\slash"): .readWrite,
        ])
        let written = try ctx.serialized()
        #expect(written.contains("filesystems=/srv/a\\\\:b:ro;/srv/back\\\\\\\\slash;"))
        #expect(try PermissionContext(parsing: Array(written.utf8), fileName: "esc") == ctx)
    }
}

@Suite("BusPolicy")
struct BusPolicyTests {
    private func policy(_ body: String) throws -> PermissionContext {
        try PermissionContext(parsing: Array("[Session Bus Policy]\n\(body)\n".utf8), fileName: "bus")
    }

    @Test("a `prefix.*` wildcard covers the prefix itself and every name below it")
    func wildcards() throws {
        let ctx = try policy("org.test.Rich.*=own\norg.kde.*=talk\norg.freedesktop.Notifications=talk")
        let bus = ctx.sessionBusPolicy
        #expect(bus.allowsTalk(to: "org.test.Rich"))
        #expect(bus.allowsTalk(to: "org.test.Rich.Helper"))
        #expect(bus.allowsTalk(to: "org.test.Rich.a.b.c"))
        #expect(bus.level(for: "org.test.Rich.Helper") == .own)
        #expect(bus.allowsTalk(to: "org.kde.StatusNotifierWatcher"))
        #expect(bus.allowsTalk(to: "org.freedesktop.Notifications"))
        // Prefixes are matched by element, not by characters.
        #expect(!bus.allowsTalk(to: "org.test.RichX"))
        #expect(!bus.allowsTalk(to: "org.test"))
        #expect(!bus.allowsTalk(to: "org.kdex.Foo"))
        // An exact rule does not cover names below it.
        #expect(!bus.allowsTalk(to: "org.freedesktop.Notifications.Extra"))
        #expect(!bus.allowsTalk(to: "org.freedesktop.secrets"))
        #expect(bus.level(for: "org.freedesktop.secrets") == nil)
    }

    @Test("the effective level is the highest matching rule, as in xdg-dbus-proxy")
    func highestWins() throws {
        let bus = try policy("org.a.*=talk\norg.a.B=none\norg.a.C=see\norg.x.*=see\norg.x.Y=talk").sessionBusPolicy
        #expect(bus.level(for: "org.a.B") == .talk)
        #expect(bus.allowsTalk(to: "org.a.B"))
        #expect(bus.level(for: "org.a.C") == .talk)
        #expect(bus.level(for: "org.x.Z") == .see)
        #expect(!bus.allowsTalk(to: "org.x.Z"))
        #expect(bus.allowsTalk(to: "org.x.Y"))
    }

    @Test("unique names, wildcards and garbage are never allowed", arguments: [
        ":1.42", "org.a.*", "org", "", "org..a", "org.a.B/x", "org.a.*.c",
    ])
    func queriesThatNeverMatch(_ name: String) throws {
        let bus = try policy("org.a.*=own").sessionBusPolicy
        #expect(!bus.allowsTalk(to: name))
    }

    @Test("rule keys are validated like Flatpak's flatpak_verify_dbus_name", arguments: [
        ":1.42=talk", "org.*=talk", "*=talk", "org=talk", "org.a.*.c=talk", "org.a.B*=talk",
        "1org.a.B=talk", "org.a.B.=talk", "org.a.B=speak", "org.a.B=TALK", "org.a.B[de]=talk",
    ])
    func badRules(_ line: String) {
        let error = #expect(throws: KeyFileError.self, "\(line)") { try policy(line) }
        #expect(error?.fileName == "bus")
        #expect(error?.group == "Session Bus Policy")
        #expect(error?.key == String(line.prefix { $0 != "=" }))
    }

    @Test("names with `-` (valid on the bus, not in app IDs) are accepted")
    func dashes() throws {
        let bus = try policy("org.freedesktop.portal-helper.*=talk\ncom.example.my-service=see").sessionBusPolicy
        #expect(bus.allowsTalk(to: "org.freedesktop.portal-helper.X"))
        #expect(bus.level(for: "com.example.my-service") == .see)
    }

    @Test("the system bus policy is separate; sockets=session-bus means the whole bus")
    func contextAllowsTalk() throws {
        let text = "[Session Bus Policy]\norg.a.B=talk\n[System Bus Policy]\norg.freedesktop.login1=talk\n"
        let ctx = try PermissionContext(parsing: Array(text.utf8), fileName: "bus")
        #expect(ctx.allowsTalk(to: "org.a.B"))
        #expect(!ctx.allowsTalk(to: "org.freedesktop.login1"))
        #expect(ctx.systemBusPolicy.allowsTalk(to: "org.freedesktop.login1"))

        var unfiltered = ctx
        unfiltered.sockets.grant(.sessionBus)
        #expect(unfiltered.allowsTalk(to: "org.freedesktop.secrets"))
        #expect(!unfiltered.sessionBusPolicy.allowsTalk(to: "org.freedesktop.secrets"))
    }

    @Test("programmatic rules are validated too")
    func setLevel() throws {
        var bus = BusPolicy()
        try bus.setLevel(.talk, for: "org.a.*")
        #expect(throws: KeyFileError.self) { try bus.setLevel(.talk, for: ":1.2") }
        #expect(throws: KeyFileError.self) { try BusPolicy(["org.*": .own]) }
        #expect(bus.rules == ["org.a.*": .talk])
        #expect(bus.removeRule(for: "org.a.*") == .talk)
        #expect(bus.isEmpty)
    }
}
