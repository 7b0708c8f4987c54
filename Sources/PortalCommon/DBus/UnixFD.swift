internal import CLinux
import Glibc

/// A file descriptor owned by Swift: closed exactly once, when the last copy
/// goes. Values carrying fds (D-Bus `h`) are copied around freely, so
/// ownership is shared through a reference-counted owner.
public struct UnixFD: Sendable, Hashable, CustomStringConvertible {
    private final class Owner: Sendable {
        let fd: Int32
        init(_ fd: Int32) { self.fd = fd }
        deinit {
            // EBADF here would mean someone else closed our fd: a bug, not input.
            let result = close(fd)
            assert(result == 0 || burrow_errno() != EBADF, "fd \(fd) was closed behind its owner's back")
        }
    }
    private let owner: Owner

    /// Takes ownership of `fd`; it is closed when the last copy is released.
    public init(takingOwnershipOf fd: Int32) {
        precondition(fd >= 0, "UnixFD needs a valid descriptor")
        owner = Owner(fd)
    }

    /// Duplicates `fd` (close-on-exec, ≥ 3) so the caller keeps its own copy.
    public static func duplicating(_ fd: Int32) throws(PortalError) -> UnixFD {
        let copy = fcntl(fd, F_DUPFD_CLOEXEC, 3)
        guard copy >= 0 else {
            throw .failed("could not duplicate file descriptor \(fd): \(String(cString: strerror(burrow_errno())))")
        }
        return UnixFD(takingOwnershipOf: copy)
    }

    /// The raw descriptor, valid only inside `body` (the owner outlives it).
    public func withRawDescriptor<R, E: Error>(_ body: (Int32) throws(E) -> R) throws(E) -> R {
        try withExtendedLifetime(owner) { () throws(E) -> R in try body(owner.fd) }
    }

    public static func == (lhs: UnixFD, rhs: UnixFD) -> Bool { lhs.owner === rhs.owner }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(owner)) }
    public var description: String { "fd \(owner.fd)" }
}
