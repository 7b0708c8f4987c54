/// The only error that crosses the wire: a D-Bus error name and a message a
/// person can act on. Every other error is turned into one of these in
/// `PortalError.init(_:)`, the single mapping point.
public struct PortalError: Error, Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let message: String

    public init(name: String, message: String) {
        self.name = name
        self.message = message
    }

    public var description: String { "\(name): \(message)" }

    // org.freedesktop.portal.Error.* — what portal methods answer.
    public static func invalidArgument(_ message: String) -> Self {
        Self(name: "org.freedesktop.portal.Error.InvalidArgument", message: message)
    }
    public static func notAllowed(_ message: String) -> Self {
        Self(name: "org.freedesktop.portal.Error.NotAllowed", message: message)
    }
    public static func notFound(_ message: String) -> Self {
        Self(name: "org.freedesktop.portal.Error.NotFound", message: message)
    }
    public static func failed(_ message: String) -> Self {
        Self(name: "org.freedesktop.portal.Error.Failed", message: message)
    }
    public static func exists(_ message: String) -> Self {
        Self(name: "org.freedesktop.portal.Error.Exists", message: message)
    }
    public static func cancelled(_ message: String) -> Self {
        Self(name: "org.freedesktop.portal.Error.Cancelled", message: message)
    }

    // org.freedesktop.DBus.Error.* — protocol-level answers.
    public static func invalidArgs(_ message: String) -> Self {
        Self(name: "org.freedesktop.DBus.Error.InvalidArgs", message: message)
    }
    public static func accessDenied(_ message: String) -> Self {
        Self(name: "org.freedesktop.DBus.Error.AccessDenied", message: message)
    }
    public static func notSupported(_ message: String) -> Self {
        Self(name: "org.freedesktop.DBus.Error.NotSupported", message: message)
    }
    public static func unknownMethod(_ message: String) -> Self {
        Self(name: "org.freedesktop.DBus.Error.UnknownMethod", message: message)
    }
    public static func noReply(_ message: String) -> Self {
        Self(name: "org.freedesktop.DBus.Error.NoReply", message: message)
    }

    /// The one place any error becomes a wire error. A `PortalError` passes
    /// through; anything else is a failure whose text is kept for the person
    /// reading the reply (never a crash, never a silent success).
    public init(_ error: any Error) {
        if let portal = error as? PortalError {
            self = portal
        } else if let convertible = error as? any PortalErrorConvertible {
            self = convertible.portalError
        } else {
            self = .failed(String(describing: error))
        }
    }
}

/// Library errors (SQLite, keyfiles, syscalls) say which portal error they are.
public protocol PortalErrorConvertible: Error {
    var portalError: PortalError { get }
}
