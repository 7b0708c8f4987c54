internal import CLinux
import Glibc
import PortalCommon

/// `org.freedesktop.portal.Print`, version 4. The backend's impl Print shows
/// the dialog and does the printing (burrow's terminal backend hands the
/// document to CUPS with `lp`); this side checks the caller's input,
/// honours `disable-printing`, and passes the document on as the very
/// descriptor the app sent.
struct PrintPortal {
    static let interface = "org.freedesktop.portal.Print"
    static let implInterface = "org.freedesktop.impl.portal.Print"

    @Sendable static func checkFormats(_ value: DBusValue, _ options: [String: Variant]) throws(PortalError) {
        let formats = (value.arrayValues ?? []).compactMap(\.stringValue)
        guard !formats.isEmpty else { throw .invalidArgument("supported_output_file_formats is empty") }
        for format in formats where !["pdf", "ps", "svg"].contains(format) {
            throw .invalidArgument("output file format \(format.debugDescription) is not one of: pdf, ps, svg")
        }
    }

    static let prepareOptions: [OptionKey] = [
        OptionKey("modal", "b"), OptionKey("accept_label", "s"),
        OptionKey("supported_output_file_formats", "as", check: checkFormats),
        OptionKey("has_current_page", "b"), OptionKey("has_selected_pages", "b"),
    ]
    static let printOptions: [OptionKey] = [
        OptionKey("token", "u"), OptionKey("modal", "b"),
        OptionKey("supported_output_file_formats", "as", check: checkFormats),
    ]
    /// What PreparePrint passes back to the app (upstream's `response_options`).
    static let prepareResults: [OptionKey] = [OptionKey("settings", "a{sv}"), OptionKey("page-setup", "a{sv}"), OptionKey("token", "u")]

    let context: PortalContext

    var definition: DBusInterface {
        DBusInterface(Self.interface, access: .anyone, methods: [
            DBusMethod("PreparePrint", in: [.init("parent_window", "s"), .init("title", "s"), .init("settings", "a{sv}"),
                                            .init("page_setup", "a{sv}"), .init("options", "a{sv}")],
                       out: [.init("handle", "o")], .deferredThen { call in try await prepare(call) }),
            DBusMethod("Print", in: [.init("parent_window", "s"), .init("title", "s"), .init("fd", "h"), .init("options", "a{sv}")],
                       out: [.init("handle", "o")], .deferredThen { call in try await print(call) }),
        ], properties: [.version(4)])
    }

    private func refuseIfLockedDown() throws(PortalError) {
        if context.lockdown.disablePrinting {
            throw .notAllowed("printing is disabled by the administrator (disable-printing in \(Lockdown.fileName))")
        }
    }

    private func prepare(_ call: MethodCall) async throws(PortalError) -> DBusMethod.DeferredReply {
        try refuseIfLockedDown()
        let caller = try call.identifiedCaller
        let (parentWindow, title): (String, String) = (try call.argument(0), try call.argument(1))
        let settings = call.arguments[2], pageSetup = call.arguments[3]
        let options = try call.argument(4, as: [String: Variant].self)
        let forwarded = try OptionKey.filter(options, Self.prepareOptions)
        let backend = try await context.backends.backend(for: Self.implInterface)
        return try await context.startRequest(call, options: options, backend: backend) { request in
            let (response, results) = try await context.backends.call(backend, Self.implInterface, "PreparePrint", [
                .objectPath(request.path), .string(caller.appID), .string(parentWindow), .string(title),
                settings, pageSetup, forwarded.dbusValue,
            ])
            guard response == .success else { return (response, [:]) }
            // Only well-typed results reach the app; anything else is dropped.
            return (.success, results.filter { key, value in
                Self.prepareResults.contains { $0.name == key && $0.type == value.value.type }
            })
        }
    }

    private func print(_ call: MethodCall) async throws(PortalError) -> DBusMethod.DeferredReply {
        try refuseIfLockedDown()
        let caller = try call.identifiedCaller
        let (parentWindow, title): (String, String) = (try call.argument(0), try call.argument(1))
        let document: UnixFD = try call.argument(2)
        try Self.checkDocument(document)
        let options = try call.argument(3, as: [String: Variant].self)
        let forwarded = try OptionKey.filter(options, Self.printOptions)
        let backend = try await context.backends.backend(for: Self.implInterface)
        return try await context.startRequest(call, options: options, backend: backend) { request in
            let (response, _) = try await context.backends.call(backend, Self.implInterface, "Print", [
                .objectPath(request.path), .string(caller.appID), .string(parentWindow), .string(title),
                .unixFD(document), forwarded.dbusValue,
            ])
            return (response, [:])
        }
    }

    /// The document must be a readable regular file holding PDF or
    /// PostScript: checked here so a backend (and CUPS) never receives a
    /// directory, a device, a write-only or O_PATH descriptor, or arbitrary
    /// bytes. Read with pread, so the app's file offset stays where it was.
    static func checkDocument(_ fd: UnixFD) throws(PortalError) {
        try fd.withRawDescriptor { raw throws(PortalError) in
            var status = stat()
            guard fstat(raw, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
                throw .invalidArgument("Print needs a descriptor of a regular file (the document to print)")
            }
            let flags = fcntl(raw, F_GETFL)
            guard flags >= 0, flags & burrow_o_path == 0, flags & O_ACCMODE != O_WRONLY else {
                throw .invalidArgument("the document's descriptor must be open for reading")
            }
            var head = [UInt8](repeating: 0, count: 5)
            let count = head.withUnsafeMutableBytes { pread(raw, $0.baseAddress, 5, 0) }
            let prefix = Array(head.prefix(max(count, 0)))
            guard prefix.starts(with: Array("%PDF-".utf8)) || prefix.starts(with: Array("%!".utf8)) else {
                throw .invalidArgument("the document is neither PDF (%PDF-) nor PostScript (%!); print those formats only")
            }
        }
    }
}
