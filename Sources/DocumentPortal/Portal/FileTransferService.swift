import Logging
import PortalCommon
import Synchronization

/// `org.freedesktop.portal.FileTransfer`, version 1: files handed from one
/// app to another through the clipboard or drag and drop. The sender adds
/// descriptors under a random key; whoever presents the key gets the files
/// — exported into the document store, session-only, when it is sandboxed.
final class FileTransferService: Sendable {
    static let interface = "org.freedesktop.portal.FileTransfer"

    private struct Transfer {
        let owner: BusName
        let writable: Bool
        let autostop: Bool
        var files: [ExportedFile] = []
    }

    private let documents: DocumentExports
    private let connection: BusConnection
    private let logger: Logger
    private let transfers = Mutex<[String: Transfer]>([:])

    init(documents: DocumentExports, connection: BusConnection, logger: Logger) {
        self.documents = documents
        self.connection = connection
        self.logger = logger
        // A transfer dies with the app that started it.
        _ = connection.onPeerVanished { [weak self] name in
            guard let self else { return }
            let gone = transfers.withLock { all in all.filter { $0.value.owner.rawValue == name }.map(\.key) }
            for key in gone { close(key) }
        }
    }

    var definition: DBusInterface {
        DBusInterface(Self.interface, access: .anyone, methods: [
            DBusMethod("StartTransfer", in: [.init("options", "a{sv}")], out: [.init("key", "s")], .immediate { [self] call in
                let options: [String: Variant] = try call.argument(0)
                let transfer = Transfer(owner: call.sender, writable: try Self.flag(options, "writable", default: false),
                                        autostop: try Self.flag(options, "autostop", default: true))
                let key = Self.newKey()
                transfers.withLock { $0[key] = transfer }
                return [.string(key)]
            }),
            DBusMethod("AddFiles", in: [.init("key", "s"), .init("fds", "ah"), .init("options", "a{sv}")], .immediate { [self] call in
                let key: String = try call.argument(0)
                let transfer = try owned(key, by: call.sender)
                let caller = try call.identifiedCaller
                var files: [ExportedFile] = []
                for fd in try call.argument(1, as: [UnixFD].self) {
                    let file = try fd.withRawDescriptor { (raw: Int32) throws(PortalError) -> ExportedFile in
                        try documents.exported(raw, caller: caller)
                    }
                    if transfer.writable && !file.writable {
                        throw PortalError.notAllowed("\(file.hostPath) is not writable, but the transfer was started as writable")
                    }
                    files.append(file)
                }
                transfers.withLock { $0[key]?.files += files }
                return []
            }),
            DBusMethod("RetrieveFiles", in: [.init("key", "s"), .init("options", "a{sv}")], out: [.init("files", "as")],
                       .immediate { [self] call in
                let key: String = try call.argument(0)
                guard let transfer = transfers.withLock({ $0[key] }) else { throw PortalError.accessDenied("no transfer with this key") }
                let paths = try retrieve(transfer, for: call.identifiedCaller)
                if transfer.autostop { close(key) }
                return [paths.dbusValue]
            }),
            DBusMethod("StopTransfer", in: [.init("key", "s")], .immediate { [self] call in
                let key: String = try call.argument(0)
                _ = try owned(key, by: call.sender)
                close(key)
                return []
            }),
        ], properties: [.version(1)], signals: [DBusSignal("TransferClosed", [.init("key", "s")])])
    }

    /// Host receivers get the host paths; a sandboxed one gets documents
    /// (read, and write for a writable transfer) under the store's mount,
    /// which its sandbox shows at the same place.
    private func retrieve(_ transfer: Transfer, for receiver: AppInfo) throws(PortalError) -> [String] {
        guard receiver.isSandboxed else { return transfer.files.map(\.hostPath) }
        return try transfer.files.map { (file: ExportedFile) throws(PortalError) -> String in
            let shared = ExportedFile(directory: file.directory, name: file.name, device: file.device, inode: file.inode,
                                      writable: file.writable && transfer.writable, isDirectory: file.isDirectory)
            let document = try documents.store(shared, flags: [.reuseExisting], caller: receiver, app: nil, permissions: [])
            return "\(documents.mountPoint)/\(document.id)/\(document.displayName)"
        }
    }

    private func owned(_ key: String, by sender: BusName) throws(PortalError) -> Transfer {
        // One answer for "no such key" and "not yours": a wrong key tells
        // the caller nothing about which keys exist.
        guard let transfer = transfers.withLock({ $0[key] }), transfer.owner == sender else {
            throw .accessDenied("no transfer with this key was started by this connection")
        }
        return transfer
    }

    private func close(_ key: String) {
        guard let transfer = transfers.withLock({ $0.removeValue(forKey: key) }) else { return }
        connection.emitSignal(path: DocumentsService.path, interface: Self.interface, member: "TransferClosed",
                              [.string(key)], destination: transfer.owner)
    }

    private static func flag(_ options: [String: Variant], _ name: String, default value: Bool) throws(PortalError) -> Bool {
        guard let option = options[name] else { return value }
        guard case .bool(let flag) = option.value else { throw .invalidArgument("option '\(name)' must be a boolean") }
        return flag
    }

    /// 128 random bits: a key is the only proof of being the receiver.
    private static func newKey() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(generator.next() as UInt32, radix: 16) }.joined(separator: "-")
    }
}
