import PortalCommon
import Testing

private func context(_ text: String, file: String = "test-metadata") throws -> PermissionContext {
    try PermissionContext(parsing: Array(text.utf8), fileName: file)
}

private func location(_ text: String) throws -> PermissionContext.Filesystem {
    try PermissionContext.Filesystem(parsing: text)
}

@Suite("PermissionContext")
struct PermissionContextTests {
    @Test("parses every [Context] list, bus policies and environment")
    func parsesRichMetadata() throws {
        let ctx = try context(Fixtures.richMetadata)
        #expect(ctx.shared.granted == [.network])
        #expect(ctx.shared.revoked == [.ipc])
        #expect(ctx.sockets.contains(.wayland))
        #expect(!ctx.sockets.contains(.x11))
        #expect(ctx.sockets.revoked == [.x11])
        #expect(ctx.devices == [.dri])
        #expect(ctx.features == [.devel])
        #expect(ctx.filesystems == [
            try location("xdg-download/sub"): .readOnly,
            try location("~/Games"): .create,
            try location("/opt/data"): .readWrite,
            .hostEtc: PermissionContext.FilesystemMode.none,
        ])
        #expect(ctx.persistent == [".mozilla"])
        #expect(ctx.environment == ["FOO": .set("bar"), "SPACED": .set(" a b"), "BAR": .unset])
        #expect(ctx.sessionBusPolicy.rules == ["org.freedesktop.Notifications": .talk, "org.test.Rich.*": .own])
        #expect(ctx.systemBusPolicy.rules == ["org.freedesktop.login1": .talk])
    }

    @Test("later entries in one list win: `network;!network` is revoked")
    func orderWithinList() throws {
        let ctx = try context("[Context]\nshared=network;!network;\nsockets=!x11;x11;\n")
        #expect(!ctx.shared.contains(.network))
        #expect(ctx.shared.revoked == [.network])
        #expect(ctx.sockets.contains(.x11))
    }

    @Test("unknown values are refused with file, group and key", arguments: [
        ("shared", "network;bogus;"),
        ("sockets", "wayland;waylnd;"),
        ("devices", "!usb;"),
        ("features", "devel;timetravel;"),
        ("filesystems", "home;somewhere;"),
    ])
    func unknownValues(key: String, value: String) throws {
        let error = #expect(throws: KeyFileError.self) {
            try context("[Context]\n\(key)=\(value)\n", file: "/app/metadata")
        }
        #expect(error?.fileName == "/app/metadata")
        #expect(error?.group == "Context")
        #expect(error?.key == key)
    }

    @Test("negation in a higher layer removes the lower layer's grant")
    func mergingNegations() throws {
        let runtime = try context("[Context]\nsockets=x11;pulseaudio;\nshared=ipc;\n")
        let app = try context("[Context]\nshared=network;\nsockets=wayland;!x11;\nfilesystems=home;xdg-music:ro;\n")
        let override = try context("[Context]\nshared=!network;\nfilesystems=!home;xdg-music;\n")
        let merged = runtime.merging(app).merging(override)
        #expect(merged.shared.granted == [.ipc])
        #expect(!merged.shared.contains(.network))
        #expect(merged.sockets.granted == [.wayland, .pulseaudio])
        #expect(merged.filesystems[.home] == PermissionContext.FilesystemMode.none)
        #expect(merged.filesystems[try location("xdg-music")] == .readWrite)
        let flat = merged.flattened
        #expect(flat.filesystems == [try location("xdg-music"): .readWrite])
        #expect(flat.shared.revoked.isEmpty && flat.sockets.revoked.isEmpty)
    }

    @Test("merging is layered, not symmetric: the later layer wins")
    func mergeOrder() throws {
        let a = try context("[Context]\nshared=network;\n[Environment]\nX=a\n[Session Bus Policy]\norg.a.B=talk\n")
        let b = try context("[Context]\nshared=!network;\n[Environment]\nX=b\n[Session Bus Policy]\norg.a.B=none\n")
        #expect(a.merging(b).shared.contains(.network) == false)
        #expect(b.merging(a).shared.contains(.network) == true)
        #expect(a.merging(b).environment["X"] == .set("b"))
        #expect(a.merging(b).sessionBusPolicy.allowsTalk(to: "org.a.B") == false)
        #expect(b.merging(a).sessionBusPolicy.allowsTalk(to: "org.a.B") == true)
    }

    @Test("!host:reset drops every lower filesystem entry, and the marker propagates")
    func hostReset() throws {
        let app = try context("[Context]\nfilesystems=home;/opt/data;xdg-download:ro;\n")
        let override = try context("[Context]\nfilesystems=!host:reset;xdg-music;\n")
        #expect(override.resetsHostFilesystems)
        #expect(override.filesystems[.host] == PermissionContext.FilesystemMode.none)
        let merged = app.merging(override)
        #expect(merged.resetsHostFilesystems)
        #expect(merged.filesystems == [.host: .none, try location("xdg-music"): .readWrite])
        #expect(merged.flattened.filesystems == [try location("xdg-music"): .readWrite])
        // `!host-reset` is Flatpak's internal spelling of the same thing.
        #expect(try context("[Context]\nfilesystems=!host-reset;\n") == context("[Context]\nfilesystems=!host:reset;\n"))
    }

    @Test("Flatpak's own merge: metadata ⊕ user override, flattened, equals its /.flatpak-info")
    func matchesFlatpakMerge() throws {
        let app = try context(Fixtures.richMetadata, file: "metadata")
        let override = try context(Fixtures.richOverride, file: "overrides/org.test.Rich")
        let flatpakResult = try context(Fixtures.richFlatpakInfoWithOverride, file: ".flatpak-info")
        #expect(app.merging(override).flattened == flatpakResult)
        // And without the override, flattening alone matches.
        #expect(app.flattened == (try context(Fixtures.richFlatpakInfo, file: ".flatpak-info")))
    }

    @Test("writing keeps negations and reads back equal; flattened writing drops them")
    func writeRoundTrip() throws {
        let original = try context(Fixtures.richMetadata).merging(try context(Fixtures.richOverride))
        let text = try original.serialized()
        #expect(try context(text) == original)
        #expect(text.contains("filesystems=!host:reset;"))
        #expect(text.contains("shared=!network;!ipc;"))
        #expect(text.contains("BAR=\n"))
        #expect(text.contains("unset-environment=BAR;"))

        let flatFile = KeyFile()
        try original.write(into: flatFile, flattened: true)
        let flatText = flatFile.serialized()
        #expect(!flatText.contains("!"))
        #expect(try context(flatText) == original.flattened)
    }

    @Test("writing replaces an existing context instead of mixing with it")
    func writeReplaces() throws {
        let file = try KeyFile(parsing: Fixtures.richMetadata, fileName: "metadata")
        try PermissionContext().write(into: file)
        #expect(try PermissionContext(keyFile: file) == PermissionContext())
        // Non-context groups survive.
        #expect(try file.string(forKey: "name", in: "Application") == "org.test.Rich")
        #expect(try file.string(forKey: "directory", in: "Extension org.test.Rich.Plugin") == "plugins")
    }

    @Test("persistent paths must stay under the app's home")
    func persistentPaths() throws {
        var ctx = PermissionContext()
        try ctx.addPersistent(".config//app/./")
        #expect(ctx.persistent == [".config/app"])
        for bad in ["/etc", "../x", ".local/../../x", "", "a\u{7}b"] {
            #expect(throws: KeyFileError.self, "\(bad.debugDescription)") { try ctx.addPersistent(bad) }
        }
        let error = #expect(throws: KeyFileError.self) {
            try context("[Context]\npersistent=.mozilla;../.ssh;\n", file: "m")
        }
        #expect(error?.key == "persistent")
        #expect(error?.fileName == "m")
    }

    @Test("unset-environment beats [Environment], whichever way it is written")
    func environment() throws {
        let ctx = try context("[Context]\nunset-environment=A;\n[Environment]\nA=\nB=\nC=x y\n")
        #expect(ctx.environment == ["A": .unset, "B": .set(""), "C": .set("x y")])
        #expect(throws: KeyFileError.self) { try context("[Context]\nunset-environment=A=B;\n") }
        let translated = #expect(throws: KeyFileError.self) { try context("[Environment]\nLANG=C\nLANG[de]=de_DE\n") }
        #expect(translated?.key == "LANG[de]")
    }
}
