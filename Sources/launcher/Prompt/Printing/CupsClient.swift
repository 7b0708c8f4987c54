import PortalCommon

/// CUPS through its command-line client: `lpstat` for the destinations,
/// `lp` to submit a job.
///
/// `BURROW_LP` and `BURROW_LPSTAT` name other programs to run instead —
/// for tests on machines without a CUPS scheduler, and for setups whose
/// tools live elsewhere. They come from burrow prompt's own environment
/// (the user's), never from a caller.
struct CupsClient: Sendable {
    let lp: String
    let lpstat: String

    init(environment: [String: String]) {
        lp = environment["BURROW_LP"].flatMap { $0.isEmpty ? nil : $0 } ?? "/usr/bin/lp"
        lpstat = environment["BURROW_LPSTAT"].flatMap { $0.isEmpty ? nil : $0 } ?? "/usr/bin/lpstat"
    }

    struct Destinations: Sendable {
        var printers: [String] = []
        var defaultPrinter: String?
        /// Why the list may be empty: lpstat's own words.
        var problem: String?
    }

    /// The destinations CUPS knows (`lpstat -e`) and its default
    /// (`lpstat -d`). Without a scheduler both fail, and `problem` says so.
    func destinations() async -> Destinations {
        var result = Destinations()
        do {
            let listing = try await CommandRunner.run(lpstat, ["-e"])
            result.printers = listing.output.split(separator: "\n").map(String.init).filter(PrintDialog.isValidDestination)
            if listing.status != 0 || !listing.errors.isEmpty { result.problem = listing.complaint }
            let fallback = try await CommandRunner.run(lpstat, ["-d"])
            // "system default destination: NAME" (or "no system default destination").
            if fallback.status == 0, let colon = fallback.output.firstIndex(of: ":") {
                let name = fallback.output[fallback.output.index(after: colon)...].trimmingCharacters(in: " \n")
                if !name.isEmpty { result.defaultPrinter = name }
            }
        } catch {
            result.problem = error.message
        }
        return result
    }

    /// Submits what `document` holds to `printer`. The descriptor becomes
    /// lp's stdin — lp reads the data itself; no path to the document ever
    /// exists on this side, so nothing can swap the file underneath.
    func submit(_ document: UnixFD, printer: String, copies: Int, options: [String] = [], title: String) async throws(PortalError) {
        var arguments = ["-d", printer]
        if copies > 1 { arguments += ["-n", String(copies)] }
        for option in options { arguments += ["-o", option] }
        if !title.isEmpty { arguments += ["-t", Canvas.sanitize(title)] }
        let result = try await CommandRunner.run(lp, arguments, standardInput: document)
        guard result.status == 0 else {
            throw .failed("printing on \(printer) failed: \(lp) said: \(result.complaint)")
        }
    }
}

