import Foundation
import PortalCommon
import Testing
import TestSupport

/// impl.portal.FileChooser answered by typing into `burrow prompt`.
@Suite("burrow prompt: file chooser")
struct FileChooserPromptTests {
    @Test func openFileReturnsTheTypedPath() async throws {
        try await withPromptSession { session in
            let folder = try session.makeFolder("docs", containing: ["notes.txt", "other.txt"])
            let reply = session.fileChooser("OpenFile", title: "Open Notes", options: ["current_folder": .path(folder)])
            let screen = try await session.waitForScreen(containing: "org.example.Editor wants to open a file")
            #expect(screen.contains("“Open Notes”"))
            #expect(screen.contains("Folder: \(folder)"))
            try await session.type("notes.txt")
            try await session.press("Enter")
            let answer = try await reply.value
            #expect(answer.response == 0)
            #expect(answer.uris == ["file://\(folder)/notes.txt"])
            #expect(try answer.results.option("writable", as: Bool.self) == true)
            try await session.waitForScreen(containing: "Waiting for requests")
        }
    }

    @Test func tabCompletesFoldersAndFiles() async throws {
        try await withPromptSession { session in
            let folder = try session.makeFolder("docs", containing: ["report-2024.txt", "reading/deep notes.txt", "zebra.txt"])
            let reply = session.fileChooser("OpenFile", options: ["current_folder": .path(folder)])
            try await session.waitForScreen(containing: "wants to open a file")
            try await session.type("rea")
            try await session.press("Tab")
            try await session.waitForScreen(containing: "Path: reading/")
            try await session.type("d")
            try await session.press("Tab")
            try await session.waitForScreen(containing: "Path: reading/deep notes.txt")
            try await session.press("Enter")
            let answer = try await reply.value
            #expect(answer.response == 0)
            // GLib's escaping: the space becomes %20.
            #expect(answer.uris == ["file://\(folder)/reading/deep%20notes.txt"])
        }
    }

    @Test func ambiguousTabCompletesTheCommonPrefixAndListsCandidates() async throws {
        try await withPromptSession { session in
            let folder = try session.makeFolder("docs", containing: ["report-2023.txt", "report-2024.txt"])
            let reply = session.fileChooser("OpenFile", options: ["current_folder": .path(folder)])
            try await session.waitForScreen(containing: "wants to open a file")
            try await session.type("r")
            try await session.press("Tab")
            let screen = try await session.waitForScreen(containing: "Path: report-202")
            #expect(screen.contains("Completions: report-2023.txt  report-2024.txt"))
            try await session.type("4")
            try await session.press("Tab", "Enter")
            #expect(try await reply.value.uris == ["file://\(folder)/report-2024.txt"])
        }
    }

    @Test func multipleSelectsSeveralFiles() async throws {
        try await withPromptSession { session in
            let folder = try session.makeFolder("docs", containing: ["a.txt", "b.txt", "c.txt"])
            let reply = session.fileChooser("OpenFile", options: ["current_folder": .path(folder), "multiple": .bool(true)])
            try await session.waitForScreen(containing: "wants to open files")
            try await session.type("a.txt")
            try await session.press("C-t")
            try await session.waitForScreen(containing: "Selected (1): a.txt")
            try await session.type("c.txt")
            try await session.press("Enter")
            let answer = try await reply.value
            #expect(answer.response == 0)
            #expect(answer.uris == ["file://\(folder)/a.txt", "file://\(folder)/c.txt"])
        }
    }

    @Test func directoryModeChoosesAFolder() async throws {
        try await withPromptSession { session in
            let folder = try session.makeFolder("home", containing: ["photos/2024/", "file.txt"])
            let reply = session.fileChooser("OpenFile", options: ["current_folder": .path(folder), "directory": .bool(true)])
            let screen = try await session.waitForScreen(containing: "wants to open a folder")
            #expect(screen.contains("photos/"))
            #expect(!screen.contains("file.txt"), "files are not offered when choosing a folder")
            try await session.type("photos")
            try await session.press("Enter")
            try await session.waitForScreen(containing: "Folder: \(folder)/photos")
            try await session.press("Enter")
            let answer = try await reply.value
            #expect(answer.response == 0)
            #expect(answer.uris == ["file://\(folder)/photos"])
        }
    }

    @Test func filtersHideFilesThatDoNotMatch() async throws {
        try await withPromptSession { session in
            let folder = try session.makeFolder("mixed", containing: ["letter.txt", "photo.png", "scan.jpg", "notes.md", "sub/"])
            let text = DBusValue.structure([.string("Text"), .array(element: .structure([.uint32, .string]),
                                                                    [.structure([.uint32(0), .string("*.txt")])])])
            let images = DBusValue.structure([.string("Images"), .array(element: .structure([.uint32, .string]),
                                                                        [.structure([.uint32(1), .string("image/*")])])])
            let filters = DBusValue.array(element: text.type, [text, images])
            let reply = session.fileChooser("OpenFile", options: ["current_folder": .path(folder), "filters": filters])
            var screen = try await session.waitForScreen(containing: "Filter: Text (*.txt)")
            #expect(screen.contains("letter.txt"))
            #expect(screen.contains("sub/"), "folders stay visible to navigate")
            #expect(!screen.contains("photo.png") && !screen.contains("scan.jpg") && !screen.contains("notes.md"))

            // Ctrl-F: the MIME filter, matched by GIO's guess from the name.
            try await session.press("C-f")
            screen = try await session.waitForScreen(containing: "Filter: Images (image/*)")
            #expect(screen.contains("photo.png") && screen.contains("scan.jpg"))
            #expect(!screen.contains("letter.txt") && !screen.contains("notes.md"))
            try await session.type("scan.jpg")
            try await session.press("Enter")
            let answer = try await reply.value
            #expect(answer.uris == ["file://\(folder)/scan.jpg"])
            #expect(answer.results["current_filter"]?.value == images, "the chosen filter comes back as it was sent")
        }
    }

    @Test func saveFileStartsWithCurrentName() async throws {
        try await withPromptSession { session in
            let folder = try session.makeFolder("out", containing: [])
            let reply = session.fileChooser("SaveFile", options: ["current_folder": .path(folder), "current_name": .string("draft.odt")])
            try await session.waitForScreen(containing: "Name: draft.odt")
            try await session.press("Enter")
            let answer = try await reply.value
            #expect(answer.response == 0)
            #expect(answer.uris == ["file://\(folder)/draft.odt"])
            #expect(answer.results["writable"] == nil, "SaveFile's results have no writable")
            #expect(!FileManager.default.fileExists(atPath: "\(folder)/draft.odt"), "the chooser creates nothing")
        }
    }

    @Test func saveFileAsksBeforeReplacingAFile() async throws {
        try await withPromptSession { session in
            let folder = try session.makeFolder("out", containing: ["old.txt"])
            let reply = session.fileChooser("SaveFile", options: ["current_file": .path("\(folder)/old.txt")])
            try await session.waitForScreen(containing: "Name: old.txt")
            try await session.press("Enter")
            try await session.waitForScreen(containing: "already exists. Replace it? (y/n)")
            try await session.press("n")
            try await session.waitForScreen(containing: "Nothing replaced")
            try await session.press("Enter")
            try await session.waitForScreen(containing: "Replace it?")
            try await session.press("y")
            #expect(try await reply.value.uris == ["file://\(folder)/old.txt"])
        }
    }

    @Test func saveFilesPutsEveryNameInTheChosenFolder() async throws {
        try await withPromptSession { session in
            let folder = try session.makeFolder("out", containing: ["target/"])
            let files = DBusValue.array(element: .array(.byte), [.path("one.txt"), .path("two.txt")])
            let reply = session.fileChooser("SaveFiles", options: ["current_folder": .path(folder), "files": files])
            try await session.waitForScreen(containing: "wants to save 2 files into a folder")
            try await session.type("target")
            try await session.press("Enter")
            try await session.waitForScreen(containing: "Folder: \(folder)/target")
            try await session.press("Enter")
            let answer = try await reply.value
            #expect(answer.response == 0)
            #expect(answer.uris == ["file://\(folder)/target/one.txt", "file://\(folder)/target/two.txt"])
        }
    }

    @Test func choicesAreShownAndReturned() async throws {
        try await withPromptSession { session in
            let folder = try session.makeFolder("docs", containing: ["a.txt"])
            let pairs = DBusType.array(.structure([.string, .string]))
            let choices = DBusValue.array(element: .structure([.string, .string, pairs, .string]), [
                .structure([.string("encoding"), .string("Encoding"),
                            .array(element: .structure([.string, .string]), [
                                .structure([.string("utf8"), .string("Unicode (UTF-8)")]),
                                .structure([.string("latin15"), .string("Western")]),
                            ]), .string("latin15")]),
                .structure([.string("reencode"), .string("Reencode"), .array(element: .structure([.string, .string]), []), .string("false")]),
            ])
            let reply = session.fileChooser("OpenFile", options: ["current_folder": .path(folder), "choices": choices])
            let screen = try await session.waitForScreen(containing: "Encoding: ‹Western›")
            #expect(screen.contains("[ ] Reencode"))
            try await session.press("C-o", "Right", "Down", "Space")
            try await session.waitForScreen(containing: "[x] Reencode")
            try await session.press("Enter")
            try await session.type("a.txt")
            try await session.press("Enter")
            let answer = try await reply.value
            let expected = DBusValue.array(element: .structure([.string, .string]), [
                .structure([.string("encoding"), .string("utf8")]), .structure([.string("reencode"), .string("true")]),
            ])
            #expect(answer.results["choices"]?.value == expected)
        }
    }

    @Test func escapeCancels() async throws {
        try await withPromptSession { session in
            let reply = session.fileChooser("OpenFile")
            try await session.waitForScreen(containing: "wants to open a file")
            try await session.press("Escape")
            let answer = try await reply.value
            #expect(answer.response == 1)
            #expect(answer.results.isEmpty)
            try await session.waitForScreen(containing: "Waiting for requests")
        }
    }

    @Test func controlCCancels() async throws {
        try await withPromptSession { session in
            let reply = session.fileChooser("SaveFile")
            try await session.waitForScreen(containing: "wants to save a file")
            try await session.press("C-c")
            #expect(try await reply.value.response == 1)
            // Ctrl-C ended the request, not the prompt.
            try await session.waitForScreen(containing: "Waiting for requests")
            #expect(try await session.client.nameHasOwner(PromptSession.busName))
        }
    }
}
