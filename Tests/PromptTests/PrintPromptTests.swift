import Foundation
import PortalCommon
import Testing
import TestSupport

/// impl.portal.Print. Most tests use stand-ins for `lp` and `lpstat`
/// (BURROW_LP, BURROW_LPSTAT) that record what they were given; one prints
/// through Debian's real lp and lpstat to a private CUPS scheduler
/// (`CupsScheduler`), and one shows the prompt copes without a scheduler.
@Suite("burrow prompt: print")
struct PrintPromptTests {
    /// Fake CUPS tools in `directory`: lpstat knows printers "office" and
    /// "lab" (the default); lp saves its argv and stdin next to itself and
    /// fails when told to print on "broken".
    static func fakeCups(in directory: URL) throws -> [String: String] {
        let lpstat = directory.appendingPathComponent("lpstat")
        try """
        #!/bin/sh
        case "$1" in
          -e) printf 'office\\nlab\\n' ;;
          -d) echo 'system default destination: lab' ;;
        esac
        """.write(to: lpstat, atomically: false, encoding: .utf8)
        let lp = directory.appendingPathComponent("lp")
        try """
        #!/bin/sh
        for argument in "$@"; do printf '%s\\n' "$argument"; done > "\(directory.path)/lp.argv"
        cat > "\(directory.path)/lp.stdin"
        [ "$2" = broken ] && { echo 'lp: The printer or class does not exist.' >&2; exit 1; }
        echo 'request id is office-1 (1 file(s))'
        """.write(to: lp, atomically: false, encoding: .utf8)
        for tool in [lpstat, lp] { chmod(tool.path, 0o755) }
        return ["BURROW_LP": lp.path, "BURROW_LPSTAT": lpstat.path]
    }

    /// A session whose prompt uses the fake tools.
    static func withCupsSession(_ body: (PromptSession, URL) async throws -> Void) async throws {
        let tools = try TemporaryDirectory.make(prefix: "burrow-cups")
        defer { try? FileManager.default.removeItem(at: tools) }
        try await withPromptSession(environment: try fakeCups(in: tools)) { session in try await body(session, tools) }
    }

    static func document(_ session: PromptSession, _ text: String) throws -> DBusValue {
        let url = session.directory.appendingPathComponent("document.ps")
        try Data(text.utf8).write(to: url)
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw TestFailure("cannot open \(url.path)") }
        return .unixFD(UnixFD(takingOwnershipOf: fd))
    }

    static func print(_ session: PromptSession, title: String, document: DBusValue, options: [String: DBusValue] = [:]) -> Task<PromptSession.Reply, any Error> {
        session.begin("org.freedesktop.impl.portal.Print", "Print",
                      [.objectPath(session.makeHandle()), .string("org.example.Writer"), .string(""), .string(title), document,
                       PromptSession.vardict(options)])
    }

    static func recorded(_ tools: URL) throws -> (argv: [String], stdin: String) {
        let argv = try String(contentsOf: tools.appendingPathComponent("lp.argv"), encoding: .utf8)
        let stdin = try String(contentsOf: tools.appendingPathComponent("lp.stdin"), encoding: .utf8)
        return (argv.split(separator: "\n").map(String.init), stdin)
    }

    @Test func printSendsTheDocumentToTheChosenPrinter() async throws {
        try await Self.withCupsSession { session, tools in
            let reply = Self.print(session, title: "Quarterly report", document: try Self.document(session, "%!PS\nshowpage\n"))
            let screen = try await session.waitForScreen(containing: "org.example.Writer wants to print")
            #expect(screen.contains("“Quarterly report”"))
            #expect(screen.contains("▸ lab"), "CUPS's default printer starts highlighted")
            #expect(screen.contains("office"))
            try await session.press("Up")
            try await session.type("+")
            try await session.waitForScreen(containing: "Copies: 2")
            try await session.press("Enter")
            let answer = try await reply.value
            #expect(answer.response == 0)
            let (argv, stdin) = try Self.recorded(tools)
            #expect(argv == ["-d", "office", "-n", "2", "-t", "Quarterly report"])
            #expect(stdin == "%!PS\nshowpage\n", "lp read the document from the descriptor")
        }
    }

    /// The whole way: the prompt lists the scheduler's printers through
    /// the real lpstat, and the job reaches the chosen queue's backend
    /// through the real lp, with its title and copies.
    @Test func printReachesARealCupsQueue() async throws {
        let cups = try await CupsScheduler(printers: ["lab", "office"])
        defer { cups.stop() }
        try await withPromptSession(environment: cups.environment) { session in
            let document = "%!PS\n% burrow test page\nshowpage\n"
            let reply = Self.print(session, title: "Through CUPS", document: try Self.document(session, document))
            let screen = try await session.waitForScreen(containing: "org.example.Writer wants to print")
            #expect(screen.contains("▸ lab"), "the scheduler's default starts highlighted: \(screen)")
            try await session.press("Down")
            try await session.waitForScreen(containing: "▸ office")
            try await session.type("+")
            try await session.waitForScreen(containing: "Copies: 2")
            try await session.press("Enter")
            #expect(try await reply.value.response == 0)
            let job = try #require(try await cups.firstJob(), "no job reached the queue")
            #expect(job.arguments.prefix(3) == ["office", "Through CUPS", "2"], "\(job.arguments)")
            #expect(String(decoding: job.data, as: UTF8.self) == document)
        }
    }

    @Test func preparePrintReturnsSettingsAndATokenThatSkipsTheQuestion() async throws {
        try await Self.withCupsSession { session, tools in
            let settings: [String: DBusValue] = ["n-copies": .string("3"), "orientation": .string("landscape")]
            let pageSetup: [String: DBusValue] = ["Name": .string("iso_a4"), "Width": .double(210)]
            let prepare = session.begin("org.freedesktop.impl.portal.Print", "PreparePrint",
                                        [.objectPath(session.makeHandle()), .string("org.example.Writer"), .string(""),
                                         .string("Letter"), PromptSession.vardict(settings), PromptSession.vardict(pageSetup),
                                         PromptSession.vardict([:])])
            try await session.waitForScreen(containing: "Copies: 3")
            try await session.press("Enter")
            let prepared = try await prepare.value
            #expect(prepared.response == 0)
            let returned = try #require(try prepared.results.option("settings", as: [String: Variant].self))
            #expect(try returned.option("printer", as: String.self) == "lab")
            #expect(try returned.option("n-copies", as: String.self) == "3")
            #expect(try returned.option("orientation", as: String.self) == "landscape", "other settings pass through")
            #expect(try prepared.results.option("page-setup", as: [String: Variant].self)?["Name"]?.value == .string("iso_a4"))
            let token = try #require(try prepared.results.option("token", as: UInt32.self))

            // With the token, Print asks nothing.
            let printed = try await Self.print(session, title: "Letter", document: try Self.document(session, "letter body"),
                                               options: ["token": .uint32(token)]).value
            #expect(printed.response == 0)
            // orientation=landscape from PreparePrint's settings reaches lp.
            #expect(try Self.recorded(tools).argv == ["-d", "lab", "-n", "3", "-o", "orientation-requested=4", "-t", "Letter"])
            #expect(try Self.recorded(tools).stdin == "letter body")

            // A token is good once: the second Print asks again.
            let again = Self.print(session, title: "Letter", document: try Self.document(session, "again"),
                                   options: ["token": .uint32(token)])
            try await session.waitForScreen(containing: "wants to print")
            try await session.press("Escape")
            #expect(try await again.value.response == 1)
        }
    }

    @Test func withoutASchedulerTheUserTypesADestination() async throws {
        let tools = try TemporaryDirectory.make(prefix: "burrow-cups")
        defer { try? FileManager.default.removeItem(at: tools) }
        var environment = try Self.fakeCups(in: tools)
        environment["BURROW_LPSTAT"] = nil  // the real lpstat: no scheduler here
        environment["CUPS_SERVER"] = tools.appendingPathComponent("no-cupsd.sock").path
        try await withPromptSession(environment: environment) { session in
            let reply = Self.print(session, title: "Typed", document: try Self.document(session, "typed"))
            let screen = try await session.waitForScreen(containing: "CUPS lists no printers")
            #expect(screen.contains("Destination:"))
            try await session.press("Enter")
            try await session.waitForScreen(containing: "Type the name of a CUPS destination.")
            try await session.type("broken")
            try await session.press("Enter")
            let error = await #expect(throws: PortalError.self) { _ = try await reply.value }
            #expect(error?.name == "org.freedesktop.portal.Error.Failed")
            #expect(error?.message.contains("The printer or class does not exist") == true)

            let second = Self.print(session, title: "Typed", document: try Self.document(session, "typed"))
            try await session.waitForScreen(containing: "Destination:")
            try await session.type("desk-printer")
            try await session.press("Enter")
            #expect(try await second.value.response == 0)
            let argv = try Self.recorded(tools).argv
            #expect(argv == ["-d", "desk-printer", "-t", "Typed"])
        }
    }

    @Test func documentsMustBeReadable() async throws {
        try await Self.withCupsSession { session, _ in
            let fd = open(session.directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            let error = await #expect(throws: PortalError.self) {
                _ = try await Self.print(session, title: "Folder", document: .unixFD(UnixFD(takingOwnershipOf: fd))).value
            }
            #expect(error?.name == "org.freedesktop.portal.Error.InvalidArgument")
        }
    }
}
