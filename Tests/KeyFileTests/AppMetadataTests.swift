import PortalCommon
import Testing

private func metadata(_ text: String, file: String = "metadata") throws -> AppMetadata {
    try AppMetadata(parsing: Array(text.utf8), fileName: file)
}

@Suite("AppMetadata")
struct AppMetadataTests {
    @Test("parses the metadata `flatpak build-finish` writes")
    func buildFinish() throws {
        let parsed = try metadata(Fixtures.buildFinishMetadata)
        #expect(parsed.kind == .app)
        #expect(parsed.name.rawValue == "org.test.App")
        #expect(parsed.runtime?.kind == .runtime)
        #expect(parsed.runtime?.id.rawValue == "org.test.Platform")
        #expect(parsed.runtime?.arch == "x86_64")
        #expect(parsed.runtime?.branch == "1")
        #expect(parsed.sdk?.description == "runtime/org.test.Sdk/x86_64/1")
        #expect(parsed.command == "hello")
        #expect(parsed.context.shared == [.network])
        #expect(parsed.context.sockets == [.wayland])
        #expect(parsed.context.filesystems == [try .init(parsing: "xdg-download"): .readOnly])
        #expect(parsed.context.sessionBusPolicy.rules == ["org.freedesktop.Notifications": .talk])
        #expect(parsed.extensions.isEmpty)
        #expect(parsed.extensionOf == nil)
    }

    @Test("writing reproduces build-finish's file byte for byte")
    func writesLikeFlatpak() throws {
        let parsed = try metadata(Fixtures.buildFinishMetadata)
        #expect(try parsed.serialized() == Fixtures.buildFinishMetadata)
    }

    @Test("extension points and [ExtensionOf]")
    func extensions() throws {
        let parsed = try metadata(Fixtures.richMetadata)
        #expect(parsed.extensions == [
            .init(name: try AppID("org.test.Rich.Plugin"), directory: "plugins", subdirectories: true),
        ])
        #expect(parsed.extensionOf == .init(ref: nil, priority: 0))
        #expect(try metadata(try parsed.serialized()) == parsed)
    }

    @Test("a runtime's metadata, GL-style extension points, tags and versions round-trip")
    func runtimeMetadata() throws {
        let text = """
            [Runtime]
            name=org.test.Platform
            runtime=org.test.Platform/x86_64/23.08
            sdk=org.test.Sdk/x86_64/23.08

            [Extension org.test.Platform.GL]
            directory=lib/x86_64-linux-gnu/GL
            version=1.4
            versions=23.08;23.08-extra;1.4;
            add-ld-path=lib
            subdirectories=true
            no-autodownload=true
            autodelete=false

            [Extension org.test.Platform.Codecs@ffmpeg]
            directory=lib/ffmpeg
            add-ld-path=.

            [ExtensionOf]
            ref=runtime/org.test.Base/x86_64/23.08
            priority=-5

            """
        let parsed = try metadata(text)
        #expect(parsed.kind == .runtime)
        #expect(parsed.extensions.count == 2)
        let gl = try #require(parsed.extensions.first)
        #expect(gl.versions == ["23.08", "23.08-extra", "1.4"])
        #expect(gl.version == "1.4")
        #expect(gl.noAutodownload && gl.subdirectories && !gl.autodelete)
        #expect(parsed.extensions[1].name.rawValue == "org.test.Platform.Codecs")
        #expect(parsed.extensions[1].tag == "ffmpeg")
        #expect(parsed.extensionOf?.ref?.description == "runtime/org.test.Base/x86_64/23.08")
        #expect(parsed.extensionOf?.priority == -5)
        #expect(try metadata(try parsed.serialized()) == parsed)
    }

    @Test("required keys and bad values name file, group and key", arguments: [
        ("[Application]\nruntime=org.a.Platform/x86_64/1\n", "Application", "name"),
        ("[Application]\nname=org.a.App\n", "Application", "runtime"),
        ("[Application]\nname=org.a.App\nruntime=runtime/org.a.Platform/x86_64/1\n", "Application", "runtime"),
        ("[Application]\nname=org.a.App\nruntime=org.a.Platform/x86_64/1\nsdk=org.a/x86_64/1\n", "Application", "sdk"),
        ("[Runtime]\nname=org.a..B\n", "Runtime", "name"),
        ("[Runtime]\nname=org.a.B\n[Extension org.a.B.X]\ndirectory=../../etc\n", "Extension org.a.B.X", "directory"),
        ("[Runtime]\nname=org.a.B\n[Extension org.a.B.X]\ndirectory=/etc\n", "Extension org.a.B.X", "directory"),
        ("[Runtime]\nname=org.a.B\n[Extension org.a.B.X]\nadd-ld-path=../lib\n", "Extension org.a.B.X", "add-ld-path"),
        ("[Runtime]\nname=org.a.B\n[Extension org.a.B.X]\nversions=1;../2;\n", "Extension org.a.B.X", "versions"),
        ("[Runtime]\nname=org.a.B\n[Extension org.a.B.X]\nsubdirectories=yes\n", "Extension org.a.B.X", "subdirectories"),
        ("[Runtime]\nname=org.a.B\n[ExtensionOf]\nref=org.a.C/x86_64/1\n", "ExtensionOf", "ref"),
        ("[Runtime]\nname=org.a.B\n[Context]\ndevices=dri;gpu;\n", "Context", "devices"),
    ])
    func errors(text: String, group: String, key: String) {
        let error = #expect(throws: KeyFileError.self) { try metadata(text, file: "/repo/metadata") }
        #expect(error?.fileName == "/repo/metadata")
        #expect(error?.group == group)
        #expect(error?.key == key)
    }

    @Test("an invalid extension point name is refused")
    func badExtensionName() {
        let error = #expect(throws: KeyFileError.self) {
            try metadata("[Runtime]\nname=org.a.B\n[Extension ../evil]\ndirectory=x\n")
        }
        #expect(error?.group == "Extension ../evil")
    }

    @Test("burrow refuses to write metadata it would refuse to read")
    func writeValidates() throws {
        var app = AppMetadata(name: try AppID("org.a.App"))
        #expect(throws: KeyFileError.self) { try app.serialized() }  // no runtime
        app.runtime = try FlatpakRef(parsingPartial: "org.a.Platform/x86_64/1", kind: .runtime)
        app.extensions = [.init(name: try AppID("org.a.App.Plugin"), directory: "../x")]
        #expect(throws: KeyFileError.self) { try app.serialized() }
        app.extensions = [.init(name: try AppID("org.a.App.Plugin"), directory: "plugins")]
        #expect(try metadata(try app.serialized()) == app)
    }
}
