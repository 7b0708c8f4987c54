import PortalCommon
import Testing
@testable import launcher

/// GTK print settings turned into lp options.
@Suite("burrow prompt: print settings for lp")
struct PrintOptionTests {
    static func options(_ settings: [String: String]) throws -> [String] {
        try PrintBackend.lpOptions(from: settings.mapValues { Variant($0) })
    }

    @Test func knownSettingsBecomeCUPSOptions() throws {
        #expect(try Self.options(["orientation": "landscape", "duplex": "vertical", "number-up": "2", "page-ranges": "0-2,4"])
            == ["orientation-requested=4", "sides=two-sided-long-edge", "number-up=2", "page-ranges=1-3,5"])
    }

    @Test func unknownValuesAreLeftOutAndBadRangesRefused() throws {
        #expect(try Self.options(["orientation": "sideways", "number-up": "3", "resolution": "300"]) == [])
        for bad in ["", "a-b", "1-2-3", "-1", "2,,3"] {
            #expect(throws: PortalError.self, "\(bad)") { try Self.options(["page-ranges": bad]) }
        }
    }
}
