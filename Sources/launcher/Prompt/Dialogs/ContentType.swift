internal import CGLib
internal import GIOLoader

/// Content types from GIO's shared-mime-info database. On Linux a content
/// type is a MIME type, so `image/png` names both.
///
/// GIO's content-type functions take a global lock of their own, so these
/// may be called from any thread. GIO is loaded at the first call
/// (GIOLoader); without it every name guesses application/octet-stream.
enum ContentType {
    /// The type guessed from a file name alone: no file is opened, so a
    /// name shown in a listing costs no I/O. Unknown names guess
    /// `application/octet-stream`.
    static func guess(forFileName name: String) -> String {
        var uncertain: Int32 = 0
        guard let guessed = burrow_gio()?.pointee.content_type_guess(name, nil, 0, &uncertain) else {
            return "application/octet-stream"
        }
        defer { g_free(guessed) }
        return String(cString: guessed)
    }

    /// Whether `type` is `mimeType` or a subtype of it; `mimeType` may be a
    /// wildcard such as `image/*` (shared-mime-info handles those).
    static func isA(_ type: String, mimeType: String) -> Bool {
        guard let gio = burrow_gio()?.pointee, let supertype = gio.content_type_from_mime_type(mimeType) else { return false }
        defer { g_free(supertype) }
        return gio.content_type_is_a(type, supertype) != 0
    }
}
