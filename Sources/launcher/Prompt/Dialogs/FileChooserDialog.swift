/// The terminal file chooser: a folder, its listing (filtered), a path
/// entry with Tab completion, and the request's choices.
///
/// Keys: typing edits the path; Tab completes it; ↑/↓ walk the listing
/// (copying the name into the entry); Enter opens a folder or accepts a
/// file; Backspace on an empty entry goes up; Ctrl-T adds to the selection
/// (multiple); Ctrl-F switches filter; Ctrl-O moves to the options;
/// Ctrl-R toggles read-only (open); Esc cancels.
struct FileChooserDialog: PromptDialog {
    struct Answer: Sendable {
        var paths: [String]
        var choices: [Choice]
        var filter: FileFilter?
        var writable: Bool
    }

    enum Focus: Sendable, Equatable {
        case path
        case choice(Int)
    }

    let options: FileChooserOptions
    let home: String
    private(set) var folder: String
    var entry: TextField
    private(set) var listing: [DirectoryEntry] = []
    /// The highlighted row of `visibleEntries`.
    private(set) var highlight: Int?
    private(set) var filterIndex: Int?
    private(set) var selection: [String] = []
    private(set) var choices: [Choice]
    private(set) var focus: Focus = .path
    private(set) var readOnly = false
    /// Candidates of the last ambiguous Tab.
    private(set) var completions: [String] = []
    /// A line for errors and hints, cleared by the next key.
    private(set) var message: String?
    /// Files that would be replaced, awaiting y/n.
    private(set) var pendingOverwrite: [String]?

    init(options: FileChooserOptions, home: String) {
        self.options = options
        self.home = home
        choices = options.choices
        filterIndex = options.currentFilter
        var start = options.currentFolder ?? home
        var name = options.currentName ?? ""
        if let file = options.currentFile {
            start = LocalFiles.parent(of: file)
            name = LocalFiles.baseName(of: file)
        }
        folder = LocalFiles.normalize(start)
        entry = TextField(name)
        if LocalFiles.kind(of: folder) != .directory {
            message = "\(folder) is not a folder; showing \(home)"
            folder = LocalFiles.normalize(home)
        }
        reload()
    }

    var currentFilter: FileFilter? { filterIndex.map { options.filters[$0] } }
    var isSaving: Bool { options.mode != .open }
    /// Choosing folders: SaveFiles, or OpenFile with `directory`.
    var choosesFolders: Bool { options.mode == .saveFiles || options.directory }

    /// What the listing shows: folders always (to navigate), files only
    /// when they pass the current filter and folders are not being chosen;
    /// dot files only once the entry starts with a dot, as in a shell.
    var visibleEntries: [DirectoryEntry] {
        let showHidden = entry.text.hasPrefix(".")
        return listing.filter { item in
            if item.name.hasPrefix(".") && !showHidden { return false }
            if item.isDirectory { return true }
            if choosesFolders { return false }
            return currentFilter?.matches(fileName: item.name) ?? true
        }
    }

    // MARK: Keys

    mutating func handle(_ key: Key) -> DialogStep<Answer> {
        message = nil
        if let paths = pendingOverwrite {
            pendingOverwrite = nil
            if key == .character("y") || key == .character("Y") { return .answer(answer(paths)) }
            if key != .escape { message = "Nothing replaced; choose another name." }
            return .stay
        }
        if case .choice(let index) = focus { return handleChoiceKey(key, index) }
        switch key {
        case .escape: return .cancel
        case .enter: return activate()
        case .tab: complete()
        case .up: moveHighlight(by: -1)
        case .down: moveHighlight(by: 1)
        case .pageUp: moveHighlight(by: -10)
        case .pageDown: moveHighlight(by: 10)
        case .backspace where entry.isEmpty: navigate(to: LocalFiles.parent(of: folder))
        case .control("t"): toggleSelection()
        case .control("f"): nextFilter()
        case .control("o"): if !choices.isEmpty { focus = .choice(0) }
        case .control("r") where options.mode == .open: readOnly.toggle()
        default:
            if entry.handle(key) {
                completions = []
                highlight = nil
            }
        }
        return .stay
    }

    private mutating func handleChoiceKey(_ key: Key, _ index: Int) -> DialogStep<Answer> {
        switch key {
        case .escape: return .cancel
        case .left: choices[index].step(by: -1)
        case .right, .character(" "): choices[index].step(by: 1)
        case .up: focus = .choice(max(index - 1, 0))
        case .down, .control("o"): focus = index + 1 < choices.count ? .choice(index + 1) : .path
        case .enter, .tab: focus = .path
        default: break
        }
        return .stay
    }

    /// Enter: a folder is entered; a file (or, when choosing folders, an
    /// empty entry meaning "this folder") is the answer.
    private mutating func activate() -> DialogStep<Answer> {
        if entry.isEmpty {
            if choosesFolders {
                let chosen = options.multiple && !selection.isEmpty ? selection : [folder]
                return finish(chosen)
            }
            if options.multiple && !selection.isEmpty { return finish(selection) }
            message = isSaving ? "Type a name to save as." : "Type or pick a file (Tab completes)."
            return .stay
        }
        let path = LocalFiles.resolve(entry.text, in: folder, home: home)
        switch LocalFiles.kind(of: path) {
        case .directory:
            navigate(to: path)
            return .stay
        case .file:
            if choosesFolders {
                message = "\(LocalFiles.baseName(of: path)) is not a folder."
                return .stay
            }
            if options.multiple { return finish(selection.contains(path) ? selection : selection + [path]) }
            return finish([path])
        case .missing:
            guard options.mode == .save else {
                message = "\(path) does not exist."
                return .stay
            }
            let parent = LocalFiles.parent(of: path)
            guard LocalFiles.kind(of: parent) == .directory else {
                message = "The folder \(parent) does not exist."
                return .stay
            }
            return finish([path])
        }
    }

    /// Ends with `paths`, unless saving would replace existing files: then
    /// the user confirms first.
    private mutating func finish(_ paths: [String]) -> DialogStep<Answer> {
        let replaced: [String]
        switch options.mode {
        case .open: return .answer(answer(paths))
        case .save: replaced = paths.filter { LocalFiles.kind(of: $0) != .missing }
        case .saveFiles:
            replaced = options.files.map { LocalFiles.join(paths[0], $0) }.filter { LocalFiles.kind(of: $0) != .missing }
        }
        if replaced.isEmpty { return .answer(answer(paths)) }
        pendingOverwrite = paths
        message = replaced.count == 1
            ? "\(replaced[0]) already exists. Replace it? (y/n)"
            : "\(replaced.count) files already exist in \(paths[0]). Replace them? (y/n)"
        return .stay
    }

    private func answer(_ paths: [String]) -> Answer {
        let chosen = options.mode == .saveFiles ? options.files.map { LocalFiles.join(paths[0], $0) } : paths
        return Answer(paths: chosen, choices: choices, filter: currentFilter, writable: !readOnly)
    }

    // MARK: Navigation and completion

    private mutating func navigate(to path: String) {
        let previous = folder
        folder = path
        entry.text = ""
        completions = []
        highlight = nil
        if !reload() { folder = previous; _ = reload() }
    }

    /// Reads the folder again; false (with a message) when it cannot be read.
    @discardableResult
    private mutating func reload() -> Bool {
        switch LocalFiles.entries(of: folder) {
        case .success(let entries):
            listing = entries
            return true
        case .failure(let error):
            listing = []
            message = error.message
            return false
        }
    }

    private mutating func moveHighlight(by offset: Int) {
        let rows = visibleEntries
        guard !rows.isEmpty else { return }
        let next = highlight.map { $0 + offset } ?? (offset > 0 ? 0 : rows.count - 1)
        highlight = min(max(next, 0), rows.count - 1)
        let item = rows[highlight!]
        entry.text = item.name + (item.isDirectory ? "/" : "")
        completions = []
    }

    /// Tab: completes the last path component from the names in its folder
    /// that the listing would show; a unique folder gets its `/`.
    private mutating func complete() {
        let text = entry.text
        let slash = text.lastIndex(of: "/")
        let directoryPart = slash.map { String(text[...$0]) } ?? ""
        let prefix = slash.map { String(text[text.index(after: $0)...]) } ?? text
        let base = directoryPart.isEmpty ? folder : LocalFiles.resolve(directoryPart, in: folder, home: home)
        guard case .success(let entries) = LocalFiles.entries(of: base) else {
            message = "Nothing to complete in \(base)."
            return
        }
        let candidates = entries.filter { item in
            guard item.name.hasPrefix(prefix) else { return false }
            if item.name.hasPrefix(".") && !prefix.hasPrefix(".") { return false }
            if item.isDirectory { return true }
            return !choosesFolders && (currentFilter?.matches(fileName: item.name) ?? true)
        }
        switch candidates.count {
        case 0:
            message = "No match for “\(prefix)”."
            completions = []
        case 1:
            let item = candidates[0]
            entry.text = directoryPart + item.name + (item.isDirectory ? "/" : "")
            completions = []
        default:
            entry.text = directoryPart + LocalFiles.commonPrefix(candidates.map(\.name))
            completions = candidates.map { $0.name + ($0.isDirectory ? "/" : "") }
        }
        highlight = nil
    }

    private mutating func toggleSelection() {
        guard options.multiple else {
            message = "Only one \(choosesFolders ? "folder" : "file") can be chosen here."
            return
        }
        guard !entry.isEmpty else {
            message = "Type or pick a name first; Ctrl-T adds it to the selection."
            return
        }
        let path = LocalFiles.resolve(entry.text, in: folder, home: home)
        let kind = LocalFiles.kind(of: path)
        guard kind != .missing, (kind == .directory) == choosesFolders else {
            message = "\(path) is not a \(choosesFolders ? "folder" : "file") that can be chosen."
            return
        }
        if let index = selection.firstIndex(of: path) {
            selection.remove(at: index)
        } else {
            selection.append(path)
        }
        entry.text = ""
        highlight = nil
    }

    private mutating func nextFilter() {
        guard let index = filterIndex, options.filters.count > 1 else {
            message = options.filters.isEmpty ? "This request has no filters." : "This request has one filter only."
            return
        }
        filterIndex = (index + 1) % options.filters.count
        highlight = nil
    }
}
