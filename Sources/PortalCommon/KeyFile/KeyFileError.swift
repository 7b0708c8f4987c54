/// A keyfile that could not be read, or a value in it that is not valid.
///
/// Every failure in the keyfile layer — GLib's own parse errors and burrow's
/// validation of `metadata`, `/.flatpak-info` and `.portal` files — is one of
/// these, so a caller always learns *which file, group and key* to look at.
/// On the wire it is an `InvalidArgument`: the file came from outside.
public struct KeyFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file's path or the name the caller gave in-memory data; `nil` when
    /// a single value was parsed on its own (e.g. a command-line option).
    public var fileName: String?
    /// The group (`[Context]`) the problem is in, if it is in one.
    public var group: String?
    /// The key within `group`, if the problem is one key's value.
    public var key: String?
    /// What is wrong, for a person.
    public var message: String

    public init(fileName: String? = nil, group: String? = nil, key: String? = nil, message: String) {
        self.fileName = fileName
        self.group = group
        self.key = key
        self.message = message
    }

    /// `FILE: [GROUP] KEY: MESSAGE`, leaving out the parts that are unknown.
    public var description: String {
        var location: [String] = []
        if let fileName { location.append(fileName + ":") }
        if let group { location.append("[\(group)]") }
        if let key { location.append(key + ":") }
        if location.last?.hasSuffix(":") == false {
            location[location.count - 1] += ":"
        }
        return (location + [message]).joined(separator: " ")
    }

    /// The same error, placed in a file/group/key. Parts already known are
    /// kept: the innermost layer knows best where the problem is.
    func located(fileName: String?, group: String?, key: String?) -> KeyFileError {
        KeyFileError(
            fileName: self.fileName ?? fileName,
            group: self.group ?? group,
            key: self.key ?? key,
            message: message
        )
    }
}

extension KeyFileError: PortalErrorConvertible {
    /// Keyfiles come from apps, repositories and portal packages, never from
    /// burrow itself, so a bad one is the sender's bad argument.
    public var portalError: PortalError { .invalidArgument(description) }
}
