import Foundation
import PortalCommon
import Testing
import TestSupport

extension PromptSession {
    /// `Access.AccessDialog(handle, app_id, "", title, subtitle, body, options)`.
    func accessDialog(handle: ObjectPath? = nil, title: String = "Allow the camera?", subtitle: String = "The app wants to take pictures",
                      body: String = "", options: [String: DBusValue] = [:]) -> Task<Reply, any Error> {
        begin("org.freedesktop.impl.portal.Access", "AccessDialog",
              [.objectPath(handle ?? makeHandle()), .string("org.example.Camera"), .string(""), .string(title),
               .string(subtitle), .string(body), Self.vardict(options)])
    }

    /// `AppChooser.ChooseApplication(handle, app_id, "", choices, options)`.
    func chooseApplication(handle: ObjectPath? = nil, choices: [String], options: [String: DBusValue] = [:]) -> Task<Reply, any Error> {
        begin("org.freedesktop.impl.portal.AppChooser", "ChooseApplication",
              [.objectPath(handle ?? makeHandle()), .string("org.example.Viewer"), .string(""),
               .array(element: .string, choices.map(DBusValue.string)), Self.vardict(options)])
    }
}

@Suite("burrow prompt: access")
struct AccessPromptTests {
    /// Each key, its response and whether the answer is to be remembered.
    @Test(arguments: [("y", UInt32(0), false), ("n", UInt32(1), false), ("a", UInt32(0), true), ("v", UInt32(1), true)])
    func answers(key: String, response: UInt32, remember: Bool) async throws {
        try await withPromptSession { session in
            let reply = session.accessDialog(body: "It will see what the camera sees.")
            let screen = try await session.waitForScreen(containing: "org.example.Camera wants to have access")
            #expect(screen.contains("“Allow the camera?”"))
            #expect(screen.contains("The app wants to take pictures"))
            #expect(screen.contains("It will see what the camera sees."))
            #expect(screen.contains("[y: Grant Access]") && screen.contains("[n: Deny Access]"))
            try await session.type(key)
            let answer = try await reply.value
            #expect(answer.response == response)
            #expect(try answer.results.option("remember", as: Bool.self) == remember)
        }
    }

    @Test func enterAloneDeniesAndLabelsComeFromTheCaller() async throws {
        try await withPromptSession { session in
            let reply = session.accessDialog(options: ["grant_label": .string("_Share"), "deny_label": .string("_Keep private")])
            let screen = try await session.waitForScreen(containing: "[y: Share]")
            #expect(screen.contains("[n: Keep private]"))
            try await session.press("Enter")
            #expect(try await reply.value.response == 1, "the highlighted button starts on deny")
        }
    }

    @Test func choicesComeBackWithTheAnswer() async throws {
        try await withPromptSession { session in
            let pairs = DBusType.array(.structure([.string, .string]))
            let choices = DBusValue.array(element: .structure([.string, .string, pairs, .string]), [
                .structure([.string("quality"), .string("Quality"), .array(element: .structure([.string, .string]), [
                    .structure([.string("low"), .string("Low")]), .structure([.string("high"), .string("High")]),
                ]), .string("")]),
            ])
            let reply = session.accessDialog(options: ["choices": choices])
            try await session.waitForScreen(containing: "Quality: ‹Low›")
            try await session.press("Up", "Right")
            try await session.waitForScreen(containing: "Quality: ‹High›")
            try await session.type("y")
            let answer = try await reply.value
            #expect(answer.response == 0)
            #expect(answer.results["choices"]?.value == .array(element: .structure([.string, .string]),
                                                               [.structure([.string("quality"), .string("high")])]))
        }
    }

    @Test func escapeCancels() async throws {
        try await withPromptSession { session in
            let reply = session.accessDialog()
            try await session.waitForScreen(containing: "wants to have access")
            try await session.press("Escape")
            let answer = try await reply.value
            #expect(answer.response == 1)
            #expect(answer.results.isEmpty)
        }
    }
}

@Suite("burrow prompt: app chooser")
struct AppChooserPromptTests {
    @Test func choosesAnApplication() async throws {
        try await withPromptSession { session in
            let reply = session.chooseApplication(
                choices: ["org.gnome.TextEditor", "org.kde.kate", "org.vim.Vim"],
                options: ["last_choice": .string("org.kde.kate"), "content_type": .string("text/plain"),
                          "filename": .string("notes.txt"), "activation_token": .string("token-1")])
            let screen = try await session.waitForScreen(containing: "org.example.Viewer wants to open something")
            #expect(screen.contains("File: notes.txt") && screen.contains("Type: text/plain"))
            #expect(screen.contains("▸ org.kde.kate"), "the last choice starts highlighted")
            try await session.press("Down", "Enter")
            let answer = try await reply.value
            #expect(answer.response == 0)
            #expect(try answer.results.option("choice", as: String.self) == "org.vim.Vim")
            #expect(try answer.results.option("activation_token", as: String.self) == "token-1")
        }
    }

    @Test func updateChoicesReplacesTheList() async throws {
        try await withPromptSession { session in
            let handle = session.makeHandle()
            let reply = session.chooseApplication(handle: handle, choices: ["org.example.Old"])
            try await session.waitForScreen(containing: "▸ org.example.Old")
            _ = try await session.client.call(PromptSession.busName, PromptSession.path, "org.freedesktop.impl.portal.AppChooser",
                                              "UpdateChoices", [.objectPath(handle), .array(element: .string, [.string("org.example.New"), .string("org.example.Old")])])
            try await session.waitForScreen(containing: "org.example.New")
            try await session.press("Up", "Enter")
            #expect(try await reply.value.results.option("choice", as: String.self) == "org.example.New")

            let unknown = await #expect(throws: PortalError.self) {
                _ = try await session.client.call(PromptSession.busName, PromptSession.path, "org.freedesktop.impl.portal.AppChooser",
                                                  "UpdateChoices", [.objectPath(session.makeHandle()), .array(element: .string, [])])
            }
            #expect(unknown?.name == "org.freedesktop.portal.Error.NotFound")
        }
    }

    @Test func refusesIdsThatAreNotDesktopIds() async throws {
        try await withPromptSession { session in
            let error = await #expect(throws: PortalError.self) {
                _ = try await session.chooseApplication(choices: ["../../bin/sh"]).value
            }
            #expect(error?.name == "org.freedesktop.portal.Error.InvalidArgument")
        }
    }
}
