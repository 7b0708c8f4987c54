import PortalCommon

/// org.freedesktop.impl.portal.Access: a grant/deny question.
///
/// Response 0 means granted, 1 denied (or cancelled), 2 closed. Results:
/// `choices a(ss)` for the request's options, and `remember b` — true when
/// the user answered Always or Never rather than for this time only. The
/// interface has no standard key for that; frontends that do not know
/// `remember` ignore it (upstream ones store every answer anyway).
struct AccessBackend: Sendable {
    static let interface = "org.freedesktop.impl.portal.Access"
    let agent: PromptAgent

    var definition: DBusInterface {
        DBusInterface(Self.interface, access: PromptAgent.access, methods: [
            DBusMethod("AccessDialog",
                       in: [.init("handle", "o"), .init("app_id", "s"), .init("parent_window", "s"), .init("title", "s"),
                            .init("subtitle", "s"), .init("body", "s"), .init("options", "a{sv}")],
                       out: [.init("response", "u"), .init("results", "a{sv}")],
                       .deferred { call in try await ask(call) }),
        ])
    }

    private func ask(_ call: MethodCall) async throws(PortalError) -> [DBusValue] {
        let request = try PromptRequest(call, action: "have access", titleIndex: 3)
        let subtitle = try call.argument(4, as: String.self)
        let body = try call.argument(5, as: String.self)
        let options = try call.argument(6, as: [String: Variant].self)
        _ = try options.option("modal", as: Bool.self)
        _ = try options.option("icon", as: String.self)  // no icons in a terminal
        let dialog = AccessDialog(
            subtitle: subtitle, body: body,
            grantLabel: try options.option("grant_label", as: String.self),
            denyLabel: try options.option("deny_label", as: String.self),
            choices: try Choice.list(from: options))
        let outcome = try await agent.present(dialog, for: request)
        guard case .answered(let answer) = outcome else { return [.uint32(outcome.response), VardictValue().dbusValue] }
        var results: VardictValue = ["remember": Variant(answer.remember)]
        if !answer.choices.isEmpty { results["choices"] = Variant(Choice.result(answer.choices)) }
        return [.uint32(answer.granted ? 0 : 1), results.dbusValue]
    }
}
