#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SluiceCore
import Synchronization

/// Runs a converter (`pdftotext`) as a child process that a hostile input
/// cannot turn against Sluice: the input goes in on stdin, the output is read
/// up to a cap, and the child is killed when it passes its deadline, its
/// output cap, or (through `prlimit`) its memory and CPU limits. Synchronous,
/// like every extractor: call it from a blocking thread.
///
/// Built on `posix_spawn` and `poll` rather than Foundation's `Process`, so
/// that one call owns the whole life of the child: no run loop, no handler
/// threads, and the child is always reaped before the call returns.
struct ChildProcess {
    struct Limits: Sendable {
        /// Wall-clock time before the child is killed.
        var timeout: Duration
        /// Address space of the child (RLIMIT_AS), in bytes.
        var memoryBytes: Int
        /// Output past this many bytes kills the child.
        var maxOutputBytes: Int
    }

    enum Outcome: Equatable {
        /// It exited with this status.
        case exited(Int32, stdout: [UInt8], stderr: [UInt8])
        /// It was killed by this signal (SIGSEGV, SIGKILL from a limit).
        case signaled(Int32, stderr: [UInt8])
        case timedOut
        case outputTooLarge
    }

    /// Where `prlimit` is, which applies the memory and CPU limits before it
    /// becomes the converter (one exec, no shell).
    static let prlimit = (["/usr/bin/prlimit", "/bin/prlimit"] as [String]).first { access($0, X_OK) == 0 }

    /// The path of `name` on the PATH, or nil.
    static func which(_ name: String) -> String? {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// A child that exits before reading all its input must not kill Sluice
    /// with SIGPIPE: the write fails with EPIPE instead (the child gets the
    /// default back, `setsigdefault`). Set once, for the whole process.
    private static let spawnLock = Mutex(())

    private static let pipeSignalIgnored: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    /// Runs `executable arguments` with `input` on stdin under `limits`.
    static func run(_ executable: String, _ arguments: [String], input: [UInt8], limits: Limits) throws -> Outcome {
        _ = pipeSignalIgnored
        var argv = [executable] + arguments
        if let prlimit {
            let cpuSeconds = max(1, Int(limits.timeout.components.seconds) + 1)
            argv = [prlimit, "--as=\(limits.memoryBytes)", "--cpu=\(cpuSeconds)", "--core=0", "--"] + argv
        }
        var stdinPipe: [Int32] = [-1, -1]
        var stdoutPipe: [Int32] = [-1, -1]
        var stderrPipe: [Int32] = [-1, -1]
        defer { for fd in stdinPipe + stdoutPipe + stderrPipe where fd >= 0 { close(fd) } }
        let pid = try spawnLock.withLock { _ throws -> pid_t in
            // Made close-on-exec under the lock: another worker's child must never inherit these
            // (a copy of a stdin pipe's write end would keep this child waiting for its end).
            for index in 0..<3 {
                var ends: [Int32] = [-1, -1]
                guard pipe(&ends) == 0 else { throw failure("pipe") }
                for fd in ends { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
                switch index {
                case 0: stdinPipe = ends
                case 1: stdoutPipe = ends
                default: stderrPipe = ends
                }
            }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
            posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
            posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            // Its own process group, so a kill reaches anything it started; no blocked signals, SIGPIPE as default.
            var mask = sigset_t()
            sigemptyset(&mask)
            posix_spawnattr_setsigmask(&attributes, &mask)
            var defaults = sigset_t()
            sigemptyset(&defaults)
            sigaddset(&defaults, SIGPIPE)
            posix_spawnattr_setsigdefault(&attributes, &defaults)
            posix_spawnattr_setpgroup(&attributes, 0)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
            let environment = ["PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C.UTF-8"]
            var pid: pid_t = 0
            let spawned = withCStrings(argv) { argvPointers in
                withCStrings(environment) { environmentPointers in
                    posix_spawn(&pid, argv[0], &actions, &attributes, argvPointers, environmentPointers)
                }
            }
            guard spawned == 0 else {
                throw SluiceError(.extraction, "could not start \(executable): \(String(cString: strerror(spawned)))")
            }
            return pid
        }
        // The parent's copies of the child's ends: closed so end-of-file is seen.
        close(stdinPipe[0]); stdinPipe[0] = -1
        close(stdoutPipe[1]); stdoutPipe[1] = -1
        close(stderrPipe[1]); stderrPipe[1] = -1
        for fd in [stdinPipe[1], stdoutPipe[0], stderrPipe[0]] {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }

        let outcome = exchange(
            pid: pid, input: input, stdin: &stdinPipe[1], stdout: stdoutPipe[0], stderr: stderrPipe[0], limits: limits)
        return outcome
    }

    /// Feeds stdin and drains stdout and stderr until the child closes them,
    /// then reaps it; kills its process group on a deadline or the output cap.
    private static func exchange(
        pid: pid_t, input: [UInt8], stdin: inout Int32, stdout: Int32, stderr: Int32, limits: Limits
    ) -> Outcome {
        let deadline = ContinuousClock.now + limits.timeout
        var written = 0
        var output: [UInt8] = []
        var errors: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        var stdoutOpen = true
        var stderrOpen = true
        if input.isEmpty { close(stdin); stdin = -1 }
        func killGroup() {
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
        }
        func reap() -> Int32 {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            return status
        }
        while stdoutOpen || stderrOpen {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else {
                killGroup()
                _ = reap()
                return .timedOut
            }
            var fds: [pollfd] = []
            if stdin >= 0 { fds.append(pollfd(fd: stdin, events: Int16(POLLOUT), revents: 0)) }
            if stdoutOpen { fds.append(pollfd(fd: stdout, events: Int16(POLLIN), revents: 0)) }
            if stderrOpen { fds.append(pollfd(fd: stderr, events: Int16(POLLIN), revents: 0)) }
            let milliseconds = Int32(min(max(1, remaining.milliseconds), 1000))
            let ready = poll(&fds, nfds_t(fds.count), milliseconds)
            if ready < 0 && errno != EINTR { break }
            guard ready > 0 else { continue }
            for entry in fds where entry.revents != 0 {
                if entry.fd == stdin {
                    if entry.revents & Int16(POLLOUT) != 0 {
                        let count = input.withUnsafeBytes { raw in
                            Glibc.write(stdin, raw.baseAddress! + written, min(raw.count - written, 64 << 10))
                        }
                        if count > 0 { written += count }
                        if written == input.count || (count < 0 && errno != EAGAIN && errno != EINTR) {
                            close(stdin)
                            stdin = -1
                        }
                    } else {
                        // POLLERR or POLLHUP: the child stopped reading (it may have read all it needs).
                        close(stdin)
                        stdin = -1
                    }
                    continue
                }
                let count = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress!, $0.count) }
                if count > 0 {
                    if entry.fd == stdout {
                        output.append(contentsOf: buffer[0..<count])
                        if output.count > limits.maxOutputBytes {
                            killGroup()
                            _ = reap()
                            return .outputTooLarge
                        }
                    } else if errors.count < 64 << 10 {
                        errors.append(contentsOf: buffer[0..<min(count, (64 << 10) - errors.count)])
                    }
                } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
                    if entry.fd == stdout { stdoutOpen = false } else { stderrOpen = false }
                }
            }
        }
        if stdin >= 0 { close(stdin); stdin = -1 }
        // Both outputs closed: the child is exiting; a child that closed them and lives on is killed at the deadline.
        while true {
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { return outcome(status, output, errors) }
            if reaped < 0 && errno != EINTR { return .exited(-1, stdout: output, stderr: errors) }
            if ContinuousClock.now >= deadline {
                killGroup()
                _ = reap()
                return .timedOut
            }
            usleep(1000)
        }
    }

    private static func outcome(_ status: Int32, _ output: [UInt8], _ errors: [UInt8]) -> Outcome {
        let signal = status & 0x7F
        if signal == 0 { return .exited((status >> 8) & 0xFF, stdout: output, stderr: errors) }
        return .signaled(signal, stderr: errors)
    }

    private static func failure(_ call: String) -> SluiceError {
        SluiceError(.extraction, "\(call) failed: \(String(cString: strerror(errno)))")
    }

    /// Calls `body` with a NULL-terminated array of C strings.
    private static func withCStrings<Result>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> Result) -> Result {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { for pointer in pointers { free(pointer) } }
        return body(pointers)
    }
}
