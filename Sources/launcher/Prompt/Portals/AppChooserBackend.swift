import PortalCommon

/// org.freedesktop.impl.portal.AppChooser (version 2): ChooseApplication
/// returns the chosen desktop id as `choice`; UpdateChoices replaces the
/// list of a dialog still shown.
struct AppChooserBackend: Sendable {
    static let interface = "org.freedesktop.impl.portal.AppChooser"
    let agent: PromptAgent

    var definition: DBusInterface {
        DBusInterface(Self.interface, access: PromptAgent.access, methods: [
            DBusMethod("ChooseApplication",
                       in: [.init("handle", "o"), .init("app_id", "s"), .init("parent_window", "s"), .init("choices", "as"),
                            .init("options", "a{sv}")],
                       out: [.init("response", "u"), .init("results", "a{sv}")],
                       .deferred { call in try await choose(call) }),
            DBusMethod("UpdateChoices",
                       in: [.init("handle", "o"), .init("choices", "as")],
                       .deferred { call in
                           let handle = try call.argument(0, as: ObjectPath.self)
                           let choices = try Self.desktopIDs(try call.argument(1, as: [String].self))
                           try await agent.update(AppChooserDialog.self, handle: handle, sender: call.sender) {
                               $0.update(choices: choices)
                           }
                           return []
                       }),
        ])
    }

    private func choose(_ call: MethodCall) async throws(PortalError) -> [DBusValue] {
        let choices = try Self.desktopIDs(try call.argument(3, as: [String].self))
        let options = try call.argument(4, as: [String: Variant].self)
        _ = try options.option("modal", as: Bool.self)
        let lastChoice = try options.option("last_choice", as: String.self)
        let token = try options.option("activation_token", as: String.self)
        var subject: [String] = []
        if let uri = try options.option("uri", as: String.self) { subject.append("URI: \(uri)") }
        if let name = try options.option("filename", as: String.self) { subject.append("File: \(name)") }
        if let type = try options.option("content_type", as: String.self) { subject.append("Type: \(type)") }
        let request = try PromptRequest(call, action: "open something with another application", titleIndex: nil)
        let dialog = AppChooserDialog(choices: choices, lastChoice: lastChoice, subject: subject)
        let outcome = try await agent.present(dialog, for: request)
        guard case .answered(let choice) = outcome else { return [.uint32(outcome.response), VardictValue().dbusValue] }
        var results: VardictValue = ["choice": Variant(choice)]
        // No new activation token can come from a terminal: hand back the
        // one the request brought, as the interface allows.
        if let token { results["activation_token"] = Variant(token) }
        return [.uint32(0), results.dbusValue]
    }

    /// Desktop ids as the frontend sends them (`org.gnome.TextEditor`, no
    /// `.desktop`). Safe because the chosen id is launched by the frontend:
    /// an id with a `/` or a control character could name a file elsewhere
    /// or disguise itself on screen, so such ids are refused.
    private static func desktopIDs(_ ids: [String]) throws(PortalError) -> [String] {
        for id in ids {
            guard !id.isEmpty, id.utf8.count <= 255, !id.contains("/"),
                  !id.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
            else { throw .invalidArgument("'\(Canvas.sanitize(id))' is not a desktop id") }
        }
        return ids
    }
}
