internal import CGIO
import Dispatch

/// An installed application, as the desktop file describes it.
struct DesktopEntry: Sendable, Hashable {
    /// The desktop file id without `.desktop` (`org.gnome.TextEditor`).
    let id: String
    let path: String
    let name: String
    let exec: String
    let icon: String?
    /// `X-Flatpak=APPID`: the handler runs sandboxed and needs documents.
    let sandboxedAppID: String?
    /// `Terminal=true`: the handler runs in a terminal emulator.
    var terminal = false
}

/// GIO, used for what design.md allows and nothing else: default handlers
/// and recommendations (desktop files, mimeapps.list) and content types.
/// Every GObject is released before a function returns; only Swift values
/// leave this file.
///
/// GIO reads desktop files and the MIME database from disk, so portals
/// reach it through `run`, on a serial queue of its own: never on the bus
/// thread, never blocking the two threads of the cooperative pool.
struct DesktopEntries: Sendable {
    private static let queue = DispatchQueue(label: "burrow.desktop-portal.gio")

    /// Runs `body` on the GIO queue and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable (DesktopEntries) -> T) async -> T {
        await withCheckedContinuation { continuation in
            Self.queue.async { continuation.resume(returning: body(self)) }
        }
    }

    /// Whether `id.desktop` is installed (and not hidden by TryExec).
    func exists(_ id: String) -> Bool {
        guard let info = g_desktop_app_info_new(id + ".desktop") else { return false }
        g_object_unref(UnsafeMutableRawPointer(info))
        return true
    }

    func entry(_ id: String) -> DesktopEntry? {
        guard let info = g_desktop_app_info_new(id + ".desktop") else { return nil }
        defer { g_object_unref(UnsafeMutableRawPointer(info)) }
        func string(_ key: String) -> String? {
            guard let value = g_desktop_app_info_get_string(info, key) else { return nil }
            defer { g_free(value) }
            return String(cString: value)
        }
        guard let exec = string("Exec"), let filename = g_desktop_app_info_get_filename(info) else { return nil }
        let name = g_app_info_get_name(info).map { String(cString: $0) } ?? id
        return DesktopEntry(id: id, path: String(cString: filename), name: name, exec: exec, icon: string("Icon"),
                            sandboxedAppID: string("X-Flatpak").flatMap { $0.isEmpty ? nil : $0 },
                            terminal: g_desktop_app_info_get_boolean(info, "Terminal") != 0)
    }

    /// The user's (or system's) default handler for `contentType`.
    func defaultHandler(for contentType: String) -> String? {
        guard let info = g_app_info_get_default_for_type(contentType, 0) else { return nil }
        defer { g_object_unref(UnsafeMutableRawPointer(info)) }
        return Self.handlerID(info)
    }

    /// Recommended handlers, or every handler when none is recommended
    /// (upstream's `find_recommended_choices`).
    func choices(for contentType: String) -> [String] {
        var list = g_app_info_get_recommended_for_type(contentType)
        if list == nil { list = g_app_info_get_all_for_type(contentType) }
        defer { g_list_free_full(list) { g_object_unref($0) } }
        var ids: [String] = []
        var node = list
        while let current = node {
            if let data = current.pointee.data, let id = Self.handlerID(OpaquePointer(data)) { ids.append(id) }
            node = current.pointee.next
        }
        return ids
    }

    /// GIO's guess from the name and the first bytes of the content.
    func contentType(fileName: String, head: [UInt8]) -> String {
        let guessed = head.withUnsafeBufferPointer { buffer in
            g_content_type_guess(fileName, buffer.baseAddress, gsize(buffer.count), nil)
        }
        guard let guessed else { return "application/octet-stream" }
        defer { g_free(guessed) }
        return String(cString: guessed)
    }

    /// `type` is `parent` or a subclass of it in the shared MIME database.
    func contentType(_ type: String, isA parent: String) -> Bool {
        g_content_type_is_a(type, parent) != 0
    }

    /// The desktop id without `.desktop`, as the permission store keeps it.
    private static func handlerID(_ info: OpaquePointer) -> String? {
        guard let raw = g_app_info_get_id(info) else { return nil }
        let id = String(cString: raw)
        return id.hasSuffix(".desktop") ? String(id.dropLast(8)) : id
    }
}
