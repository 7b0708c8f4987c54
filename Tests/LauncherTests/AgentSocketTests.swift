import Foundation
import Testing
import TestSupport

/// Smart-card, printing and gpg-agent sockets in a real `burrow run`.
@Suite("burrow run: pcsc, cups and gpg-agent sockets")
struct AgentSocketTests {
    @Test func grantedSocketsAppearWhereClientsLookAndOnlyThen() async throws {
        let (scratch, baseEnvironment) = try await RunCommandTests.prepare()
        defer { withExtendedLifetime(scratch) {} }
        var environment = baseEnvironment
        let runtime = environment["XDG_RUNTIME_DIR"]!
        // Host sockets under the names the launcher looks for.
        let pcsc = scratch.root.path + "/pcscd.comm", cups = scratch.root.path + "/cups.sock", agent = runtime + "/gnupg/S.gpg-agent"
        try FileManager.default.createDirectory(atPath: runtime + "/gnupg", withIntermediateDirectories: true)
        for socket in [pcsc, cups, agent] {
            let made = try await runProgram("/usr/bin/python3", ["-c", "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", socket])
            #expect(made.status == 0, "\(made)")
        }
        _ = try await runProgram("/bin/chown", ["-R", "65534:65534", runtime + "/gnupg"])
        environment["PCSCLITE_CSOCK_NAME"] = pcsc
        environment["CUPS_SERVER"] = cups
        let probe = """
            for s in /run/pcscd/pcscd.comm /run/cups/cups.sock $XDG_RUNTIME_DIR/gnupg/S.gpg-agent; do test -S $s && echo $s; done
            echo pcsc=${PCSCLITE_CSOCK_NAME:-unset} cups=${CUPS_SERVER:-unset}
            """
        let granted = try await RunCommandTests.runAsNobody(["run", "--socket=pcsc", "--socket=cups", "--socket=gpg-agent",
                                                             "--command=sh", "org.example.Hello", "-c", probe], environment: environment)
        #expect(granted.status == 0, "\(granted)")
        #expect(granted.lines == ["/run/pcscd/pcscd.comm", "/run/cups/cups.sock", "/run/user/\(Nobody.uid)/gnupg/S.gpg-agent",
                                  "pcsc=/run/pcscd/pcscd.comm cups=/run/cups/cups.sock"], "\(granted)")
        let plain = try await RunCommandTests.runAsNobody(["run", "--command=sh", "org.example.Hello", "-c", probe], environment: environment)
        #expect(plain.lines == ["pcsc=unset cups=unset"], "\(plain)")
    }
}
