import CLinux
import Foundation
import PortalCommon

/// A child process started with `posix_spawn` in its own process group and
/// reaped with `waitpid`.
///
/// Foundation's `Process` is not used: on Linux its `waitUntilExit` can hang
/// once the child has been reaped elsewhere, and it cannot kill a whole tree.
/// Tests start daemons that start sandboxes; `stop()` (also run by deinit)
/// signals the group, waits, and escalates to SIGKILL, so a failing test
/// leaves no process behind.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    /// Read end of the child's stdout when `captureOutput` was set; otherwise
    /// the child shares the test's stdout (and stderr), where its logs help.
    public let standardOutput: FileHandle?
    /// Read end of the child's stderr when `captureError` was set.
    public let standardError: FileHandle?
    /// Write end of the child's stdin when `pipeInput` was set.
    public let standardInput: FileHandle?

    private let lock = NSLock()
    private var exitStatus: Int32?

    /// `inheritedDescriptors` maps a descriptor number in the child to one
    /// of ours (e.g. `[9: memfd]` for `bwrap --seccomp 9`); ours stay open.
    public init(
        _ path: String, _ arguments: [String], environment: [String: String]? = nil,
        captureOutput: Bool = false, captureError: Bool = false, pipeInput: Bool = false,
        inheritedDescriptors: [Int32: Int32] = [:]
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var parentEnds: [Int32] = []
        var childEnds: [Int32] = []
        func pipePair(childSide: Int32, childReads: Bool) throws -> FileHandle {
            var fds: [Int32] = [0, 0]
            guard burrow_pipe2(&fds, O_CLOEXEC) == 0 else { throw TestFailure("pipe2: \(String(cString: strerror(errno)))") }
            let (child, parent) = childReads ? (fds[0], fds[1]) : (fds[1], fds[0])
            posix_spawn_file_actions_adddup2(&actions, child, childSide)
            childEnds.append(child)
            parentEnds.append(parent)
            return FileHandle(fileDescriptor: parent, closeOnDealloc: true)
        }
        standardOutput = captureOutput ? try pipePair(childSide: 1, childReads: false) : nil
        standardError = captureError ? try pipePair(childSide: 2, childReads: false) : nil
        standardInput = pipeInput ? try pipePair(childSide: 0, childReads: true) : nil
        if !pipeInput { posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0) }
        // Copies above every target slot first, so one mapping's dup2 can
        // never overwrite another's source (`[9: 10, 10: 9]`), and dup2 onto
        // a different number always clears close-on-exec for the child.
        var staged: [Int32] = []
        defer { staged.forEach { close($0) } }
        let above = (inheritedDescriptors.keys.max() ?? 2) + 1
        for (slot, source) in inheritedDescriptors.sorted(by: { $0.key < $1.key }) {
            let copy = fcntl(source, F_DUPFD_CLOEXEC, max(above, 3))
            guard copy >= 0 else { throw TestFailure("cannot duplicate fd \(source): \(String(cString: strerror(errno)))") }
            staged.append(copy)
            posix_spawn_file_actions_adddup2(&actions, copy, slot)
        }
        // Nothing else reaches the child: any descriptor some other thread
        // has open without O_CLOEXEC (Foundation's file copies do) would
        // otherwise live as long as the child — a writable fd on a program
        // another test then executes fails with ETXTBSY.
        burrow_spawn_addclosefrom(&actions, above)

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { env.forEach { free($0) } }
        var pid: pid_t = 0
        // Own process group: stop() can signal everything the child starts.
        let result = SpawnAttributes.withCleanSignals(newProcessGroup: true) { posix_spawn(&pid, path, &actions, $0, argv, env) }
        childEnds.forEach { close($0) }
        guard result == 0 else {
            throw TestFailure("cannot start \(path): \(String(cString: strerror(result)))")
        }
        self.pid = pid
    }

    /// Sends `signal` to the child's process group.
    public func signal(_ signal: Int32) {
        lock.withLock { if exitStatus == nil { _ = kill(-pid, signal) } }
    }

    /// The raw wait status once the child has exited, reaping it; `nil` while it runs.
    public func poll() -> Int32? {
        lock.withLock {
            if let exitStatus { return exitStatus }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { exitStatus = status }
            return exitStatus
        }
    }

    /// Waits up to `timeout` for the child to exit; its raw wait status, or `nil`.
    @discardableResult
    public func wait(timeout: Duration = .seconds(30)) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = poll() { return status }
            usleep(2_000)
        }
        return poll()
    }

    /// Exit code when the child exited normally, else `nil`.
    public var exitCode: Int32? {
        guard let status = poll(), status & 0x7f == 0 else { return nil }
        return (status >> 8) & 0xff
    }

    /// Terminates the group politely, then by force; always reaps the child.
    public func stop(grace: Duration = .seconds(5)) {
        signal(SIGTERM)
        if wait(timeout: grace) == nil {
            signal(SIGKILL)
            wait(timeout: .seconds(30))
        }
        // The group may outlive its leader (daemons' children); kill the rest.
        _ = kill(-pid, SIGKILL)
    }

    /// The next line of the child's captured stdout, read on a thread of
    /// its own (see `runProgram`: a blocked pool thread can stall the run).
    public func nextOutputLine() async -> String? {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: self.standardOutput?.readLine()) }.start()
        }
    }

    deinit {
        if poll() == nil { stop(grace: .seconds(1)) }
    }
}

extension FileHandle {
    /// Reads one line (without the newline), byte by byte so nothing after it
    /// is consumed.
    public func readLine() -> String? {
        var bytes: [UInt8] = []
        while true {
            var byte: UInt8 = 0
            let n = Glibc.read(fileDescriptor, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            guard n == 1 else { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
    }

    /// Reads until end of file.
    public func readAll() -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = Glibc.read(fileDescriptor, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return data }
            data.append(contentsOf: buffer[0..<n])
        }
    }
}

/// Runs a program to completion and returns its exit code and output.
/// A child killed by a signal reports `128 + signal`, as shells do.
///
/// The blocking reads and waits happen on a thread of their own: tests run
/// in parallel on Swift's small cooperative pool (two threads here), and a
/// pool thread blocked on a child that is itself waiting for a service in
/// the same process would deadlock the whole run.
@discardableResult
public func runProgram(
    _ path: String, _ arguments: [String], environment: [String: String]? = nil,
    stdin: Data? = nil, timeout: Duration = .seconds(120), inheritedDescriptors: [Int32: Int32] = [:]
) async throws -> (status: Int32, stdout: String, stderr: String) {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result {
                try runProgramBlocking(
                    path, arguments, environment: environment, stdin: stdin, timeout: timeout,
                    inheritedDescriptors: inheritedDescriptors)
            })
        }
        thread.start()
    }
}

private func runProgramBlocking(
    _ path: String, _ arguments: [String], environment: [String: String]?, stdin: Data?, timeout: Duration,
    inheritedDescriptors: [Int32: Int32]
) throws -> (status: Int32, stdout: String, stderr: String) {
    let child = try ChildProcess(
        path, arguments, environment: environment, captureOutput: true, captureError: true, pipeInput: true,
        inheritedDescriptors: inheritedDescriptors)
    if let stdin { child.standardInput!.write(stdin) }
    try child.standardInput!.close()
    // Drain stderr on another thread so a chatty child can never block on a full pipe.
    nonisolated(unsafe) var errData = Data()
    let errDone = DispatchSemaphore(value: 0)
    Thread { errData = child.standardError!.readAll(); errDone.signal() }.start()
    let outData = child.standardOutput!.readAll()
    errDone.wait()
    guard let status = child.wait(timeout: timeout) else {
        child.stop()
        throw TestFailure("\(path) did not exit within \(timeout)")
    }
    let code = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return (code, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}
