// burrow-bench: latency of D-Bus calls against whatever owns a name on a bus.
//
//   burrow-bench store ADDRESS [CALLS]
//   burrow-bench bus ADDRESS [CALLS]      (GetId only)
//   burrow-bench portal ADDRESS [CALLS]   (desktop portal; see PortalBench.swift)
//   burrow-bench backend ADDRESS NAME     (an instant FileChooser backend)
//   burrow-bench coldstart ADDRESS RUNS PROGRAM [ARGS…]
//   burrow-bench call ADDRESS CALLS DESTINATION PATH INTERFACE.MEMBER [TYPE:VALUE...]
//
// `call` times one method of any service (bench/documents.sh uses it for
// the document portals): 100 unmeasured calls, then CALLS measured ones,
// each awaited before the next; a failing call aborts the run. Argument
// TYPEs: s, o, b, i, u (VALUE as text), and ay (VALUE's UTF-8 bytes plus a
// trailing nul, the byte-string convention portals use for paths).
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
        let valid = arguments.count >= 3 && (arguments[1] == "store" || arguments[1] == "bus")
            || arguments.count >= 7 && arguments[1] == "call"
        guard valid else {
            FileHandle.standardError.write(Data("""
                usage: burrow-bench store|bus|portal BUS_ADDRESS [CALLS]
                       burrow-bench call BUS_ADDRESS CALLS DESTINATION PATH INTERFACE.MEMBER [TYPE:VALUE...]

                """.utf8))
            exit(2)
        }
        let calls = arguments.count > 3 ? Int(arguments[3]) ?? 5000 : 5000
        do {
            // Parse first: a malformed argument fails before any bus work.
            let method = arguments[1] == "call" ? try MethodCall(arguments[3...]) : nil
            let bus = try await BusConnection.connect(.address(arguments[2]))
            defer { bus.close() }
            if let method {
                try await method.measure(on: bus)
                return
            }
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

/// One method call to repeat, parsed from `CALLS DESTINATION PATH INTERFACE.MEMBER [TYPE:VALUE...]`.
struct MethodCall {
    let calls: Int
    let destination: BusName
    let path: ObjectPath
    let interface: String
    let member: String
    let values: [DBusValue]

    init(_ words: ArraySlice<String>) throws(PortalError) {
        let words = Array(words)
        guard let calls = Int(words[0]), calls > 0 else { throw .invalidArgs("CALLS '\(words[0])' is not a positive count") }
        let target = words[3]
        guard let dot = target.lastIndex(of: ".") else { throw .invalidArgs("'\(target)' is not INTERFACE.MEMBER") }
        let interface = String(target[..<dot]), member = String(target[target.index(after: dot)...])
        guard DBusNameRules.isValidInterface(interface), DBusNameRules.isValidMember(member) else {
            throw .invalidArgs("'\(target)' is not INTERFACE.MEMBER")
        }
        self.calls = calls
        destination = try BusName(words[1])
        path = try ObjectPath(words[2])
        self.interface = interface
        self.member = member
        var values: [DBusValue] = []
        for word in words.dropFirst(4) { values.append(try Self.value(word)) }
        self.values = values
    }

    static func value(_ word: String) throws(PortalError) -> DBusValue {
        guard let colon = word.firstIndex(of: ":") else { throw .invalidArgs("argument '\(word)' is not TYPE:VALUE") }
        let text = String(word[word.index(after: colon)...])
        let parsed: DBusValue?
        switch word[..<colon] {
        case "s": parsed = .string(text)
        case "o": parsed = .objectPath(try ObjectPath(text))
        case "b": parsed = Bool(text).map(DBusValue.bool)
        case "i": parsed = Int32(text).map(DBusValue.int32)
        case "u": parsed = UInt32(text).map(DBusValue.uint32)
        case "ay": parsed = .bytes(Array(text.utf8) + [0])
        default: throw .invalidArgs("argument '\(word)': type must be one of s o b i u ay")
        }
        guard let parsed else { throw .invalidArgs("argument '\(word)': '\(text)' does not parse as its type") }
        return parsed
    }

    func measure(on bus: BusConnection) async throws {
        // Warm both sides (connection setup, caller identification, caches).
        for _ in 0..<100 { _ = try await bus.call(destination, path, interface, member, values) }
        try await Bench.report(member, calls) { _ in
            _ = try await bus.call(destination, path, interface, member, values)
        }
    }
}
