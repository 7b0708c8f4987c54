import FoundationEssentials
import Glibc
import PortalCommon
import Installer
import Runtime
import Synchronization

/// Pull progress: one redrawn line on a terminal, nothing otherwise (scripts
/// get the plain "Installing …"/"Installed …" lines, or nothing with
/// --noninteractive).
final class ProgressLine: Sendable {
    private let label: String
    private let enabled: Bool
    private let lastDraw = Mutex<ContinuousClock.Instant?>(nil)

    init(_ label: String, quiet: Bool) {
        self.label = label
        enabled = !quiet && isatty(1) == 1
    }

    var reporter: (@Sendable (PullProgress) -> Void)? {
        guard enabled else { return nil }
        return { [self] progress in draw(progress) }
    }

    private func draw(_ progress: PullProgress) {
        // At most ~20 redraws a second; the final report always draws.
        let now = ContinuousClock.now
        let due = lastDraw.withLock { last -> Bool in
            if !progress.isFinished, let last, now - last < .milliseconds(50) { return false }
            last = now
            return true
        }
        guard due else { return }
        let total = max(progress.requestedObjects, progress.fetchedObjects)
        let fraction = total > 0 ? Double(progress.fetchedObjects) / Double(total) : (progress.isFinished ? 1 : 0)
        let width = 24
        let filled = Int(Double(width) * min(max(fraction, 0), 1))
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        let line = "\r\u{1B}[K\(label) [\(bar)] \(Int(fraction * 100))%  \(Self.bytes(progress.bytesTransferred))  "
            + "\(progress.fetchedObjects)/\(total) objects"
        // Straight to fd 1: this runs on the pull's thread, and print()'s
        // buffer belongs to the main flow (a terminal flushes it per line).
        TextOutput.write(line + (progress.isFinished ? "\n" : ""), to: 1)
    }

    static func bytes(_ count: UInt64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(count)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        guard unit > 0 else { return "\(count) B" }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }
}
