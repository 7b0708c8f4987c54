/// A D-Bus interface exported from Swift: methods, properties and signals with
/// argument names, so introspection is complete. Only what is listed here is
/// exported — a method that is not implemented does not appear at all.
public struct DBusInterface: Sendable {
    public let name: String
    public var methods: [DBusMethod]
    public var properties: [DBusProperty]
    public var signals: [DBusSignal]
    /// Who may call this interface's methods; checked in one place before
    /// any handler runs (see `Authorization`).
    public var access: AccessPolicy

    public init(
        _ name: String,
        access: AccessPolicy,
        methods: [DBusMethod] = [],
        properties: [DBusProperty] = [],
        signals: [DBusSignal] = []
    ) {
        precondition(DBusNameRules.isValidInterface(name), "invalid interface name \(name)")
        self.name = name
        self.access = access
        self.methods = methods
        self.properties = properties
        self.signals = signals
    }
}

/// One named argument of a method or signal.
public struct DBusArgument: Sendable, Hashable {
    public let name: String
    public let type: DBusType

    /// `signature` must be one complete type; a bad literal is a programming error.
    public init(_ name: String, _ signature: String) {
        let types: [DBusType]
        do { types = try DBusType.parse(signature) } catch { preconditionFailure("bad signature \(signature): \(error)") }
        precondition(types.count == 1, "argument \(name) must have one complete type, not \(signature)")
        self.name = name
        self.type = types[0]
    }
}

public struct DBusMethod: Sendable {
    public enum Handler: Sendable {
        /// Runs on the bus thread and answers at once: for cheap work only
        /// (lookups, validation), never blocking I/O.
        case immediate(@Sendable (MethodCall) throws -> [DBusValue])
        /// Runs as a task; the reply is sent when it finishes, while the bus
        /// thread keeps serving other calls.
        case deferred(@Sendable (MethodCall) async throws -> [DBusValue])
        /// Like `deferred`, but the body also returns work to start once the
        /// reply is queued on the bus thread: a Request-style method's
        /// `Response` signal then can never reach the caller before the
        /// handle it belongs to.
        case deferredThen(@Sendable (MethodCall) async throws -> DeferredReply)
    }

    /// A reply plus the work that follows it (see `Handler.deferredThen`).
    public struct DeferredReply: Sendable {
        public var values: [DBusValue]
        public var followUp: (@Sendable () async -> Void)?
        public init(_ values: [DBusValue], then followUp: (@Sendable () async -> Void)? = nil) {
            self.values = values
            self.followUp = followUp
        }
    }

    public let name: String
    public let inputs: [DBusArgument]
    public let outputs: [DBusArgument]
    public let handler: Handler
    /// Overrides the interface's access policy for this one method.
    public let access: AccessPolicy?

    public init(_ name: String, in inputs: [DBusArgument] = [], out outputs: [DBusArgument] = [], access: AccessPolicy? = nil, _ handler: Handler) {
        precondition(DBusNameRules.isValidMember(name), "invalid member name \(name)")
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.access = access
        self.handler = handler
    }

    var inputSignature: String { inputs.map(\.type.signature).joined() }
    var outputSignature: String { outputs.map(\.type.signature).joined() }
}

public struct DBusProperty: Sendable {
    public let name: String
    public let type: DBusType
    /// True for values that never change (`version`): clients may cache them.
    public let isConstant: Bool
    /// Runs on the bus thread; must be cheap.
    public let get: @Sendable () -> DBusValue

    public init(_ name: String, _ signature: String, constant: Bool = false, get: @escaping @Sendable () -> DBusValue) {
        self.name = name
        self.type = DBusArgument(name, signature).type
        self.isConstant = constant
        self.get = get
    }

    /// The `version` (u) property every portal interface carries.
    public static func version(_ version: UInt32) -> DBusProperty {
        DBusProperty("version", "u", constant: true) { .uint32(version) }
    }
}

public struct DBusSignal: Sendable {
    public let name: String
    public let arguments: [DBusArgument]
    public init(_ name: String, _ arguments: [DBusArgument] = []) {
        precondition(DBusNameRules.isValidMember(name), "invalid member name \(name)")
        self.name = name
        self.arguments = arguments
    }
    var signature: String { arguments.map(\.type.signature).joined() }
}

/// A method call as a handler sees it: who called (from the bus, never from
/// arguments), what, and typed access to the arguments.
public struct MethodCall: Sendable {
    public let sender: BusName
    /// The caller as identified by the bus (nil only for `AccessPolicy.bus`
    /// interfaces, which skip identification).
    public let caller: AppInfo?
    public let path: ObjectPath
    public let interface: String
    public let member: String
    public let arguments: [DBusValue]
    public let connection: BusConnection

    /// Argument `index` as `T`. sd-bus has already matched the signature, so a
    /// mismatch here means the handler and its declaration disagree.
    public func argument<T: DBusRepresentable>(_ index: Int, as type: T.Type = T.self) throws(PortalError) -> T {
        guard arguments.indices.contains(index) else {
            throw .invalidArgs("\(member) expects at least \(index + 1) arguments")
        }
        return try T(dbusValue: arguments[index])
    }

    /// The identified caller; interfaces other than `.bus` always have one.
    public var identifiedCaller: AppInfo {
        get throws(PortalError) {
            guard let caller else { throw .failed("\(member): the caller was not identified") }
            return caller
        }
    }
}
