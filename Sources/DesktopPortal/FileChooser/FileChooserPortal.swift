import Glibc
import PortalCommon

/// `org.freedesktop.portal.FileChooser`, version 4: OpenFile, SaveFile and
/// SaveFiles, passed to the backend's impl FileChooser. A sandboxed caller
/// gets the chosen files as documents (`/run/flatpak/doc/ID/NAME`), since
/// the host paths are not visible in its sandbox; a host caller gets the
/// backend's URIs unchanged.
struct FileChooserPortal {
    static let interface = "org.freedesktop.portal.FileChooser"
    static let implInterface = "org.freedesktop.impl.portal.FileChooser"

    enum Kind: String, Sendable {
        case openFile = "OpenFile", saveFile = "SaveFile", saveFiles = "SaveFiles"

        var keys: [OptionKey] {
            switch self {
            case .openFile: FileChooserOptions.openFile
            case .saveFile: FileChooserOptions.saveFile
            case .saveFiles: FileChooserOptions.saveFiles
            }
        }
        /// Path options, mapped to host paths: a folder, or a file.
        var pathOptions: [(name: String, isFile: Bool)] {
            switch self {
            case .openFile, .saveFiles: [("current_folder", false)]
            case .saveFile: [("current_folder", false), ("current_file", true)]
            }
        }
    }

    let context: PortalContext

    var definition: DBusInterface {
        DBusInterface(Self.interface, access: .anyone, methods: [Kind.openFile, .saveFile, .saveFiles].map { kind in
            DBusMethod(kind.rawValue, in: [.init("parent_window", "s"), .init("title", "s"), .init("options", "a{sv}")],
                       out: [.init("handle", "o")], .deferredThen { call in try await handle(kind, call) })
        }, properties: [.version(4)])
    }

    private func handle(_ kind: Kind, _ call: MethodCall) async throws(PortalError) -> DBusMethod.DeferredReply {
        let caller = try call.identifiedCaller
        let parentWindow: String = try call.argument(0)
        let title: String = try call.argument(1)
        let options = try call.argument(2, as: [String: Variant].self)
        if kind != .openFile && context.lockdown.disableSaveToDisk {
            throw .notAllowed("saving files is disabled by the administrator (disable-save-to-disk in \(Lockdown.fileName))")
        }
        var forwarded = try OptionKey.filter(options, kind.keys)
        for (name, isFile) in kind.pathOptions {
            if let path = try await hostPath(option: name, in: options, caller: caller, isFile: isFile) {
                forwarded[name] = Variant(ByteString(path))
            }
        }
        let directory = try options.option("directory", as: Bool.self) ?? false
        let sent = forwarded
        let backend = try await context.backends.backend(for: Self.implInterface)
        return try await context.startRequest(call, options: options, backend: backend) { request in
            let (response, results) = try await context.backends.call(
                backend, Self.implInterface, kind.rawValue,
                [.objectPath(request.path), .string(caller.appID), .string(parentWindow), .string(title), sent.dbusValue])
            guard response == .success else { return (response, ["uris": Variant([String]())]) }
            return (.success, await translate(results, kind: kind, caller: caller, directory: directory))
        }
    }

    /// `current_folder`/`current_file` (`ay`, nul-terminated) as a host path:
    /// a sandbox path is mapped lexically (`AppInfo.hostPath`), a path inside
    /// the document store becomes the document's host path. A hint only: the
    /// backend shows that folder, nothing is granted by it.
    private func hostPath(option name: String, in options: [String: Variant], caller: AppInfo,
                          isFile: Bool) async throws(PortalError) -> String? {
        guard let variant = options[name] else { return nil }
        guard case .bytes(let raw) = variant.value, raw.last == 0 else {
            throw .invalidArgument("option '\(name)' must be a nul-terminated byte string ('ay'), not '\(variant.value.type)'")
        }
        let path = try ByteString(dbusValue: variant.value).string
        let mount = await context.documents.mountPoint()
        guard let mapped = caller.hostPath(for: path, context: .init(documentMount: mount)) else {
            throw .invalidArgument("option '\(name)' must be an absolute path without '.' or '..' elements, not \(path.debugDescription)")
        }
        guard let resolved = await context.documents.hostPath(ofStorePath: mapped) else { return mapped }
        // A file document given as a folder: its folder is the one to show.
        var status = stat()
        if !isFile, stat(resolved, &status) == 0, status.st_mode & S_IFMT != S_IFDIR {
            return FileURI.split(resolved).directory
        }
        return resolved
    }

    /// The backend's results as the caller receives them: `file://` URIs
    /// only, exported through the document portal for a sandboxed caller;
    /// `choices` and `current_filter` passed on when well-formed.
    private func translate(_ results: [String: Variant], kind: Kind, caller: AppInfo,
                           directory: Bool) async -> [String: Variant] {
        var out: [String: Variant] = [:]
        if let choices = results["choices"], choices.value.type == DBusArgument("c", "a(ss)").type { out["choices"] = choices }
        if let filter = results["current_filter"], filter.value.type == DBusArgument("f", "(sa(us))").type {
            out["current_filter"] = filter
        }
        var flags: DocumentRegistration.Flags = [.writable]
        if case .bool(false)? = results["writable"]?.value { flags.remove(.writable) }
        if kind != .openFile { flags.insert(.forSave) }
        if directory && kind == .openFile { flags.insert(.directory) }
        let uris = (results["uris"]?.value.arrayValues ?? []).compactMap(\.stringValue)
        var returned: [String] = []
        for uri in uris {
            guard uri.hasPrefix("file://") else {
                context.logger.warning("backend returned \(uri.debugDescription): only file:// URIs are allowed; dropped")
                continue
            }
            guard let sandbox = caller.sandbox else {
                returned.append(uri)
                continue
            }
            do {
                returned.append(try await context.documents.register(uri: uri, for: sandbox.appID.rawValue, flags: flags))
            } catch {
                context.logger.warning("could not export \(uri) to \(sandbox.appID): \(error.message); dropped")
            }
        }
        out["uris"] = Variant(returned)
        return out
    }
}
