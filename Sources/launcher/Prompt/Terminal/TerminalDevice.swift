import Glibc
import PortalCommon
import Synchronization

/// The controlling terminal, switched to raw mode and the alternate screen
/// while `burrow prompt` runs, and put back exactly as it was afterwards.
///
/// The device is opened as `/dev/tty` rather than taken from stdin/stdout,
/// so logs redirected away from the terminal (see `LogTap`) never mix with
/// the prompt, and the prompt works whatever its standard streams are.
final class TerminalDevice: Sendable {
    let descriptor: Int32
    private let original: termios
    private let state = Mutex<Mode>(.cooked)

    private enum Mode { case cooked, raw, closed }

    private init(descriptor: Int32, original: termios) {
        self.descriptor = descriptor
        self.original = original
    }

    /// Opens the controlling terminal; a process without one (started by
    /// D-Bus activation, say) gets an error saying where to run it.
    static func open() throws(PortalError) -> TerminalDevice {
        let fd = Glibc.open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else {
            throw .failed("burrow prompt needs a terminal to ask its questions in, and /dev/tty cannot be opened: "
                + String(cString: strerror(errno)) + "; run it in a terminal (or in tmux)")
        }
        var attributes = termios()
        guard tcgetattr(fd, &attributes) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw .failed("/dev/tty is not a terminal: \(reason)")
        }
        return TerminalDevice(descriptor: fd, original: attributes)
    }

    /// Raw input (every key as it is pressed, no echo, Ctrl-C as a byte
    /// rather than SIGINT) on the alternate screen, so the shell's screen
    /// comes back untouched when the prompt ends.
    func enterRawMode() {
        state.withLock { mode in
            guard mode == .cooked else { return }
            var raw = original
            raw.c_iflag &= ~tcflag_t(BRKINT | ICRNL | INPCK | ISTRIP | IXON)
            raw.c_cflag |= tcflag_t(CS8)
            raw.c_lflag &= ~tcflag_t(ECHO | ICANON | IEXTEN | ISIG)
            withUnsafeMutableBytes(of: &raw.c_cc) { cc in
                cc[Int(VMIN)] = 1
                cc[Int(VTIME)] = 0
            }
            _ = tcsetattr(descriptor, TCSAFLUSH, &raw)
            mode = .raw
        }
        write("\u{1b}[?1049h\u{1b}[H\u{1b}[2J")
    }

    /// Leaves the alternate screen and restores the saved settings. Safe to
    /// call more than once and from a signal's cleanup path.
    func restore() {
        let wasRaw = state.withLock { mode -> Bool in
            defer { if mode == .raw { mode = .cooked } }
            return mode == .raw
        }
        guard wasRaw else { return }
        write("\u{1b}[0m\u{1b}[?25h\u{1b}[?1049l")
        var saved = original
        _ = tcsetattr(descriptor, TCSAFLUSH, &saved)
    }

    /// Rows and columns; 24×80 when the terminal does not say.
    var size: (rows: Int, columns: Int) {
        var window = winsize()
        guard ioctl(descriptor, UInt(TIOCGWINSZ), &window) == 0, window.ws_row > 0, window.ws_col > 0 else {
            return (24, 80)
        }
        return (Int(window.ws_row), Int(window.ws_col))
    }

    /// Writes all of `text`. A terminal that has gone away (SIGHUP) drops
    /// output silently: there is nobody left to read it.
    func write(_ text: String) {
        TextOutput.write(text, to: descriptor)
    }

    /// Whether `fd` is this same terminal (stderr, for instance).
    func isSameDevice(as fd: Int32) -> Bool {
        var mine = stat()
        var other = stat()
        guard fstat(descriptor, &mine) == 0, fstat(fd, &other) == 0 else { return false }
        return (other.st_mode & S_IFMT) == S_IFCHR && mine.st_rdev == other.st_rdev
    }

    deinit {
        restore()
        close(descriptor)
    }
}
