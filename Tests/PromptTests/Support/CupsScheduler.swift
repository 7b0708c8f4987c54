import Foundation
import TestSupport

/// A private CUPS scheduler (Debian's cupsd) for one test: its own
/// configuration, spool and socket in a temporary directory, and printers
/// whose backend writes each job to `jobs/` (argv and data) instead of
/// paper. Stopped, and its directory removed, when the value goes away.
final class CupsScheduler: @unchecked Sendable {
    let directory: URL
    var socket: String { directory.path + "/cups.sock" }
    var jobs: URL { directory.appendingPathComponent("jobs") }
    /// What the tools (lp, lpstat, lpadmin) need to reach this scheduler.
    var environment: [String: String] { ["CUPS_SERVER": socket] }
    private let process: ChildProcess

    /// Printers `printers`, the first one the default.
    init(printers: [String]) async throws {
        directory = try TemporaryDirectory.make(prefix: "burrow-cupsd")
        let root = directory.path
        for sub in ["spool", "cache", "state", "tmp", "log", "jobs", "ppd", "bin/backend", "bin/daemon"] {
            try FileManager.default.createDirectory(atPath: root + "/" + sub, withIntermediateDirectories: true)
        }
        // cupsd drops to user lp for jobs: lp writes the spool and the jobs.
        chmod(root, 0o755)
        for sub in ["spool", "cache", "state", "tmp", "jobs"] { chown(root + "/" + sub, 7, 7) }
        try """
        Listen \(root)/cups.sock
        LogLevel warn
        WebInterface No
        Browsing No
        DefaultAuthType None
        <Location />
          Order allow,deny
          Allow all
        </Location>
        <Location /admin>
          Order allow,deny
          Allow all
        </Location>
        <Policy default>
          <Limit All>
            Order deny,allow
          </Limit>
        </Policy>
        """.write(toFile: root + "/cupsd.conf", atomically: false, encoding: .utf8)
        try """
        ServerRoot \(root)
        ServerBin \(root)/bin
        RequestRoot \(root)/spool
        CacheDir \(root)/cache
        StateDir \(root)/state
        TempDir \(root)/tmp
        AccessLog \(root)/log/access_log
        ErrorLog \(root)/log/error_log
        PageLog \(root)/log/page_log
        User lp
        Group lp
        SystemGroup root
        """.write(toFile: root + "/cups-files.conf", atomically: false, encoding: .utf8)
        // The backend: CUPS runs it with job, user, title, copies, options
        // and the spooled file (and the queue in $PRINTER); it keeps the
        // queue, title, copies, options and data where the test reads them.
        try """
        #!/bin/sh
        [ $# -eq 0 ] && { echo 'direct record "Unknown" "burrow test recorder"'; exit 0; }
        printf '%s\\n' "$PRINTER" "$3" "$4" "$5" > "\(root)/jobs/$1.args"
        if [ -n "$6" ]; then cat "$6"; else cat; fi > "\(root)/jobs/$1.data.part"
        mv "\(root)/jobs/$1.data.part" "\(root)/jobs/$1.data"
        """.write(toFile: root + "/bin/backend/record", atomically: false, encoding: .utf8)
        chmod(root + "/bin/backend/record", 0o755)
        try FileManager.default.createSymbolicLink(atPath: root + "/bin/daemon/cups-exec", withDestinationPath: "/usr/lib/cups/daemon/cups-exec")
        process = try ChildProcess("/usr/sbin/cupsd", ["-f", "-c", root + "/cupsd.conf", "-s", root + "/cups-files.conf"])
        do {
            for _ in 0..<200 where !FileManager.default.fileExists(atPath: socket) { try await Task.sleep(for: .milliseconds(25)) }
            for printer in printers {
                // lpadmin warns that raw queues are deprecated; they still
                // print, and need no driver on the machine.
                let added = try await runProgram("/usr/sbin/lpadmin", ["-p", printer, "-E", "-v", "record:/\(printer)", "-m", "raw"],
                                                 environment: environment)
                guard added.status == 0 else { throw TestFailure("lpadmin -p \(printer): \(added.stderr)") }
            }
            if let first = printers.first {
                let made = try await runProgram("/usr/sbin/lpadmin", ["-d", first], environment: environment)
                guard made.status == 0 else { throw TestFailure("lpadmin -d \(first): \(made.stderr)") }
            }
        } catch {
            stop()
            throw error
        }
    }

    /// The first job the backend received, waiting up to `timeout`.
    func firstJob(timeout: Duration = .seconds(20)) async throws -> (arguments: [String], data: Data)? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: jobs.path)) ?? []
            if let data = names.first(where: { $0.hasSuffix(".data") }) {
                let job = String(data.dropLast(".data".count))
                let arguments = try String(contentsOf: jobs.appendingPathComponent(job + ".args"), encoding: .utf8)
                return (arguments.split(separator: "\n", omittingEmptySubsequences: false).map(String.init),
                        try Data(contentsOf: jobs.appendingPathComponent(data)))
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    func stop() {
        process.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }
}
