import Glibc
import Logging
import PortalCommon

/// The terminal's owner: keeps the queue of requests, shows the first one,
/// feeds it the keys, and answers each method call when its dialog ends.
///
/// Requests are shown one at a time, in the order they arrived; the others
/// wait (the header says how many). Each request exports an
/// `org.freedesktop.impl.portal.Request` at the handle the frontend chose,
/// so the frontend can Close it, and removes it when it ends.
actor PromptAgent {
    static let busName: BusName = "org.freedesktop.impl.portal.desktop.burrow"
    static let objectPath: ObjectPath = "/org/freedesktop/portal/desktop"
    /// Who may call the backend: the frontend, a host process. Safe because
    /// a backend believes the `app_id` it is given; a sandboxed app calling
    /// it directly could ask in another app's name, so sandboxes are
    /// refused (NotAllowed) whatever their bus policy says.
    static let access: AccessPolicy = .hostOnly

    private let terminal: TerminalDevice
    private let connection: BusConnection
    private let logger: Logger
    /// Shown while idle: where the log goes.
    private let logNote: String
    private var queue: [any HostedPrompt] = []
    /// Handles in use, from the method call until the reply: a second
    /// request may not reuse one while the first still waits.
    private var handles: Set<ObjectPath> = []
    private var stopping = false

    init(terminal: TerminalDevice, connection: BusConnection, logger: Logger, logNote: String) {
        self.terminal = terminal
        self.connection = connection
        self.logger = logger
        self.logNote = logNote
    }

    // MARK: Requests

    /// Shows `dialog` when its turn comes and waits for it to end.
    func present<D: PromptDialog>(_ dialog: D, for request: PromptRequest) async throws(PortalError) -> PromptOutcome<D.Answer> {
        guard !stopping else { throw .failed("burrow prompt is stopping") }
        guard handles.insert(request.handle).inserted else {
            throw .invalidArgument("the request handle \(request.handle) is already in use")
        }
        defer { handles.remove(request.handle) }
        let registration = try await connection.export(requestInterface(), at: request.handle)
        defer { registration.unexport() }
        logger.info("\(request.sender) asks for \(request.appLabel): \(request.action)")
        // No suspension between here and the queue: a Close (possible from
        // the export on) always finds the request queued.
        if stopping { return .ended }
        let outcome = await withCheckedContinuation { continuation in
            queue.append(DialogHost(dialog, request: request, continuation: continuation))
            redraw()
        }
        return outcome
    }

    /// The frontend's `Request.Close`: ends the dialog with response 2.
    func close(handle: ObjectPath, sender: BusName) throws(PortalError) {
        // Not queued: already answered, its Request object on its way out.
        guard let index = queue.firstIndex(where: { $0.request.handle == handle }) else { return }
        // Safe because only the frontend that made the request knows and
        // owns it; anyone else closing it would be dismissing the user's
        // dialog on someone else's behalf.
        guard queue[index].request.sender == sender else {
            throw .accessDenied("only the caller that made the request may close it")
        }
        queue.remove(at: index).end()
        redraw()
    }

    /// A peer left the bus: its requests can no longer be answered.
    func senderVanished(_ name: String) {
        let (gone, kept) = (queue.filter { $0.request.sender.rawValue == name }, queue.filter { $0.request.sender.rawValue != name })
        guard !gone.isEmpty else { return }
        queue = kept
        for host in gone { host.end() }
        redraw()
    }

    /// Ends every request (response 2) and accepts no more: the agent is
    /// stopping, and callers must not wait for an answer that cannot come.
    func stop() {
        stopping = true
        let all = queue
        queue.removeAll()
        for host in all { host.end() }
    }

    /// Runs `body` on the dialog of `handle` if it is a `D`, e.g. new
    /// choices for an app chooser; only the request's own caller may.
    func update<D: PromptDialog>(
        _ type: D.Type, handle: ObjectPath, sender: BusName, _ body: (inout D) -> Void
    ) throws(PortalError) {
        guard let host = queue.first(where: { $0.request.handle == handle }), let dialog = host as? DialogHost<D> else {
            throw .notFound("no \(String(describing: D.self)) request is shown at \(handle)")
        }
        guard host.request.sender == sender else {
            throw .accessDenied("only the caller that made the request may change it")
        }
        body(&dialog.dialog)
        redraw()
    }

    // MARK: Keys and drawing

    func handle(_ key: Key) {
        guard let active = queue.first else {
            if key == .interrupt || key == .character("q") {
                // The daemon's SIGTERM path releases the name and restores
                // the terminal; going through it keeps one way out.
                kill(getpid(), SIGTERM)
            }
            return
        }
        let finished = key == .interrupt ? active.cancel() : active.handle(key)
        if finished, let index = queue.firstIndex(where: { $0 === active }) {
            queue.remove(at: index)
        }
        redraw()
    }

    func redraw() {
        guard !stopping else { return }
        let size = terminal.size
        var canvas = Canvas(width: size.columns, height: size.rows)
        var header = [Canvas.Span(" burrow prompt ", .highlight)]
        if queue.count > 1 {
            header.append(.init("  request 1 of \(queue.count) — the others wait their turn", .dim))
        }
        canvas.line(header)
        if let active = queue.first {
            canvas.line()
            canvas.line([.init(active.request.appLabel, .bold), .init(" wants to \(active.request.action)")])
            if !active.request.title.isEmpty { canvas.line("“\(active.request.title)”") }
            canvas.line()
            active.render(into: &canvas)
            canvas.footer = [.init(active.keyHelp, .dim)]
        } else {
            canvas.line()
            canvas.line("Waiting for requests on \(Self.busName).")
            canvas.line("Apps ask through the desktop portal; each question appears here, one at a time.")
            canvas.line()
            canvas.line(logNote, .dim)
            canvas.footer = [.init("q or Ctrl-C: stop burrow prompt", .dim)]
        }
        terminal.write(canvas.frame())
    }

    // MARK: The impl Request object

    private func requestInterface() -> DBusInterface {
        DBusInterface("org.freedesktop.impl.portal.Request", access: Self.access, methods: [
            DBusMethod("Close", .deferred { [self] call in
                try await close(handle: call.path, sender: call.sender)
                return []
            }),
        ])
    }
}

/// A queued dialog with its waiting method call, type-erased for the queue.
/// Only the agent touches these, on its own executor.
private protocol HostedPrompt: AnyObject {
    var request: PromptRequest { get }
    var keyHelp: String { get }
    /// Feeds a key; true when the dialog has ended.
    func handle(_ key: Key) -> Bool
    /// Ends as cancelled by the user; always true.
    func cancel() -> Bool
    /// Ends with response 2 (closed, caller gone, stopping).
    func end()
    func render(into canvas: inout Canvas)
}

private final class DialogHost<D: PromptDialog>: HostedPrompt {
    let request: PromptRequest
    var dialog: D
    private var continuation: CheckedContinuation<PromptOutcome<D.Answer>, Never>?

    init(_ dialog: D, request: PromptRequest, continuation: CheckedContinuation<PromptOutcome<D.Answer>, Never>) {
        self.dialog = dialog
        self.request = request
        self.continuation = continuation
    }

    var keyHelp: String { dialog.keyHelp }

    func handle(_ key: Key) -> Bool {
        switch dialog.handle(key) {
        case .stay: return false
        case .answer(let answer): finish(.answered(answer))
        case .cancel: finish(.cancelled)
        }
        return true
    }

    func cancel() -> Bool {
        finish(.cancelled)
        return true
    }

    func end() { finish(.ended) }

    func render(into canvas: inout Canvas) { dialog.render(into: &canvas) }

    /// Resumes the method call exactly once.
    private func finish(_ outcome: PromptOutcome<D.Answer>) {
        continuation?.resume(returning: outcome)
        continuation = nil
    }
}
