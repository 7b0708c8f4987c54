import Glibc
import Logging
import PortalCommon

/// `org.freedesktop.portal.Documents`, version 5.
///
/// Handlers run on the bus thread, in arrival order (`.immediate`): each is
/// a few syscalls and one SQLite transaction, and ordering means an app's
/// Add followed by GrantPermissions always sees its own document. AddFull
/// and AddNamedFull are the exception (`.deferred`): as-needed-by-app asks
/// `burrow info`, which must not stall every other caller; a client still
/// gets their reply before it can send its next call.
struct DocumentsService {
    static let name: BusName = "org.freedesktop.portal.Documents"
    static let path: ObjectPath = "/org/freedesktop/portal/documents"
    static let interface = "org.freedesktop.portal.Documents"

    let documents: DocumentExports
    let logger: Logger

    var definition: DBusInterface {
        DBusInterface(Self.interface, access: .anyone, methods: [
            DBusMethod("GetMountPoint", out: [.init("path", "ay")], .immediate { _ in
                [.bytes(Array(documents.mountPoint.utf8) + [0])]
            }),
            DBusMethod("Add", in: [.init("o_path_fd", "h"), .init("reuse_existing", "b"), .init("persistent", "b")],
                       out: [.init("doc_id", "s")], .immediate { call in
                let flags: AddFlags = [try call.argument(1, as: Bool.self) ? .reuseExisting : [],
                                       try call.argument(2, as: Bool.self) ? .persistent : []]
                let id = try documents.add(fds: [call.argument(0)], flags: flags, caller: call.identifiedCaller,
                                           app: nil, permissions: [])
                return [.string(id[0])]
            }),
            DBusMethod("AddNamed", in: [.init("o_path_parent_fd", "h"), .init("filename", "ay"),
                                        .init("reuse_existing", "b"), .init("persistent", "b")],
                       out: [.init("doc_id", "s")], .immediate { call in
                let flags: AddFlags = [try call.argument(2, as: Bool.self) ? .reuseExisting : [],
                                       try call.argument(3, as: Bool.self) ? .persistent : []]
                let id = try documents.addNamed(parent: call.argument(0), name: Self.fileName(call.argument(1)),
                                                flags: flags, caller: call.identifiedCaller, app: nil, permissions: [])
                return [.string(id)]
            }),
            DBusMethod("AddFull", in: [.init("o_path_fds", "ah"), .init("flags", "u"), .init("app_id", "s"),
                                       .init("permissions", "as")],
                       out: [.init("doc_ids", "as"), .init("extra_out", "a{sv}")], .deferred { call in
                // Off the bus thread: as-needed-by-app runs `burrow info`.
                let ids = try documents.add(fds: call.argument(0), flags: AddFlags.checked(call.argument(1), directories: true),
                                            caller: call.identifiedCaller, app: Self.appID(call.argument(2)),
                                            permissions: DocumentPermissions(names: call.argument(3)))
                return [ids.dbusValue, mountPointExtra]
            }),
            DBusMethod("AddNamedFull", in: [.init("o_path_fd", "h"), .init("filename", "ay"), .init("flags", "u"),
                                            .init("app_id", "s"), .init("permissions", "as")],
                       out: [.init("doc_id", "s"), .init("extra_out", "a{sv}")], .deferred { call in
                let id = try documents.addNamed(parent: call.argument(0), name: Self.fileName(call.argument(1)),
                                                flags: AddFlags.checked(call.argument(2), directories: false),
                                                caller: call.identifiedCaller, app: Self.appID(call.argument(3)),
                                                permissions: DocumentPermissions(names: call.argument(4)))
                return [.string(id), mountPointExtra]
            }),
            DBusMethod("GrantPermissions", in: [.init("doc_id", "s"), .init("app_id", "s"), .init("permissions", "as")],
                       .immediate { call in
                try documents.grant(call.argument(0), app: Self.requiredAppID(call.argument(1)),
                                    DocumentPermissions(names: call.argument(2)), caller: call.identifiedCaller)
                return []
            }),
            DBusMethod("RevokePermissions", in: [.init("doc_id", "s"), .init("app_id", "s"), .init("permissions", "as")],
                       .immediate { call in
                try documents.revoke(call.argument(0), app: Self.requiredAppID(call.argument(1)),
                                     DocumentPermissions(names: call.argument(2)), caller: call.identifiedCaller)
                return []
            }),
            DBusMethod("Delete", in: [.init("doc_id", "s")], .immediate { call in
                try documents.delete(call.argument(0), caller: call.identifiedCaller)
                return []
            }),
            DBusMethod("Lookup", in: [.init("filename", "ay")], out: [.init("doc_id", "s")], access: .hostOnly, .immediate { call in
                [.string(try documents.lookup(path: Self.path(try call.argument(0))) ?? "")]
            }),
            DBusMethod("Info", in: [.init("doc_id", "s")], out: [.init("path", "ay"), .init("apps", "a{sas}")],
                       access: .hostOnly, .immediate { call in
                let document = try documents.existing(call.argument(0))
                return [.bytes(Array(document.hostPath.utf8) + [0]), document.permissions.mapValues(\.names).dbusValue]
            }),
            DBusMethod("List", in: [.init("app_id", "s")], out: [.init("docs", "a{say}")], access: .hostOnly, .immediate { call in
                let app: String = try call.argument(0)
                let listed = documents.store.documents(visibleTo: app.isEmpty ? nil : app)
                return [Self.pathMap(listed)]
            }),
            DBusMethod("GetHostPaths", in: [.init("doc_ids", "as")], out: [.init("paths", "a{say}")], .immediate { call in
                let caller = try call.identifiedCaller
                let ids: [String] = try call.argument(0)
                // Unknown ids and documents the caller may not read are left
                // out of the answer, as upstream does, not reported.
                let readable = ids.compactMap(documents.store.document).filter {
                    !caller.isSandboxed || $0.permissions(for: caller.appID).contains(.read)
                }
                return [Self.pathMap(readable)]
            }),
        ], properties: [.version(5)])
    }

    private var mountPointExtra: DBusValue {
        [String: Variant](dictionaryLiteral: ("mountpoint", Variant(.bytes(Array(documents.mountPoint.utf8) + [0])))).dbusValue
    }

    private static func pathMap(_ documents: [Document]) -> DBusValue {
        .dictionary(key: .string, value: .array(.byte), documents.sorted { $0.id < $1.id }.map {
            .init(.string($0.id), .bytes(Array($0.hostPath.utf8) + [0]))
        })
    }

    /// A byte-string file name: nul-terminated on the wire by convention.
    private static func path(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    private static func fileName(_ bytes: [UInt8]) throws(PortalError) -> String {
        let name = path(bytes)
        guard ExportedFile.isPlainName(name) else {
            throw .invalidArgument("'\(name)' is not a plain file name (no '/', '.', '..' or empty)")
        }
        return name
    }

    /// `""` means "no app" in AddFull and AddNamedFull.
    private static func appID(_ text: String) throws(PortalError) -> String? {
        text.isEmpty ? nil : try requiredAppID(text)
    }

    private static func requiredAppID(_ text: String) throws(PortalError) -> String {
        if let reason = AppID.invalidityReason(text) { throw .invalidArgument("'\(text)' is not an app id: \(reason)") }
        return text
    }
}
