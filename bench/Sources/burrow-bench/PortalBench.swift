// The desktop portal benchmarks (bench/portal.sh), the same work against
// burrow-desktop-portal and xdg-desktop-portal:
//
// - `portal ADDRESS CALLS`: Properties.Get(FileChooser, version), and a
//   Request round trip — FileChooser.OpenFile with a fresh handle_token,
//   timed until its Response signal arrives — against an instant backend.
// - `backend ADDRESS NAME`: that backend; owns NAME and answers every impl
//   FileChooser.OpenFile at once with response 0 and no URIs. Runs until killed.
// - `coldstart ADDRESS RUNS PROGRAM ARGS…`: starts PROGRAM RUNS times and
//   times each start until org.freedesktop.portal.Desktop is owned.
import Foundation
import PortalCommon
import Synchronization

enum PortalBench {
    static let portal: BusName = "org.freedesktop.portal.Desktop"
    static let path: ObjectPath = "/org/freedesktop/portal/desktop"

    static func main(_ arguments: [String]) async {
        do {
            let bus = try await BusConnection.connect(.address(arguments[2]))
            switch arguments[1] {
            case "portal": try await measure(bus, calls: arguments.count > 3 ? Int(arguments[3]) ?? 5000 : 5000)
            case "backend": try await serve(bus, name: BusName(arguments[3]))
            default: try await coldStart(bus, runs: Int(arguments[3]) ?? 20, command: Array(arguments.dropFirst(4)))
            }
            bus.close()
        } catch {
            FileHandle.standardError.write(Data("burrow-bench: \(PortalError(error).message)\n".utf8))
            exit(1)
        }
    }

    static func measure(_ bus: BusConnection, calls: Int) async throws {
        let sender = ObjectPath.escapeElement(String(bus.uniqueName.dropFirst()))
        let (responses, continuation) = AsyncStream<UInt32>.makeStream()
        _ = try await bus.addMatch("type='signal',interface='org.freedesktop.portal.Request',member='Response',"
                                   + "path_namespace='\(path.rawValue)/request/\(sender)'") { signal in
            continuation.yield(signal.arguments.first?.uint32Value ?? 99)
        }
        var iterator = responses.makeAsyncIterator()
        let run = UInt32.random(in: 0...UInt32.max)
        @Sendable func openFile(_ token: String) async throws {
            let options: [String: Variant] = ["handle_token": Variant("\(token)_\(run)")]
            _ = try await bus.call(portal, path, "org.freedesktop.portal.FileChooser", "OpenFile",
                                   [.string(""), .string("bench"), options.dbusValue])
        }
        // Warm both sides: caller identification, proxies, page cache.
        for i in 0..<200 {
            try await openFile("w\(i)")
            guard await iterator.next() == 0 else { throw PortalError.failed("a warm-up request did not succeed") }
        }
        try await Bench.report("Properties.Get version", calls) { _ in
            _ = try await bus.call(portal, path, "org.freedesktop.DBus.Properties", "Get",
                                   [.string("org.freedesktop.portal.FileChooser"), .string("version")])
        }
        // Not through Bench.report: the iterator is consumed sequentially here.
        var samples: [Double] = []
        let clock = ContinuousClock()
        for i in 0..<calls {
            let start = clock.now
            try await openFile("b\(i)")
            guard await iterator.next() == 0 else { throw PortalError.failed("request \(i) did not succeed") }
            let elapsed = start.duration(to: clock.now)
            samples.append(Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12)
        }
        Bench.printSamples("Request round trip", samples)
    }

    static func serve(_ bus: BusConnection, name: BusName) async throws {
        let arguments: [DBusArgument] = [.init("handle", "o"), .init("app_id", "s"), .init("parent_window", "s"),
                                         .init("title", "s"), .init("options", "a{sv}")]
        try await bus.export(DBusInterface("org.freedesktop.impl.portal.FileChooser", access: .bus, methods: [
            DBusMethod("OpenFile", in: arguments, out: [.init("response", "u"), .init("results", "a{sv}")], .immediate { _ in
                [.uint32(0), ["uris": Variant([String]())].dbusValue]
            }),
        ]), at: path)
        _ = try await bus.requestName(name)
        while true { try await Task.sleep(for: .seconds(3600)) }
    }

    static func coldStart(_ bus: BusConnection, runs: Int, command: [String]) async throws {
        let owner = Mutex<(owned: Bool, at: ContinuousClock.Instant?)>((false, nil))
        _ = try await bus.addMatch("type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',arg0='\(portal.rawValue)'") { signal in
            let now = ContinuousClock.now
            let owned = !(signal.arguments.count == 3 ? signal.arguments[2].stringValue ?? "" : "").isEmpty
            owner.withLock { $0 = (owned, owned ? now : nil) }
        }
        var samples: [Double] = []
        for _ in 0..<runs {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: command[0])
            process.arguments = Array(command.dropFirst())
            process.standardError = FileHandle(forWritingAtPath: "/dev/null")
            let start = ContinuousClock.now
            try process.run()
            var ownedAt: ContinuousClock.Instant?
            for _ in 0..<20_000 where ownedAt == nil {
                ownedAt = owner.withLock { $0.at }
                if ownedAt == nil { try await Task.sleep(for: .microseconds(100)) }
            }
            guard let ownedAt else { throw PortalError.failed("\(command[0]) did not take \(portal) within 2 s") }
            let elapsed = start.duration(to: ownedAt)
            samples.append(Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12)
            // SIGKILL: only the start is measured, and xdg-desktop-portal
            // 1.16 does not end on SIGTERM.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            for _ in 0..<20_000 where owner.withLock({ $0.owned }) { try await Task.sleep(for: .microseconds(100)) }
        }
        Bench.printSamples("cold start to name owned", samples)
    }
}

extension Bench {
    static func printSamples(_ name: String, _ unsorted: [Double]) {
        let samples = unsorted.sorted()
        let p50 = samples[samples.count / 2]
        let p99 = samples[min(samples.count - 1, samples.count * 99 / 100)]
        let mean = samples.reduce(0, +) / Double(samples.count)
        print(String(format: "%@\t%.1f\t%.1f\t%.1f", name, p50, p99, mean))
    }
}
