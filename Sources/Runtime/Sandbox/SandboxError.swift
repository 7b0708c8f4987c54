public import PortalCommon

/// A sandbox that cannot be set up as asked: a filter libseccomp refused, a
/// memory file that could not be written, a grant that cannot be mapped.
/// The launcher refuses to start the app; it never starts a weaker sandbox.
public struct SandboxError: Error, Sendable, Hashable, CustomStringConvertible, PortalErrorConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
    public var portalError: PortalError { .failed(message) }
}
