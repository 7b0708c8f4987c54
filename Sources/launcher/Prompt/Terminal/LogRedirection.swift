import Glibc
import LaunchCommands
import PortalCommon

/// Keeps log lines off the prompt's screen.
///
/// The daemon logs to stderr. When stderr is the prompt's own terminal,
/// every line would land in the middle of a dialog, so stderr is pointed at
/// a log file for as long as the prompt runs and put back afterwards. When
/// the prompt stops with an error, what it logged is shown on the restored
/// terminal, so a failure to start (say, the bus name is taken) is not
/// silent.
struct LogRedirection: Sendable {
    /// Where logs go, for the idle screen.
    let note: String
    private let path: String?
    private let savedStandardError: Int32
    private let startOffset: Int

    /// Redirects stderr to `path` (default `$XDG_RUNTIME_DIR/burrow-prompt.log`)
    /// if it is `terminal`; otherwise leaves it where the user sent it.
    static func begin(terminal: TerminalDevice, path requested: String?, environment: [String: String]) throws(PortalError) -> LogRedirection {
        guard requested != nil || terminal.isSameDevice(as: 2) else {
            return LogRedirection(note: "Logs go to standard error.", path: nil, savedStandardError: -1, startOffset: 0)
        }
        let path: String
        if let requested {
            path = requested
        } else if let runtime = environment["XDG_RUNTIME_DIR"], runtime.hasPrefix("/") {
            path = runtime + "/burrow-prompt.log"
        } else {
            path = "/dev/null"
        }
        // O_NOFOLLOW: a symlink planted at the log path must not make us
        // append to some other file of the user's.
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw .failed("cannot open the log file \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let offset = Int(lseek(fd, 0, SEEK_END))
        let saved = fcntl(2, F_DUPFD_CLOEXEC, 3)
        guard saved >= 0, dup2(fd, 2) >= 0 else {
            throw .failed("cannot redirect standard error: \(String(cString: strerror(errno)))")
        }
        let note = path == "/dev/null"
            ? "Logs are discarded (no XDG_RUNTIME_DIR); --log-file FILE keeps them."
            : "Logs go to \(path)."
        return LogRedirection(note: note, path: path == "/dev/null" ? nil : path, savedStandardError: saved,
                              startOffset: max(offset, 0))
    }

    /// Puts stderr back. After a failure, repeats this run's log lines there.
    func end(failed: Bool) {
        guard savedStandardError >= 0 else { return }
        _ = dup2(savedStandardError, 2)
        close(savedStandardError)
        guard failed, let path, let text = Self.read(path, from: startOffset), !text.isEmpty else { return }
        var standardError = StandardError()
        print(text, terminator: text.hasSuffix("\n") ? "" : "\n", to: &standardError)
    }

    private static func read(_ path: String, from offset: Int) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard lseek(fd, off_t(offset), SEEK_SET) >= 0 else { return nil }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 65536 {
            let count = Glibc.read(fd, &buffer, buffer.count)
            guard count > 0 else { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
