import PortalCommon

/// org.freedesktop.impl.portal.FileChooser: OpenFile, SaveFile and
/// SaveFiles answered in the terminal. Results: `uris` (file://),
/// `choices`, `current_filter`, and for OpenFile `writable`.
struct FileChooserBackend: Sendable {
    static let interface = "org.freedesktop.impl.portal.FileChooser"
    let agent: PromptAgent
    /// Where browsing starts when the request names no folder.
    let home: String

    var definition: DBusInterface {
        DBusInterface(Self.interface, access: PromptAgent.access, methods: [
            method("OpenFile", .open),
            method("SaveFile", .save),
            method("SaveFiles", .saveFiles),
        ])
    }

    private func method(_ name: String, _ mode: FileChooserOptions.Mode) -> DBusMethod {
        DBusMethod(name,
                   in: [.init("handle", "o"), .init("app_id", "s"), .init("parent_window", "s"), .init("title", "s"),
                        .init("options", "a{sv}")],
                   out: [.init("response", "u"), .init("results", "a{sv}")],
                   .deferred { call in try await choose(mode, call) })
    }

    private func choose(_ mode: FileChooserOptions.Mode, _ call: MethodCall) async throws(PortalError) -> [DBusValue] {
        let options = try FileChooserOptions(mode: mode, options: try call.argument(4, as: [String: Variant].self))
        let request = try PromptRequest(call, action: Self.action(options), titleIndex: 3)
        let outcome = try await agent.present(FileChooserDialog(options: options, home: home), for: request)
        var results = VardictValue()
        if case .answered(let answer) = outcome {
            results["uris"] = Variant(answer.paths.map(LocalFiles.uri(for:)))
            if !answer.choices.isEmpty { results["choices"] = Variant(Choice.result(answer.choices)) }
            if let filter = answer.filter { results["current_filter"] = Variant(filter.value) }
            if mode == .open { results["writable"] = Variant(answer.writable) }
        }
        return [.uint32(outcome.response), results.dbusValue]
    }

    /// "APP wants to …"
    private static func action(_ options: FileChooserOptions) -> String {
        switch options.mode {
        case .open where options.directory: options.multiple ? "open folders" : "open a folder"
        case .open: options.multiple ? "open files" : "open a file"
        case .save: "save a file"
        case .saveFiles: options.files.count == 1 ? "save a file into a folder" : "save \(options.files.count) files into a folder"
        }
    }
}
