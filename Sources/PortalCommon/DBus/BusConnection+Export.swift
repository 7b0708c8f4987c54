internal import CSystemd
import Glibc
import Logging

/// One interface registered at one path: owns the C vtable and its strings
/// for as long as sd-bus may read them.
final class ExportedInterface: @unchecked Sendable {
    // @unchecked: `slot` and the vtable memory are touched on the bus thread
    // only; the definition is immutable.
    let definition: DBusInterface
    let path: ObjectPath
    unowned let connection: BusConnection
    let methodsByName: [String: DBusMethod]
    let propertiesByName: [String: DBusProperty]
    fileprivate var slot: OpaquePointer?
    fileprivate var vtable: UnsafeMutablePointer<sd_bus_vtable>?
    fileprivate var strings: [UnsafeMutablePointer<CChar>] = []

    init(_ definition: DBusInterface, path: ObjectPath, connection: BusConnection) {
        self.definition = definition
        self.path = path
        self.connection = connection
        methodsByName = Dictionary(definition.methods.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        propertiesByName = Dictionary(definition.properties.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
    }

    /// A C string that lives as long as this registration.
    fileprivate func keep(_ bytes: [UInt8]) -> UnsafePointer<CChar> {
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
        for (i, b) in bytes.enumerated() { p[i] = CChar(bitPattern: b) }
        p[bytes.count] = 0
        strings.append(p)
        return UnsafePointer(p)
    }
    fileprivate func keep(_ s: String) -> UnsafePointer<CChar> { keep(Array(s.utf8)) }

    /// sd-bus's names list, as SD_BUS_METHOD_WITH_NAMES builds it: every
    /// in-name then every out-name, each followed by a NUL, with no separator
    /// between the two lists (sd-bus splits them by counting the signature's
    /// types). `keep` adds the final NUL that ends the list.
    fileprivate func names(_ inputs: [DBusArgument], _ outputs: [DBusArgument]) -> UnsafePointer<CChar> {
        var bytes: [UInt8] = []
        for a in inputs + outputs { bytes += Array(a.name.utf8) + [0] }
        return keep(bytes)
    }

    fileprivate func buildVTable() {
        var entries: [sd_bus_vtable] = [burrow_vtable_start()]
        // Identity and authorization are burrow's job (one hook, below), not
        // sd-bus's uid check, so every member is marked unprivileged.
        for method in definition.methods {
            entries.append(burrow_vtable_method(keep(method.name), keep(method.inputSignature), keep(method.outputSignature),
                                                names(method.inputs, method.outputs), methodTrampoline, burrow_vtable_unprivileged))
        }
        for property in definition.properties {
            let flags = property.isConstant ? burrow_vtable_property_const : 0
            entries.append(burrow_vtable_property(keep(property.name), keep(property.type.signature), propertyTrampoline, flags))
        }
        for signal in definition.signals {
            entries.append(burrow_vtable_signal(keep(signal.name), keep(signal.signature), names(signal.arguments, []), 0))
        }
        entries.append(burrow_vtable_end())
        let table = UnsafeMutablePointer<sd_bus_vtable>.allocate(capacity: entries.count)
        table.initialize(from: entries, count: entries.count)
        vtable = table
    }

    /// Removes the registration (bus thread). The vtable and its strings
    /// stay until the last reference goes: sd-bus copies a pointer to the
    /// method's reply signature from the vtable into every call it
    /// dispatches, and checks the reply against it. A deferred reply built
    /// after unexporting — a Request object removed while its Close is
    /// answered — would otherwise read freed memory and fail to send
    /// (ENOMSG), leaving the caller waiting. Calls in flight hold a
    /// reference (see `run`), so the memory lives until they are answered.
    fileprivate func release() {
        if let slot { burrow_sd_bus_slot_unref(slot) }
        slot = nil
    }

    deinit {
        // Freed only once unregistered; a registration still in sd-bus's
        // tables (connection closed without unexport) keeps its memory.
        guard slot == nil else { return }
        vtable?.deallocate()
        for s in strings { s.deallocate() }
    }
}

/// Removes an exported interface when cancelled (e.g. a Request object).
public struct ExportRegistration: Sendable {
    let exported: ExportedInterface
    public func unexport() { exported.connection.unexport(exported) }
}

extension BusConnection {
    /// Exports `interface` at `path`. Introspection, Properties and signature
    /// checking (InvalidArgs) come from sd-bus; calls reach the handlers only
    /// after the caller is identified and authorized.
    @discardableResult
    public func export(_ interface: DBusInterface, at path: ObjectPath) async throws(PortalError) -> ExportRegistration {
        let exported = ExportedInterface(interface, path: path, connection: self)
        try await loop.perform { bus throws(PortalError) in
            exported.buildVTable()
            var slot: OpaquePointer?
            let r = burrow_sd_bus_add_object_vtable(bus, &slot, path.rawValue, exported.keep(interface.name), exported.vtable,
                                             Unmanaged.passUnretained(exported).toOpaque())
            guard r >= 0 else {
                exported.release()
                throw .failed("could not export \(interface.name) at \(path): \(String(cString: strerror(-r)))")
            }
            exported.slot = slot
        }
        state.withLock { $0.exported[ObjectIdentifier(exported)] = exported }
        return ExportRegistration(exported: exported)
    }

    func unexport(_ exported: ExportedInterface) {
        guard state.withLock({ $0.exported.removeValue(forKey: ObjectIdentifier(exported)) }) != nil else { return }
        loop.submit { exported.release() }
    }

    // MARK: Dispatch (bus thread)

    fileprivate func dispatch(_ message: Message, to exported: ExportedInterface) {
        guard let member = message.member, let method = exported.methodsByName[member] else {
            reply(to: message, .failure(.unknownMethod("no method \(message.member ?? "?") on \(exported.definition.name)")))
            return
        }
        let arguments: [DBusValue]
        let sender: BusName
        do throws(PortalError) {
            arguments = try message.readAll()
            sender = try BusName(message.sender ?? "")
        } catch {
            reply(to: message, .failure(error))
            return
        }
        let policy = method.access ?? exported.definition.access
        let makeCall = { (caller: AppInfo?) in
            MethodCall(sender: sender, caller: caller, path: exported.path, interface: exported.definition.name,
                       member: member, arguments: arguments, connection: self)
        }
        if policy == .bus {
            run(method, makeCall(nil), replyingTo: message, registration: exported)
        } else if let known = identities.cached(sender) {
            // Fast path: a known caller is authorized and served on this thread.
            do throws(PortalError) {
                try Authorization.authorize(known, policy: policy, method: "\(exported.definition.name).\(member)")
                identities.noteServed(sender, interface: exported.definition.name)
                run(method, makeCall(known), replyingTo: message, registration: exported)
            } catch {
                reply(to: message, .failure(error))
            }
        } else {
            beginReply()
            Task {
                let result: Result<AppInfo, PortalError>
                do throws(PortalError) {
                    let caller = try await self.identities.identify(sender)
                    try Authorization.authorize(caller, policy: policy, method: "\(exported.definition.name).\(member)")
                    result = .success(caller)
                } catch {
                    result = .failure(error)
                }
                self.loop.submit {
                    self.endReply()
                    switch result {
                    case .success(let caller):
                        self.identities.noteServed(sender, interface: exported.definition.name)
                        self.run(method, makeCall(caller), replyingTo: message, registration: exported)
                    case .failure(let error): self.reply(to: message, .failure(error))
                    }
                }
            }
        }
    }

    /// `registration` is the interface the call came through: kept alive
    /// until the reply is built (see `ExportedInterface.release`).
    private func run(_ method: DBusMethod, _ call: MethodCall, replyingTo message: Message, registration: ExportedInterface) {
        switch method.handler {
        case .immediate(let body):
            reply(to: message, Result { try body(call) }.mapError(PortalError.init), method: method)
        case .deferred(let body):
            beginReply()
            Task {
                let result: Result<[DBusValue], PortalError>
                do { result = .success(try await body(call)) } catch { result = .failure(PortalError(error)) }
                self.loop.submit {
                    withExtendedLifetime(registration) { self.reply(to: message, result, method: method) }
                    self.endReply()
                }
            }
        case .deferredThen(let body):
            beginReply()
            Task {
                let result: Result<DBusMethod.DeferredReply, PortalError>
                do { result = .success(try await body(call)) } catch { result = .failure(PortalError(error)) }
                self.loop.submit {
                    self.reply(to: message, result.map(\.values), method: method)
                    self.endReply()
                    // Started only now: whatever it sends is queued after the reply.
                    if case .success(let reply) = result, let followUp = reply.followUp {
                        Task { await followUp() }
                    }
                }
            }
        }
    }

    private func beginReply() { state.withLock { $0.inFlightReplies += 1 } }
    private func endReply() { state.withLock { $0.inFlightReplies -= 1 } }

    /// Sends a method return or error. Must run on the bus thread.
    fileprivate func reply(to message: Message, _ result: Result<[DBusValue], PortalError>, method: DBusMethod? = nil) {
        var outcome = result
        if case .success(let values) = result, let method {
            let produced = values.map(\.type.signature).joined()
            if produced != method.outputSignature {
                logger.error("\(method.name) produced '\(produced)' but declares '\(method.outputSignature)'")
                outcome = .failure(.failed("internal error: \(method.name) produced a reply of the wrong type"))
            }
        }
        switch outcome {
        case .success(let values):
            var raw: OpaquePointer?
            guard burrow_sd_bus_message_new_method_return(message.raw, &raw) >= 0, let raw else { return }
            let reply = Message(adopting: raw)
            do throws(PortalError) {
                try reply.append(values)
            } catch {
                logger.error("could not build the reply to \(message.member ?? "?"): \(error.message)")
                sendError(to: message, .failed("internal error building the reply: \(error.message)"))
                return
            }
            let r = burrow_sd_bus_send(nil, raw, nil)
            if r < 0 { logger.debug("reply to \(message.member ?? "?") not sent: \(String(cString: strerror(-r)))") }
        case .failure(let error):
            logger.debug("\(message.member ?? "?") from \(message.sender ?? "?") failed: \(error)")
            sendError(to: message, error)
        }
    }

    private func sendError(to message: Message, _ error: PortalError) {
        var e = burrow_bus_error_null()
        _ = burrow_sd_bus_error_set(&e, error.name, error.message)
        _ = burrow_sd_bus_reply_method_error(message.raw, &e)
        burrow_sd_bus_error_free(&e)
    }

    fileprivate func appendProperty(_ property: DBusProperty, to reply: Message) throws(PortalError) {
        let value = property.get()
        guard value.type == property.type else {
            throw .failed("internal error: property \(property.name) has type '\(value.type)', declared '\(property.type)'")
        }
        try reply.append(value)
    }
}

private func methodTrampoline(_ m: OpaquePointer?, _ userdata: UnsafeMutableRawPointer?, _ error: UnsafeMutablePointer<sd_bus_error>?) -> Int32 {
    guard let m, let userdata else { return -EINVAL }
    let exported = Unmanaged<ExportedInterface>.fromOpaque(userdata).takeUnretainedValue()
    exported.connection.dispatch(Message(retaining: m), to: exported)
    return 1
}

private func propertyTrampoline(
    _ bus: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ interface: UnsafePointer<CChar>?, _ property: UnsafePointer<CChar>?,
    _ reply: OpaquePointer?, _ userdata: UnsafeMutableRawPointer?, _ busError: UnsafeMutablePointer<sd_bus_error>?
) -> Int32 {
    guard let reply, let userdata, let property else { return -EINVAL }
    let exported = Unmanaged<ExportedInterface>.fromOpaque(userdata).takeUnretainedValue()
    guard let definition = exported.propertiesByName[String(cString: property)] else { return -ENOENT }
    do throws(PortalError) {
        try exported.connection.appendProperty(definition, to: Message(retaining: reply))
        return 1
    } catch {
        return burrow_sd_bus_error_set(busError, error.name, error.message)
    }
}
