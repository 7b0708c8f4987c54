// burrow-bench: latency of D-Bus calls against whatever owns a name on a bus.
//
//   burrow-bench store ADDRESS [CALLS]
//   burrow-bench bus ADDRESS [CALLS]      (GetId only)
//   burrow-bench portal ADDRESS [CALLS]   (desktop portal; see PortalBench.swift)
//   burrow-bench backend ADDRESS NAME     (an instant FileChooser backend)
//   burrow-bench coldstart ADDRESS RUNS PROGRAM [ARGS…]
//
// Measures, one call at a time (each awaited before the next, as a portal
// calls the store): the bus daemon's own GetId (the floor every method pays),
// Properties.Get(version) on the store (the cheapest portal method),
// SetPermission on fresh ids, and Lookup of those ids. Prints one line per
// measurement: NAME p50_us p99_us mean_us, for bench/run.sh to compare.
import Foundation
import PortalCommon

@main
struct Bench {
    static let store: BusName = "org.freedesktop.impl.portal.PermissionStore"
    static let path: ObjectPath = "/org/freedesktop/impl/portal/PermissionStore"
    static let interface = "org.freedesktop.impl.portal.PermissionStore"

    static func main() async {
        let arguments = CommandLine.arguments
        if arguments.count >= 3, ["portal", "backend", "coldstart"].contains(arguments[1]) {
            await PortalBench.main(arguments)
            return
        }
        guard arguments.count >= 3, arguments[1] == "store" || arguments[1] == "bus" else {
            FileHandle.standardError.write(Data("usage: burrow-bench store|bus|portal BUS_ADDRESS [CALLS]\n".utf8))
            exit(2)
        }
        let calls = arguments.count > 3 ? Int(arguments[3]) ?? 5000 : 5000
        do {
            let bus = try await BusConnection.connect(.address(arguments[2]))
            defer { bus.close() }
            if arguments[1] == "bus" {
                // Only the bus's own floor, with no store involved.
                try await report("bus GetId (baseline)", calls) { _ in
                    _ = try await bus.call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetId")
                }
                return
            }
            let run = UInt32.random(in: 0...UInt32.max)
            // Warm both sides (connection setup, caller identification cache, page cache).
            for i in 0..<200 { _ = try await setPermission(bus, id: "warm\(run)-\(i)") }

            try await report("bus GetId (baseline)", calls) { _ in
                _ = try await bus.call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetId")
            }
            try await report("Properties.Get version", calls) { _ in
                _ = try await bus.call(store, path, "org.freedesktop.DBus.Properties", "Get",
                                       [.string(interface), .string("version")])
            }
            try await report("SetPermission", calls) { i in
                _ = try await setPermission(bus, id: "bench\(run)-\(i)")
            }
            try await report("Lookup", calls) { i in
                _ = try await bus.call(store, path, interface, "Lookup", [.string("bench"), .string("bench\(run)-\(i)")])
            }
        } catch {
            FileHandle.standardError.write(Data("burrow-bench: \(PortalError(error).message)\n".utf8))
            exit(1)
        }
    }

    static func setPermission(_ bus: BusConnection, id: String) async throws -> [DBusValue] {
        try await bus.call(store, path, interface, "SetPermission", [
            .string("bench"), .bool(true), .string(id), .string("org.burrow.BenchApp"),
            .array(element: .string, [.string("yes")]),
        ])
    }

    static func report(_ name: String, _ calls: Int, _ body: @Sendable (Int) async throws -> Void) async throws {
        var samples: [Double] = []
        samples.reserveCapacity(calls)
        let clock = ContinuousClock()
        for i in 0..<calls {
            let start = clock.now
            try await body(i)
            let elapsed = start.duration(to: clock.now)
            samples.append(Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12)
        }
        samples.sort()
        let p50 = samples[samples.count / 2]
        let p99 = samples[min(samples.count - 1, samples.count * 99 / 100)]
        let mean = samples.reduce(0, +) / Double(samples.count)
        print(String(format: "%@\t%.1f\t%.1f\t%.1f", name, p50, p99, mean))
    }
}
