import Glibc
import PortalCommon
import Synchronization

/// org.freedesktop.impl.portal.Print: PreparePrint asks for a printer and
/// returns settings plus a token; Print with that token prints without
/// asking again, and without one asks first. Jobs go to CUPS with `lp`.
struct PrintBackend: Sendable {
    static let interface = "org.freedesktop.impl.portal.Print"
    let agent: PromptAgent
    let cups: CupsClient
    let tokens = PrintTokens()

    var definition: DBusInterface {
        DBusInterface(Self.interface, access: PromptAgent.access, methods: [
            DBusMethod("Print",
                       in: [.init("handle", "o"), .init("app_id", "s"), .init("parent_window", "s"), .init("title", "s"),
                            .init("fd", "h"), .init("options", "a{sv}")],
                       out: [.init("response", "u"), .init("results", "a{sv}")],
                       .deferred { call in try await print(call) }),
            DBusMethod("PreparePrint",
                       in: [.init("handle", "o"), .init("app_id", "s"), .init("parent_window", "s"), .init("title", "s"),
                            .init("settings", "a{sv}"), .init("page_setup", "a{sv}"), .init("options", "a{sv}")],
                       out: [.init("response", "u"), .init("results", "a{sv}")],
                       .deferred { call in try await preparePrint(call) }),
        ])
    }

    private func preparePrint(_ call: MethodCall) async throws(PortalError) -> [DBusValue] {
        let request = try PromptRequest(call, action: "print", titleIndex: 3)
        var settings = try call.argument(4, as: [String: Variant].self)
        let pageSetup = try call.argument(5, as: [String: Variant].self)
        try Self.checkOptions(try call.argument(6, as: [String: Variant].self))
        let printer = try settings.option("printer", as: String.self)
        let copies = try Self.copies(in: settings)
        let outcome = try await ask(request, preferred: printer, copies: copies, verb: "use this printer")
        guard case .answered(let choice) = outcome else { return [.uint32(outcome.response), VardictValue().dbusValue] }
        settings["printer"] = Variant(choice.printer)
        settings["n-copies"] = Variant(String(choice.copies))
        let token = tokens.issue(PrintTokens.Job(appID: request.appID, printer: choice.printer, copies: choice.copies,
                                                 options: try Self.lpOptions(from: settings)))
        let results: VardictValue = [
            "settings": Variant(settings.dbusValue),
            "page-setup": Variant(pageSetup.dbusValue),
            "token": Variant(token),
        ]
        return [.uint32(0), results.dbusValue]
    }

    private func print(_ call: MethodCall) async throws(PortalError) -> [DBusValue] {
        let request = try PromptRequest(call, action: "print", titleIndex: 3)
        let document = try call.argument(4, as: UnixFD.self)
        try Self.checkReadable(document)
        let options = try call.argument(5, as: [String: Variant].self)
        try Self.checkOptions(options)
        var job: PrintTokens.Job
        // A token from PreparePrint skips the question: the user already
        // chose this printer for this app. An unknown or stale one asks.
        if let token = try options.option("token", as: UInt32.self), let prepared = tokens.redeem(token, appID: request.appID) {
            job = prepared
        } else {
            let outcome = try await ask(request, preferred: nil, copies: 1, verb: "print")
            guard case .answered(let choice) = outcome else { return [.uint32(outcome.response), VardictValue().dbusValue] }
            job = PrintTokens.Job(appID: request.appID, printer: choice.printer, copies: choice.copies)
        }
        try await cups.submit(document, printer: job.printer, copies: job.copies, options: job.options, title: request.title)
        return [.uint32(0), VardictValue().dbusValue]
    }

    private func ask(_ request: PromptRequest, preferred: String?, copies: Int, verb: String) async throws(PortalError) -> PromptOutcome<PrintDialog.Answer> {
        let destinations = await cups.destinations()
        let dialog = PrintDialog(printers: destinations.printers, preferred: preferred ?? destinations.defaultPrinter,
                                 copies: copies, problem: destinations.problem, verb: verb)
        return try await agent.present(dialog, for: request)
    }

    private static func checkOptions(_ options: [String: Variant]) throws(PortalError) {
        _ = try options.option("modal", as: Bool.self)
        _ = try options.option("accept_label", as: String.self)
        _ = try options.option("token", as: UInt32.self)
        _ = try options.option("supported_output_file_formats", as: [String].self)
        _ = try options.option("has_current_page", as: Bool.self)
        _ = try options.option("has_selected_pages", as: Bool.self)
    }

    /// GTK print settings CUPS understands, as lp `-o` options. Values are
    /// strings, as GTK writes them; unknown ones are left out (GTK passes
    /// many settings lp has no use for), never passed through verbatim.
    static func lpOptions(from settings: [String: Variant]) throws(PortalError) -> [String] {
        var options: [String] = []
        let orientations = ["portrait": "3", "landscape": "4", "reverse_landscape": "5", "reverse_portrait": "6"]
        if let orientation = try settings.option("orientation", as: String.self), let value = orientations[orientation] {
            options.append("orientation-requested=\(value)")
        }
        let sides = ["simplex": "one-sided", "horizontal": "two-sided-short-edge", "vertical": "two-sided-long-edge"]
        if let duplex = try settings.option("duplex", as: String.self), let value = sides[duplex] {
            options.append("sides=\(value)")
        }
        if let up = try settings.option("number-up", as: String.self), ["1", "2", "4", "6", "9", "16"].contains(up) {
            options.append("number-up=\(up)")
        }
        // GTK counts pages from 0, CUPS from 1.
        if let ranges = try settings.option("page-ranges", as: String.self) {
            let converted = ranges.split(separator: ",", omittingEmptySubsequences: false).map { range -> String? in
                let bounds = range.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: " \t")) }
                guard (1...2).contains(bounds.count), bounds.allSatisfy({ ($0 ?? -1) >= 0 }) else { return nil }
                return bounds.map { String($0! + 1) }.joined(separator: "-")
            }
            guard !converted.isEmpty, converted.allSatisfy({ $0 != nil }) else {
                throw .invalidArgument("setting 'page-ranges' must look like '0-2,4' (pages counted from 0), not '\(ranges)'")
            }
            options.append("page-ranges=" + converted.map { $0! }.joined(separator: ","))
        }
        return options
    }

    /// `n-copies` is a string in GTK's print settings, like every value.
    private static func copies(in settings: [String: Variant]) throws(PortalError) -> Int {
        guard let text = try settings.option("n-copies", as: String.self) else { return 1 }
        guard let count = Int(text), (1...999).contains(count) else {
            throw .invalidArgument("setting 'n-copies' must be a number from 1 to 999, not '\(text)'")
        }
        return count
    }

    /// The document must be readable: not an O_PATH descriptor, not open
    /// for writing only, not a directory — else lp would fail later with
    /// a message further from the cause.
    private static func checkReadable(_ fd: UnixFD) throws(PortalError) {
        try fd.withRawDescriptor { raw throws(PortalError) in
            let flags = fcntl(raw, F_GETFL)
            let isPath = flags & 0o10000000 != 0  // O_PATH, the kernel's value
            guard flags >= 0, !isPath, flags & O_ACCMODE != O_WRONLY else {
                throw .invalidArgument("the document descriptor is not open for reading")
            }
            var info = stat()
            guard fstat(raw, &info) == 0, info.st_mode & S_IFMT != S_IFDIR else {
                throw .invalidArgument("the document descriptor is a directory, not a document")
            }
        }
    }
}

/// Tokens handed out by PreparePrint. Safe because a token lets one Print
/// skip the user's question: so it is random, redeemable once, only by the
/// app it was issued for, and only for five minutes.
final class PrintTokens: Sendable {
    struct Job: Sendable {
        let appID: String
        let printer: String
        let copies: Int
        /// lp `-o` options from PreparePrint's settings.
        var options: [String] = []
    }

    private struct Issued {
        let job: Job
        let expires: ContinuousClock.Instant
    }

    private let issued = Mutex<[UInt32: Issued]>([:])
    static let lifetime = Duration.seconds(300)

    func issue(_ job: Job) -> UInt32 {
        issued.withLock { table in
            let now = ContinuousClock.now
            table = table.filter { $0.value.expires > now }
            var token: UInt32
            repeat { token = UInt32.random(in: 1...UInt32.max) } while table[token] != nil
            table[token] = Issued(job: job, expires: now + Self.lifetime)
            return token
        }
    }

    func redeem(_ token: UInt32, appID: String) -> Job? {
        issued.withLock { table in
            guard let entry = table[token], entry.job.appID == appID, entry.expires > ContinuousClock.now else { return nil }
            table[token] = nil
            return entry.job
        }
    }
}
