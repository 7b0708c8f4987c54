import PortalCommon

/// `org.freedesktop.portal.OpenURI`, version 5: opens a URI or a file with
/// the user's handler, launched on the host. The handler comes from GIO
/// (mimeapps.list, desktop files); the backend's AppChooser asks the person
/// when upstream would (first use, several candidates, `ask`), and the
/// answer is remembered in `desktop-used-apps`.
struct OpenURIPortal {
    static let interface = "org.freedesktop.portal.OpenURI"
    static let implInterface = "org.freedesktop.impl.portal.AppChooser"
    /// Internet schemes and folders go straight to the default handler.
    static let defaultSchemes: Set = ["http", "https", "ftp", "mailto", "webcal", "calendar"]
    /// Content a sandboxed app may not have opened from its own files:
    /// running it would run the app's code outside the sandbox.
    static let executableTypes = [
        "application/x-executable", "application/x-sharedlib", "application/x-desktop", "application/x-shellscript",
        "application/x-ms-dos-executable", "application/x-msi", "application/vnd.appimage", "application/x-flatpak",
    ]

    let context: PortalContext
    let entries: DesktopEntries
    let usedApps: UsedApps
    let launcher: HandlerLaunch

    /// What is to be opened, as GIO and the permission store know it.
    struct Target: Sendable {
        var uri: String
        /// The local path of a `file:` target.
        var path: String?
        var scheme: String
        var contentType: String
    }

    struct Options: Sendable {
        var writable: Bool
        var ask: Bool
        var activationToken: String?

        init(_ options: [String: Variant], allowsAsk: Bool) throws(PortalError) {
            writable = try options.option("writable", as: Bool.self) ?? false
            ask = allowsAsk ? try options.option("ask", as: Bool.self) ?? false : false
            activationToken = try options.option("activation_token", as: String.self)
        }
    }

    var definition: DBusInterface {
        let common: [DBusArgument] = [.init("parent_window", "s")]
        return DBusInterface(Self.interface, access: .anyone, methods: [
            DBusMethod("OpenURI", in: common + [.init("uri", "s"), .init("options", "a{sv}")], out: [.init("handle", "o")],
                       .deferredThen { call in try await openURI(call) }),
            DBusMethod("OpenFile", in: common + [.init("fd", "h"), .init("options", "a{sv}")], out: [.init("handle", "o")],
                       .deferredThen { call in try await openFile(call, directory: false) }),
            DBusMethod("OpenDirectory", in: common + [.init("fd", "h"), .init("options", "a{sv}")], out: [.init("handle", "o")],
                       .deferredThen { call in try await openFile(call, directory: true) }),
            DBusMethod("SchemeSupported", in: [.init("scheme", "s"), .init("options", "a{sv}")], out: [.init("supported", "b")],
                       .deferred { call in
                let scheme: String = try call.argument(0)
                guard URISyntax.isScheme(scheme) else {
                    throw PortalError.invalidArgument("\(scheme.debugDescription) is not a URI scheme (letters, digits, '+', '-', '.')")
                }
                let type = "x-scheme-handler/" + scheme.lowercased()
                return [.bool(await entries.run { $0.defaultHandler(for: type) != nil })]
            }),
        ], properties: [.version(5)])
    }

    private func refuseIfLockedDown() throws(PortalError) {
        if context.lockdown.disableApplicationHandlers {
            throw .notAllowed("opening files and URIs is disabled by the administrator (disable-application-handlers in \(Lockdown.fileName))")
        }
    }

    private func openURI(_ call: MethodCall) async throws(PortalError) -> DBusMethod.DeferredReply {
        try refuseIfLockedDown()
        let caller = try call.identifiedCaller
        let uri: String = try call.argument(1)
        let options = try call.argument(2, as: [String: Variant].self)
        let parsed = try Options(options, allowsAsk: true)
        guard let scheme = URISyntax.scheme(of: uri) else {
            throw .invalidArgument("\(uri.debugDescription) is not a URI (scheme:rest, no spaces or control characters)")
        }
        var target = Target(uri: uri, scheme: scheme, contentType: "x-scheme-handler/" + scheme)
        if scheme == "file" {
            // Safe because a path string from a sandbox could name any host
            // file; only a descriptor proves the app may reach the file.
            guard !caller.isSandboxed else {
                throw .notAllowed("a sandboxed app opens local files with OpenFile and a file descriptor, not a file: URI")
            }
            guard let path = FileURI.path(of: uri) else { throw .invalidArgument("\(uri) is not a local file URI") }
            target.path = path
            target.contentType = await entries.run { [launcher] in launcher.contentType(ofPath: path, entries: $0) }
        }
        return try await open(call, caller: caller, target: target, options: parsed, rawOptions: options)
    }

    private func openFile(_ call: MethodCall, directory: Bool) async throws(PortalError) -> DBusMethod.DeferredReply {
        try refuseIfLockedDown()
        let caller = try call.identifiedCaller
        let fd: UnixFD = try call.argument(1)
        let options = try call.argument(2, as: [String: Variant].self)
        var parsed = try Options(options, allowsAsk: !directory)
        // OpenDirectory only shows a folder: like upstream, it has no writable.
        if directory { parsed.writable = false }
        let file = try await CallerFile.locate(fd, caller: caller, documents: context.documents)
        // As upstream: the requested access must match the descriptor's, and
        // a sandbox may not pass a writable descriptor for a read-only open.
        if parsed.writable && !file.isWritable {
            throw .notAllowed("writable was asked for, but the descriptor does not allow writing")
        }
        if caller.isSandboxed && !parsed.writable && file.isWritable && !directory {
            throw .notAllowed("the descriptor is writable but writable was not asked for; pass a read-only descriptor")
        }
        if directory {
            let folder = FileURI.split(file.hostPath).directory
            if await launcher.showInFileManager(FileURI.make(file.hostPath), token: parsed.activationToken) {
                return try await context.startRequest(call, options: options, backend: nil) { _ in (.success, [:]) }
            }
            let target = Target(uri: FileURI.make(folder), path: folder, scheme: "file", contentType: "inode/directory")
            return try await open(call, caller: caller, target: target, options: parsed, rawOptions: options)
        }
        // Fail closed: without GIO no file looks executable.
        if let reason = entries.unavailable {
            throw .failed("cannot tell what \(file.hostPath) is, so it is not opened: \(reason)")
        }
        let (contentType, runnable) = await entries.run { entries -> (String, Bool) in
            let type = file.isDirectory ? "inode/directory"
                : entries.contentType(fileName: FileURI.split(file.hostPath).name, head: file.head)
            return (type, Self.executableTypes.contains { entries.contentType(type, isA: $0) })
        }
        if caller.isSandboxed && (file.isExecutable || file.hostPath.hasSuffix(".desktop") || runnable) {
            throw .notAllowed("\(file.hostPath) is executable (\(contentType)); a sandboxed app may not have it opened on the host")
        }
        let target = Target(uri: FileURI.make(file.hostPath), path: file.hostPath, scheme: "file", contentType: contentType)
        return try await open(call, caller: caller, target: target, options: parsed, rawOptions: options)
    }

    /// Upstream's decision (`handle_open_in_thread_func`): launch directly
    /// when the default is meant for this kind of target, when there is one
    /// candidate, or when the same handler was chosen often enough; ask when
    /// the app or the user's settings say so, and otherwise.
    private func open(_ call: MethodCall, caller: AppInfo, target: Target, options: Options,
                      rawOptions: [String: Variant]) async throws(PortalError) -> DBusMethod.DeferredReply {
        let parentWindow: String = try call.argument(0)
        let contentType = target.contentType
        let (choices, defaultApp, firstChoice) = await entries.run { entries in
            let choices = entries.choices(for: contentType)
            return (choices, entries.defaultHandler(for: contentType).flatMap { entries.exists($0) ? $0 : nil },
                    choices.first.flatMap { entries.exists($0) ? $0 : nil })
        }
        let useDefault = Self.defaultSchemes.contains(target.scheme) || target.contentType == "inode/directory"
        var record = await usedApps.record(contentType: target.contentType, app: caller.appID)
        if let handler = record.handler, !(await entries.run { $0.exists(handler) }) { record.handler = nil }

        var skip = (defaultApp != nil && useDefault) || choices.count == 1
            || (record.handler != nil && record.count >= record.threshold)
        if options.ask || record.alwaysAsk || record.threshold == Int(Int32.max) { skip = false }
        let direct = useDefault ? defaultApp : nil
        if skip, let app = direct ?? record.handler ?? defaultApp ?? firstChoice {
            return try await context.startRequest(call, options: rawOptions, backend: nil) { _ in
                try await launcher.launch(app, target: target, writable: options.writable, parentWindow: parentWindow,
                                          activationToken: options.activationToken)
                return (.success, [:])
            }
        }

        var chooserOptions: [String: Variant] = ["content_type": Variant(target.contentType), "uri": Variant(target.uri)]
        if let last = record.handler ?? defaultApp { chooserOptions["last_choice"] = Variant(last) }
        if let path = target.path { chooserOptions["filename"] = Variant(FileURI.split(path).name) }
        if let token = options.activationToken { chooserOptions["activation_token"] = Variant(token) }
        let backend = try await context.backends.backend(for: Self.implInterface)
        let sentOptions = chooserOptions
        let updates = ChoiceUpdates(entries: entries, connection: context.backends.connection)
        return try await context.startRequest(call, options: rawOptions, backend: backend) { request in
            let following = updates.follow(contentType: target.contentType, shown: choices, handle: request.path, backend: backend)
            defer { following.cancel() }
            let (response, results) = try await context.backends.call(backend, Self.implInterface, "ChooseApplication", [
                .objectPath(request.path), .string(caller.appID), .string(parentWindow), choices.dbusValue, sentOptions.dbusValue,
            ])
            guard response == .success else { return (response, [:]) }
            guard let choice = try results.option("choice", as: String.self), await entries.run({ $0.exists(choice) }) else {
                throw PortalError.failed("the app chooser answered without an installed application as its choice")
            }
            let token = try results.option("activation_token", as: String.self) ?? options.activationToken
            try await launcher.launch(choice, target: target, writable: options.writable, parentWindow: parentWindow,
                                      activationToken: token)
            await usedApps.remember(handler: choice, contentType: target.contentType, app: caller.appID)
            return (.success, [:])
        }
    }
}

/// RFC 3986 scheme syntax, the part of URI validation the portal relies on.
enum URISyntax {
    static func isScheme(_ text: some StringProtocol) -> Bool {
        guard let first = text.utf8.first, isLetter(first) else { return false }
        return text.utf8.allSatisfy { isLetter($0) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2B || $0 == 0x2D || $0 == 0x2E }
    }

    /// The lower-cased scheme of a URI without whitespace or control
    /// characters, or nil.
    static func scheme(of uri: String) -> String? {
        guard uri.utf8.count <= 65536, !uri.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }),
              let colon = uri.firstIndex(of: ":"), isScheme(uri[..<colon]), uri.index(after: colon) < uri.endIndex
        else { return nil }
        return uri[..<colon].lowercased()
    }

    private static func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A }
}
