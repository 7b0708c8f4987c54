import PortalCommon

/// The options of an impl.portal.FileChooser call, read and validated
/// before anything is shown. Unknown keys are ignored, as upstream backends
/// do; a known key of the wrong type, a bad filter or a bad choice is
/// `InvalidArgument`.
struct FileChooserOptions: Sendable {
    enum Mode: Sendable { case open, save, saveFiles }

    let mode: Mode
    var acceptLabel: String?
    var multiple = false
    var directory = false
    var filters: [FileFilter] = []
    var currentFilter: Int?
    var choices: [Choice] = []
    var currentFolder: String?
    var currentName: String?
    var currentFile: String?
    /// SaveFiles: the names to save into the chosen folder.
    var files: [String] = []

    init(mode: Mode, options: [String: Variant]) throws(PortalError) {
        self.mode = mode
        acceptLabel = try options.option("accept_label", as: String.self)
        _ = try options.option("modal", as: Bool.self)  // every prompt is modal: one at a time
        choices = try Choice.list(from: options)
        currentFolder = try Self.absolutePath("current_folder", in: options)
        switch mode {
        case .open:
            multiple = try options.option("multiple", as: Bool.self) ?? false
            directory = try options.option("directory", as: Bool.self) ?? false
            (filters, currentFilter) = try FileFilter.options(from: options)
        case .save:
            (filters, currentFilter) = try FileFilter.options(from: options)
            currentName = try options.option("current_name", as: String.self)
            currentFile = try Self.absolutePath("current_file", in: options)
        case .saveFiles:
            if let names = try options.option("files", as: [ByteString].self) {
                files = try names.map { name throws(PortalError) in try Self.plainName(name.string) }
            }
        }
    }

    /// A path option (`ay`, nul-terminated): must be absolute, because
    /// relative to what would be anyone's guess.
    private static func absolutePath(_ key: String, in options: [String: Variant]) throws(PortalError) -> String? {
        guard let bytes = try options.option(key, as: ByteString.self) else { return nil }
        let path = bytes.string
        guard path.hasPrefix("/") else { throw .invalidArgument("option '\(key)' must be an absolute path, not '\(path)'") }
        return path
    }

    /// A file name for SaveFiles. Safe because each name is appended to
    /// the chosen folder: a `/` or `..` would put the file somewhere the
    /// user never chose.
    private static func plainName(_ name: String) throws(PortalError) -> String {
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/") else {
            throw .invalidArgument("option 'files' holds '\(name)', which is not a plain file name")
        }
        return name
    }
}
