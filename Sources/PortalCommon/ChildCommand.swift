import Glibc

/// What a finished command left behind.
public struct CommandResult: Sendable {
    public let status: Int32
    public let output: String
    public let errors: String

    /// The first line of stderr (or of stdout), for a message.
    public var complaint: String {
        let text = errors.isEmpty ? output : errors
        return text.split(separator: "\n").first.map(String.init) ?? "exit status \(status)"
    }
}

/// Runs a program and collects what it prints: argv straight to
/// posix_spawn (no shell), stdin from a given descriptor (else /dev/null),
/// signals back to their defaults in the child. It blocks until the child
/// exits: call it from a thread that may block.
public enum ChildCommand {
    public static func run(_ path: String, _ arguments: [String], standardInput: UnixFD? = nil) throws(PortalError) -> CommandResult {
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0 else { throw .failed("pipe: \(String(cString: strerror(errno)))") }
        guard pipe(&errPipe) == 0 else {
            outPipe.forEach { close($0) }
            throw .failed("pipe: \(String(cString: strerror(errno)))")
        }
        // No end may leak into another child started meanwhile, or EOF would
        // wait for that child too; dup2 onto 1 and 2 clears the flag for ours.
        for fd in outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        defer { close(outPipe[0]); close(errPipe[0]) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let standardInput {
            standardInput.withRawDescriptor { _ = posix_spawn_file_actions_adddup2(&actions, $0, 0) }
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        // The daemon ignores SIGTERM, SIGINT, SIGHUP and SIGPIPE; the child
        // gets the defaults back (and an empty signal mask).
        let spawned = withExtendedLifetime(standardInput) {
            SpawnAttributes.withCleanSignals { posix_spawn(&pid, path, &actions, $0, argv, environ) }
        }
        close(outPipe[1])
        close(errPipe[1])
        guard spawned == 0 else { throw .failed("cannot run \(path): \(String(cString: strerror(spawned)))") }

        let (output, errors) = drain(outPipe[0], errPipe[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return CommandResult(status: code, output: output, errors: errors)
    }

    /// Reads both pipes to their end at once, so a child that fills one
    /// while we wait on the other cannot stall.
    private static func drain(_ out: Int32, _ err: Int32) -> (String, String) {
        var collected: [[UInt8]] = [[], []]
        var open = [true, true]
        var buffer = [UInt8](repeating: 0, count: 4096)
        while open[0] || open[1] {
            var fds = [pollfd(fd: open[0] ? out : -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: open[1] ? err : -1, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 2, -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            for index in 0..<2 where open[index] && fds[index].revents != 0 {
                let count = read(fds[index].fd, &buffer, buffer.count)
                if count > 0 {
                    collected[index] += buffer[0..<count]
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    open[index] = false
                }
            }
        }
        return (String(decoding: collected[0], as: UTF8.self), String(decoding: collected[1], as: UTF8.self))
    }
}
