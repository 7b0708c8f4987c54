import PortalCommon

/// A question shown in the terminal: a value that takes keys and draws
/// itself. Dialogs are plain state machines — no D-Bus, no terminal I/O —
/// so what a key does can be reasoned about (and tested) on its own.
protocol PromptDialog: Sendable {
    associatedtype Answer: Sendable
    mutating func handle(_ key: Key) -> DialogStep<Answer>
    func render(into canvas: inout Canvas)
    /// The footer: which keys do what right now.
    var keyHelp: String { get }
}

/// What a key did to a dialog.
enum DialogStep<Answer: Sendable> {
    case stay
    case answer(Answer)
    case cancel
}

/// How a request ended, and the response code the portal protocol gives
/// it: 0 answered, 1 cancelled by the user, 2 ended some other way (the
/// frontend's Close, the caller leaving the bus, burrow prompt stopping).
enum PromptOutcome<Answer: Sendable>: Sendable {
    case answered(Answer)
    case cancelled
    case ended

    var response: UInt32 {
        switch self {
        case .answered: 0
        case .cancelled: 1
        case .ended: 2
        }
    }
}

/// Who asks, and for what, as the method arguments say.
struct PromptRequest: Sendable {
    /// The impl Request object's path, chosen by the frontend.
    let handle: ObjectPath
    /// The frontend that called; only it may Close the request.
    let sender: BusName
    /// The app the frontend asks for ("" for an unidentified host app).
    let appID: String
    /// What is asked, completing "APP wants to …".
    let action: String
    let title: String

    /// The app as the user should read it.
    var appLabel: String { appID.isEmpty ? "An unsandboxed application" : appID }
}

/// The arguments every backend method starts with, validated.
extension PromptRequest {
    /// Reads `(o handle, s app_id, s parent_window, …)` from `call`; `title`
    /// is the argument at `titleIndex` when the method has one.
    init(_ call: MethodCall, action: String, titleIndex: Int?) throws(PortalError) {
        handle = try call.argument(0, as: ObjectPath.self)
        appID = try call.argument(1, as: String.self)
        _ = try call.argument(2, as: String.self)  // parent_window: no windows in a terminal
        title = try titleIndex.map { index throws(PortalError) in try call.argument(index, as: String.self) } ?? ""
        sender = call.sender
        self.action = action
        // The frontend derives app ids from the sandbox or the systemd unit;
        // host app ids need not follow Flatpak's naming rules, so only what
        // could never be an id is refused.
        guard appID.utf8.count <= 255, !appID.contains("/"),
              !appID.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalidArgument("'\(Canvas.sanitize(appID))' is not an application id")
        }
        guard handle != PromptAgent.objectPath else {
            throw .invalidArgument("the request handle must not be the portal object itself")
        }
    }
}
