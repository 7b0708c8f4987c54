internal import CGLib
import Dispatch
internal import GIOLoader

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
/// leave this file. GIO is loaded at the first call (GIOLoader); should it
/// be missing, there are no handlers and every content type is
/// application/octet-stream.
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

    private var gio: BurrowGIO? { burrow_gio()?.pointee }

    /// Why GIO could not be loaded, or nil when it is there. Without it
    /// every content type is application/octet-stream, so callers that
    /// decide what may be opened on the host must refuse instead.
    var unavailable: String? { burrow_gio_error().map { String(cString: $0) } }

    /// Whether `id.desktop` is installed (and not hidden by TryExec).
    func exists(_ id: String) -> Bool {
        guard let gio, let info = gio.desktop_app_info_new(id + ".desktop") else { return false }
        gio.object_unref(info)
        return true
    }

    func entry(_ id: String) -> DesktopEntry? {
        guard let gio, let info = gio.desktop_app_info_new(id + ".desktop") else { return nil }
        defer { gio.object_unref(info) }
        func string(_ key: String) -> String? {
            guard let value = gio.desktop_app_info_get_string(info, key) else { return nil }
            defer { g_free(value) }
            return String(cString: value)
        }
        guard let exec = string("Exec"), let filename = gio.desktop_app_info_get_filename(info) else { return nil }
        let name = gio.app_info_get_name(info).map { String(cString: $0) } ?? id
        return DesktopEntry(id: id, path: String(cString: filename), name: name, exec: exec, icon: string("Icon"),
                            sandboxedAppID: string("X-Flatpak").flatMap { $0.isEmpty ? nil : $0 },
                            terminal: gio.desktop_app_info_get_boolean(info, "Terminal") != 0)
    }

    /// The user's (or system's) default handler for `contentType`.
    func defaultHandler(for contentType: String) -> String? {
        guard let gio, let info = gio.app_info_get_default_for_type(contentType, 0) else { return nil }
        defer { gio.object_unref(info) }
        return Self.handlerID(info, gio)
    }

    /// Recommended handlers, or every handler when none is recommended
    /// (upstream's `find_recommended_choices`).
    func choices(for contentType: String) -> [String] {
        guard let gio else { return [] }
        let list = (gio.app_info_get_recommended_for_type(contentType) ?? gio.app_info_get_all_for_type(contentType))?
            .assumingMemoryBound(to: GList.self)
        defer { g_list_free(list) }
        var ids: [String] = []
        var node = list
        while let current = node {
            if let data = current.pointee.data {
                if let id = Self.handlerID(data, gio) { ids.append(id) }
                gio.object_unref(data)
            }
            node = current.pointee.next
        }
        return ids
    }

    /// GIO's guess from the name and the first bytes of the content.
    func contentType(fileName: String, head: [UInt8]) -> String {
        let guessed = head.withUnsafeBufferPointer { buffer in
            gio?.content_type_guess(fileName, buffer.baseAddress, buffer.count, nil)
        }
        guard let guessed else { return "application/octet-stream" }
        defer { g_free(guessed) }
        return String(cString: guessed)
    }

    /// `type` is `parent` or a subclass of it in the shared MIME database.
    func contentType(_ type: String, isA parent: String) -> Bool {
        gio?.content_type_is_a(type, parent) ?? 0 != 0
    }

    /// The desktop id without `.desktop`, as the permission store keeps it.
    private static func handlerID(_ info: UnsafeMutableRawPointer, _ gio: BurrowGIO) -> String? {
        guard let raw = gio.app_info_get_id(info) else { return nil }
        let id = String(cString: raw)
        return id.hasSuffix(".desktop") ? String(id.dropLast(8)) : id
    }
}
