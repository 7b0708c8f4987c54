internal import CGIO

/// Content types from GIO's shared-mime-info database. On Linux a content
/// type is a MIME type, so `image/png` names both.
///
/// GIO's content-type functions take a global lock of their own, so these
/// may be called from any thread.
enum ContentType {
    /// The type guessed from a file name alone: no file is opened, so a
    /// name shown in a listing costs no I/O. Unknown names guess
    /// `application/octet-stream`.
    static func guess(forFileName name: String) -> String {
        var uncertain: gboolean = 0
        guard let guessed = g_content_type_guess(name, nil, 0, &uncertain) else { return "application/octet-stream" }
        defer { g_free(guessed) }
        return String(cString: guessed)
    }

    /// Whether `type` is `mimeType` or a subtype of it; `mimeType` may be a
    /// wildcard such as `image/*` (shared-mime-info handles those).
    static func isA(_ type: String, mimeType: String) -> Bool {
        guard let supertype = g_content_type_from_mime_type(mimeType) else { return false }
        defer { g_free(supertype) }
        return g_content_type_is_a(type, supertype) != 0
    }
}
