import PortalCommon
import Runtime
import Testing

/// X11 cookies for the sandbox's `:99`: only this display's, renumbered.
@Suite("Sandbox plan: X authority")
struct XAuthorityTests {
    /// One .Xauthority record: family, then four length-prefixed fields.
    static func record(family: UInt16, address: String, number: String, name: String = "MIT-MAGIC-COOKIE-1", data: [UInt8]) -> [UInt8] {
        func u16(_ value: Int) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xff)] }
        var bytes = u16(Int(family))
        for field in [Array(address.utf8), Array(number.utf8), Array(name.utf8), data] { bytes += u16(field.count) + field }
        return bytes
    }

    @Test func onlyThisDisplaysCookiesRenumberedAndWild() {
        let file = Self.record(family: 256, address: "desk", number: "0", data: [1, 2, 3])
            + Self.record(family: 256, address: "desk", number: "1", data: [4, 5, 6])       // another display
            + Self.record(family: 256, address: "elsewhere", number: "0", data: [7, 8, 9])  // another host
            + Self.record(family: 65535, address: "", number: "0", data: [10])              // wild, this display
        let cookies = XAuthority.sandboxCookies(from: file, display: 0, hostname: "desk")
        #expect(cookies == Self.record(family: 65535, address: "", number: "99", data: [1, 2, 3])
                         + Self.record(family: 65535, address: "", number: "99", data: [10]))
    }

    @Test func nothingForOtherDisplaysOrBrokenFiles() {
        let file = Self.record(family: 256, address: "desk", number: "3", data: [1])
        #expect(XAuthority.sandboxCookies(from: file, display: 0, hostname: "desk") == nil)
        #expect(XAuthority.sandboxCookies(from: Array(file.dropLast()), display: 3, hostname: "desk") == nil, "truncated")
    }

    @Test func grantedX11GetsTheCookiesAtRunFlatpakXauthority() throws {
        let context = try SandboxPlanTests.context { $0.sockets.grant(.x11) }
        var input = try SandboxPlanTests.input(context)
        input.hostSockets = SandboxPlan.HostSockets(x11: .init(socket: "/tmp/.X11-unix/X0", cookies: [9, 9]))
        let plan = try SandboxPlan(input, hostPaths: SandboxPlanTests.host)
        let arguments = plan.bwrapArguments()
        #expect(arguments.contains("/run/flatpak/Xauthority"))
        #expect(plan.steps.contains(.setEnvironment("XAUTHORITY", "/run/flatpak/Xauthority")))
        #expect(plan.descriptors.contains { $0.content == .data(name: "Xauthority", bytes: [9, 9]) })
    }
}
