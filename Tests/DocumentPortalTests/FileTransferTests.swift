import CLinux
import Foundation
import PortalCommon
import Testing
import TestSupport

/// org.freedesktop.portal.FileTransfer between two host apps: the sender
/// (`portal.client`) and a receiver on a connection of its own.
@Suite("FileTransfer")
struct FileTransferTests {
    static func start(_ portal: DocumentDaemon, _ options: [String: Variant] = [:]) async throws -> String {
        let reply = try await portal.fileTransfer("StartTransfer", [options.dbusValue])
        return try String(dbusValue: reply.first ?? .bool(false))
    }

    static func addFiles(_ portal: DocumentDaemon, _ key: String, _ fds: [UnixFD], as caller: BusConnection? = nil) async throws(PortalError) {
        _ = try await portal.fileTransfer("AddFiles", [.string(key), fds.dbusValue, [String: Variant]().dbusValue], as: caller)
    }

    static func retrieve(_ portal: DocumentDaemon, _ key: String, as caller: BusConnection) async throws(PortalError) -> [String] {
        let reply = try await portal.fileTransfer("RetrieveFiles", [.string(key), [String: Variant]().dbusValue], as: caller)
        return try [String](dbusValue: reply.first ?? .bool(false))
    }

    /// TransferClosed signals reaching the sender.
    static func closedKeys(_ portal: DocumentDaemon) async throws -> (AsyncStream<String>, MatchSubscription) {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let subscription = try await portal.client.addMatch(
            "type='signal',interface='\(DocumentDaemon.fileTransferInterface)',member='TransferClosed'"
        ) { signal in
            continuation.yield(signal.arguments.first?.stringValue ?? "?")
        }
        return (stream, subscription)
    }

    @Test func aHostReceiverGetsTheHostPaths() async throws {
        let portal = try await DocumentDaemon()
        let receiver = try await portal.connectHostApp()
        defer { receiver.close() }
        let paths = try ["one.txt", "two.txt"].map { try portal.makeFile($0) }
        let key = try await Self.start(portal, ["autostop": Variant(.bool(false))])
        #expect(!key.isEmpty)
        try await Self.addFiles(portal, key, [portal.open(paths[0], O_RDONLY)])
        try await Self.addFiles(portal, key, [portal.open(paths[1], burrow_o_path)])
        #expect(try await Self.retrieve(portal, key, as: receiver) == paths)
        // Host receivers need no documents.
        #expect(try await portal.list().isEmpty)
    }

    @Test func aWrongKeyIsAccessDenied() async throws {
        let portal = try await DocumentDaemon()
        let other = try await portal.connectHostApp()
        defer { other.close() }
        let path = try portal.makeFile("file.txt")
        let key = try await Self.start(portal)
        let fd = try portal.open(path, O_RDONLY)
        let attempts: [(String, () async throws -> Void)] = [
            ("RetrieveFiles with a made-up key", { _ = try await Self.retrieve(portal, key + "0", as: other) }),
            ("AddFiles with a made-up key", { try await Self.addFiles(portal, "not-a-key", [fd]) }),
            ("AddFiles by another connection", { try await Self.addFiles(portal, key, [fd], as: other) }),
            ("StopTransfer by another connection", { _ = try await portal.fileTransfer("StopTransfer", [.string(key)], as: other) }),
        ]
        for (what, attempt) in attempts {
            let error = await #expect(throws: PortalError.self, "\(what)") { try await attempt() }
            #expect(error?.name == ErrorName.accessDenied, "\(what)")
        }
        // The transfer itself is untouched by the failed attempts.
        try await Self.addFiles(portal, key, [portal.open(path, O_RDONLY)])
        #expect(try await Self.retrieve(portal, key, as: other) == [path])
    }

    @Test func autostopClosesTheTransferAfterTheFirstRetrieve() async throws {
        let portal = try await DocumentDaemon()
        let receiver = try await portal.connectHostApp()
        defer { receiver.close() }
        let (closed, subscription) = try await Self.closedKeys(portal)
        defer { subscription.cancel() }
        let path = try portal.makeFile("once.txt")
        let key = try await Self.start(portal)
        try await Self.addFiles(portal, key, [portal.open(path, O_RDONLY)])
        #expect(try await Self.retrieve(portal, key, as: receiver) == [path])
        let again = await #expect(throws: PortalError.self) { try await Self.retrieve(portal, key, as: receiver) }
        #expect(again?.name == ErrorName.accessDenied)
        #expect(try await first(1, of: closed) == [key])
    }

    @Test func stopTransferEndsItAndSignalsTheSender() async throws {
        let portal = try await DocumentDaemon()
        let receiver = try await portal.connectHostApp()
        defer { receiver.close() }
        let (closed, subscription) = try await Self.closedKeys(portal)
        defer { subscription.cancel() }
        let path = try portal.makeFile("many.txt")
        let key = try await Self.start(portal, ["autostop": Variant(.bool(false))])
        try await Self.addFiles(portal, key, [portal.open(path, O_RDONLY)])
        // Without autostop, any number of retrieves until the sender stops.
        #expect(try await Self.retrieve(portal, key, as: receiver) == [path])
        #expect(try await Self.retrieve(portal, key, as: receiver) == [path])
        _ = try await portal.fileTransfer("StopTransfer", [.string(key)])
        #expect(try await first(1, of: closed) == [key])
        let after = await #expect(throws: PortalError.self) { try await Self.retrieve(portal, key, as: receiver) }
        #expect(after?.name == ErrorName.accessDenied)
        let addAfter = await #expect(throws: PortalError.self) { try await Self.addFiles(portal, key, [portal.open(path, O_RDONLY)]) }
        #expect(addAfter?.name == ErrorName.accessDenied)
    }

    @Test func aSandboxedReceiverGetsDocumentsInItsView() async throws {
        let portal = try await DocumentDaemon()
        let app = try await portal.connectSandboxedApp("org.burrow.Receiver")
        defer { app.close() }
        let path = try portal.makeFile("dropped.txt", contents: "dragged in")
        let key = try await Self.start(portal)
        try await Self.addFiles(portal, key, [portal.open(path, O_RDWR)])
        let files = try await Self.retrieve(portal, key, as: app)
        try #require(files.count == 1)
        let documents = try await portal.list("org.burrow.Receiver")
        try #require(documents.count == 1)
        let id = try #require(documents.keys.first)
        #expect(files == ["\(portal.mountPoint)/\(id)/dropped.txt"])
        // A transfer that was not started writable hands out read only.
        #expect(try await portal.info(id).apps == ["org.burrow.Receiver": ["read"]])
        let read = try await portal.shell("cat \"$DOC/by-app/org.burrow.Receiver/\(id)/dropped.txt\"")
        #expect(read.stdout == "dragged in", "\(read.stderr)")
    }
}
