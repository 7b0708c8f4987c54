public import PortalCommon

/// A failure of installing or publishing that is not libostree's own
/// (those are `OSTreeError`): a ref that is not installed, a commit or
/// build directory that fails its checks, a syscall that failed on an
/// installation path.
public struct InstallerError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case notInstalled
        case alreadyInstalled
        case unknownRemote
        /// A commit or build directory that is not what it claims to be
        /// (wrong ref, metadata that does not match, missing files).
        case invalidContent
        /// A remote still used by installed refs.
        case remoteInUse
        /// A web server did not answer, or answered with an error.
        case unreachable
        /// A syscall failed; `errno` says why.
        case system(errno: Int32)
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

extension InstallerError: PortalErrorConvertible {
    public var portalError: PortalError {
        switch kind {
        case .notInstalled, .unknownRemote: .notFound(message)
        case .alreadyInstalled: .exists(message)
        case .invalidContent: .invalidArgument(message)
        case .remoteInUse: .notAllowed(message)
        case .system, .unreachable: .failed(message)
        }
    }
}
