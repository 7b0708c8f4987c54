extension FileChooserDialog {
    var keyHelp: String {
        if pendingOverwrite != nil { return "y replace · n keep looking · Esc back" }
        if case .choice = focus { return "←/→/Space change · ↑/↓ move · Enter back to the path · Esc cancel" }
        var keys = ["Enter \(acceptVerb)", "Tab complete", "↑↓ browse", "⌫ up a folder"]
        if options.multiple { keys.append("^T select") }
        if options.filters.count > 1 { keys.append("^F filter") }
        if !choices.isEmpty { keys.append("^O options") }
        if options.mode == .open && !options.directory { keys.append("^R read-only") }
        keys.append("Esc cancel")
        return keys.joined(separator: " · ")
    }

    /// The accept button's words: the app's `accept_label` (mnemonic
    /// underscores removed) or what the action does.
    private var acceptVerb: String {
        if let label = options.acceptLabel, !label.isEmpty { return label.replacingUnderscores() }
        switch options.mode {
        case .open: return options.directory ? "open folder / choose it when empty" : "open"
        case .save: return "save"
        case .saveFiles: return "open folder / save here when empty"
        }
    }

    func render(into canvas: inout Canvas) {
        canvas.line([.init("Folder: ", .bold), .init(folder)])
        if let filter = currentFilter {
            var spans = [Canvas.Span("Filter: ", .bold), .init(filter.display)]
            if options.filters.count > 1, let index = filterIndex {
                spans.append(.init("  (\(index + 1) of \(options.filters.count), Ctrl-F for the next)", .dim))
            }
            canvas.line(spans)
        }
        if options.mode == .saveFiles {
            canvas.line([.init("Saving: ", .bold), .init(options.files.joined(separator: ", "))])
        }
        let label = options.mode == .save ? "Name: " : "Path: "
        let field = entry.visible(width: canvas.width - label.count)
        canvas.line([.init(label, .bold), .init(field.text, focus == .path ? .plain : .dim)])
        if focus == .path && pendingOverwrite == nil { canvas.placeCursor(column: label.count + field.caret) }
        if !completions.isEmpty {
            canvas.line("Completions: " + completions.joined(separator: "  "), .dim)
        }
        canvas.line()

        // Lines below the listing: selection, options, read-only, message.
        var trailer = 0
        if options.multiple { trailer += 1 }
        if !choices.isEmpty { trailer += 1 + choices.count }
        if options.mode == .open && !options.directory { trailer += 1 }
        if message != nil { trailer += 1 }
        renderListing(into: &canvas, rows: max(canvas.remainingRows - trailer - 1, 1))
        canvas.line()

        if options.multiple {
            let names = selection.map { LocalFiles.baseName(of: $0) }
            canvas.line("Selected (\(selection.count)): " + (names.isEmpty ? "none yet — Ctrl-T adds the entry" : names.joined(separator: ", ")))
        }
        if case .choice(let index) = focus {
            canvas.choices(choices, focused: index)
        } else {
            canvas.choices(choices, focused: nil)
        }
        if options.mode == .open && !options.directory {
            canvas.line("Read-only: " + (readOnly ? "yes" : "no"), .dim)
        }
        if let message { canvas.line(message, .warning) }
    }

    /// The folder's entries in a window of `rows` rows that keeps the
    /// highlighted one in view.
    private func renderListing(into canvas: inout Canvas, rows: Int) {
        let entries = visibleEntries
        if entries.isEmpty {
            canvas.line(listing.isEmpty ? "  (empty folder)" : "  (nothing here matches)", .dim)
            return
        }
        let shown = entries.count > rows ? max(rows - 1, 1) : entries.count
        let first = min(max((highlight ?? 0) - shown / 2, 0), entries.count - shown)
        for index in first..<(first + shown) {
            let item = entries[index]
            let path = LocalFiles.join(folder, item.name)
            let marker = (index == highlight ? "▸" : " ") + (selection.contains(path) ? "*" : " ")
            let name = item.name + (item.isDirectory ? "/" : "")
            let style: Canvas.Style = index == highlight ? .highlight : item.isDirectory ? .bold : .plain
            canvas.line([.init(marker), .init(name, style)])
        }
        if shown < entries.count {
            canvas.line("  … \(entries.count - shown) more (↑/↓ to scroll)", .dim)
        }
    }
}

extension String {
    /// "_Open" → "Open", "Save __as" → "Save _as": GTK mnemonic markup.
    func replacingUnderscores() -> String {
        var result = ""
        var escaped = false
        for character in self {
            if character == "_" && !escaped {
                escaped = true
                continue
            }
            escaped = false
            result.append(character)
        }
        return result
    }
}
