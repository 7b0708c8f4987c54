internal import CGLib
internal import COSTree
public import PortalCommon
import Runtime

/// A failure reported by libostree (or the GLib/GIO calls around it): what
/// burrow was doing, and the library's own message.
///
/// This is the one conversion point for `GError` in the Installer module
/// (`OSTreeError.check`), so every libostree failure reads the same way —
/// "pulling app/org.example.Hello/x86_64/stable from 'origin': …" — and maps
/// to a `PortalError` in one place.
public struct OSTreeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The broad class of failure, from the GError domain and code.
    public enum Kind: Sendable, Hashable {
        /// A ref, commit, object, remote or file that does not exist.
        case notFound
        /// Something that was to be created already exists.
        case exists
        case permissionDenied
        case noSpace
        /// A GPG or signature check refused the data.
        case signature
        /// Everything else (network, corrupt objects, bad arguments, …).
        case failed
    }

    public var kind: Kind
    /// What burrow was doing, for a person ("checking out COMMIT into PATH").
    public var operation: String
    /// The library's message.
    public var message: String

    public init(kind: Kind, operation: String, message: String) {
        self.kind = kind
        self.operation = operation
        self.message = message
    }

    public var description: String { "\(operation): \(message)" }

    /// Takes ownership of `error` (frees it) and classifies it.
    init(consuming error: UnsafeMutablePointer<GError>, operation: String) {
        defer { g_error_free(error) }
        let domain = error.pointee.domain
        let code = error.pointee.code
        let kind: Kind
        if domain == g_io_error_quark() {
            switch GIOErrorEnum(rawValue: UInt32(bitPattern: code)) {
            case G_IO_ERROR_NOT_FOUND: kind = .notFound
            case G_IO_ERROR_EXISTS: kind = .exists
            case G_IO_ERROR_PERMISSION_DENIED: kind = .permissionDenied
            case G_IO_ERROR_NO_SPACE: kind = .noSpace
            default: kind = .failed
            }
        } else if domain == ostree_gpg_error_quark() {
            kind = .signature
        } else {
            kind = .failed
        }
        self.init(kind: kind, operation: operation, message: String(cString: error.pointee.message))
    }

    /// Runs one GError-reporting call. A `FALSE` return with an error set
    /// becomes an `OSTreeError`; a `FALSE` without one (a GLib contract
    /// violation) is still reported, never taken for success.
    static func check(
        _ operation: @autoclosure () -> String,
        _ call: (UnsafeMutablePointer<UnsafeMutablePointer<GError>?>) -> gboolean
    ) throws(OSTreeError) {
        var error: UnsafeMutablePointer<GError>?
        if call(&error) != 0 {
            // Some GLib functions set an error and still return TRUE on bugs;
            // free it so nothing leaks.
            if let error { g_error_free(error) }
            return
        }
        guard let error else {
            throw OSTreeError(kind: .failed, operation: operation(), message: "failed without a reason")
        }
        throw OSTreeError(consuming: error, operation: operation())
    }
}

extension OSTreeError: PortalErrorConvertible {
    public var portalError: PortalError {
        switch kind {
        case .notFound: .notFound(description)
        case .exists: .exists(description)
        case .permissionDenied, .signature: .notAllowed(description)
        case .noSpace, .failed: .failed(description)
        }
    }
}
