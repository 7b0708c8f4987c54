import Logging
import PortalCommon

/// The handlers a person chose, per app and content type, in the permission
/// store table `desktop-used-apps` — the same entries upstream keeps, so
/// `flatpak permission-show` and GNOME Settings read them: id = content type,
/// app → `[handler, count, threshold]`, data `{always-ask: b}`.
struct UsedApps: Sendable {
    static let table = "desktop-used-apps"
    static let defaultThreshold = 3

    struct Record: Sendable, Equatable {
        var handler: String?
        var count = 0
        var threshold = UsedApps.defaultThreshold
        /// The user asked to be asked every time for this content type.
        var alwaysAsk = false
    }

    let store: PermissionStoreClient
    let logger: Logger

    /// What is remembered; an empty record when nothing is, or when the
    /// store cannot be reached (the chooser is then shown, which is safe).
    func record(contentType: String, app: String) async -> Record {
        let entry: PermissionStoreClient.Entry?
        do {
            entry = try await store.lookup(table: Self.table, id: contentType)
        } catch {
            logger.warning("cannot read \(Self.table)/\(contentType) from the permission store: \(error.message)")
            return Record()
        }
        guard let entry else { return Record() }
        var record = Record()
        if case .dictionary(.string, .variant, let items) = entry.data,
           let ask = items.first(where: { $0.key == .string("always-ask") }), case .variant(.bool(let value)) = ask.value {
            record.alwaysAsk = value
        }
        if let permissions = entry.permissions[app], permissions.count >= 2 {
            record.handler = permissions[0]
            record.count = Int(permissions[1]) ?? 0
            if permissions.count >= 3, let threshold = Int(permissions[2].trimmingCharacters(in: " \t")) {
                record.threshold = threshold
            }
        }
        return record
    }

    /// Counts one more use of `handler` (up to the threshold) or starts
    /// over at 1 for a different handler.
    func remember(handler: String, contentType: String, app: String) async {
        var record = await record(contentType: contentType, app: app)
        if record.handler == handler {
            record.count = min(record.count + 1, record.threshold)
        } else {
            record = Record(handler: handler, count: 1, threshold: record.threshold)
        }
        do {
            try await store.setPermission(table: Self.table, create: true, id: contentType, app: app,
                                          permissions: [handler, String(record.count), String(record.threshold)])
        } catch {
            logger.warning("cannot remember \(handler) for \(contentType): \(error.message)")
        }
    }
}

