import PortalCommon
import TestSupport

extension StoreDaemon {
    /// The reply, or the error's name: what two implementations must agree on.
    func outcome(_ member: String, _ arguments: [DBusValue]) async -> Outcome {
        do {
            var reply = try await call(member, arguments).map(Outcome.canonical)
            if member == "List", case .array(let element, let ids)? = reply.first {
                reply = [.array(element: element, ids.sorted { $0.description < $1.description })]
            }
            return .reply(reply)
        } catch {
            return .error(error.name)
        }
    }
}

enum Outcome: Equatable, CustomStringConvertible {
    case reply([DBusValue])
    case error(String)

    var description: String {
        switch self {
        case .reply(let values): "reply \(values)"
        case .error(let name): "error \(name)"
        }
    }

    /// Dictionaries carry no meaningful order on the wire; sort their
    /// entries so two correct stores compare equal. (List's ids are sorted by
    /// `outcome`; permission lists keep their order, which matters.)
    static func canonical(_ value: DBusValue) -> DBusValue {
        switch value {
        case .variant(let inner): return .variant(canonical(inner))
        case .array(let element, let values): return .array(element: element, values.map(canonical))
        case .dictionary(let key, let valueType, let entries):
            return .dictionary(key: key, value: valueType, entries
                .map { DBusValue.DictEntry(canonical($0.key), canonical($0.value)) }
                .sorted { $0.key.description < $1.key.description })
        case .structure(let fields): return .structure(fields.map(canonical))
        default: return value
        }
    }
}
