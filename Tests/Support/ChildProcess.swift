import Foundation
import Glibc
import Synchronization

/// A child process started with `posix_spawn`, a clean signal mask and default signal handlers.
///
/// Foundation's `Process` passes on the spawning thread's signal mask, and Swift's cooperative threads block
/// SIGTERM: a mosquitto started that way never sees SIGTERM, so it cannot be stopped gracefully (nor
/// `waitUntilExit`ed). The test process also ignores SIGPIPE (libmosquitto sets that), which children must not inherit.
public final class ChildProcess: @unchecked Sendable {
    // @unchecked: `status` is guarded by `lock`; `lines` has its own mutex.
    public let pid: pid_t
    private let lock = NSLock()
    private var status: Int32?
    /// Output lines: a box of its own, so that the reader thread does not keep the child object alive.
    private final class Lines: Sendable {
        let state = Mutex<(done: [String], partial: String, closed: Bool)>(([], "", false))
    }
    private let lines = Lines()

    public init(_ executable: String, _ arguments: [String], captureOutput: Bool) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var fds: [Int32] = [-1, -1]
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if captureOutput {
            // Close-on-exec, so that children spawned meanwhile by parallel tests do not hold the write end open.
            let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
            guard socketpair(AF_UNIX, type, 0, &fds) == 0 else { throw ChildError(message: "socketpair: \(errno)") }
            posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
            posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
            posix_spawn_file_actions_addclose(&actions, fds[0])
            posix_spawn_file_actions_addclose(&actions, fds[1])
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        SpawnActions.closeInherited(&actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard rc == 0 else { throw ChildError(message: "posix_spawn \(executable): \(String(cString: strerror(rc)))") }
        self.pid = pid
        if captureOutput {
            close(fds[1])
            let readFD = fds[0]
            let lines = self.lines
            let thread = Thread { Self.read(readFD, into: lines) }
            thread.start()
        }
    }

    private static func read(_ fd: Int32, into lines: Lines) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = Glibc.read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            let text = String(decoding: buffer[0..<n], as: UTF8.self)
            lines.state.withLock { l in
                l.partial += text
                while let newline = l.partial.firstIndex(of: "\n") {
                    l.done.append(String(l.partial[..<newline]))
                    l.partial = String(l.partial[l.partial.index(after: newline)...])
                }
            }
        }
        close(fd)
        lines.state.withLock { l in
            if !l.partial.isEmpty { l.done.append(l.partial) }
            l.partial = ""
            l.closed = true
        }
    }

    /// Complete lines written so far (stdout and stderr together).
    public var output: [String] { lines.state.withLock { $0.done } }

    /// True once the child's output has been read to its end.
    public var outputClosed: Bool { lines.state.withLock { $0.closed } }

    public var isRunning: Bool { exitStatus == nil }

    /// The exit status once the child has ended (reaped here, without blocking).
    public var exitStatus: Int32? {
        lock.lock()
        defer { lock.unlock() }
        if status == nil {
            var raw: Int32 = 0
            if waitpid(pid, &raw, WNOHANG) == pid {
                status = (raw & 0x7F) == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
            }
        }
        return status
    }

    public func kill(_ signal: Int32) { _ = Glibc.kill(pid, signal) }

    deinit {
        if isRunning {
            kill(SIGKILL)
            var raw: Int32 = 0
            _ = waitpid(pid, &raw, 0)
        }
    }
}

/// File actions every test child needs.
public enum SpawnActions {
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which Swift's Glibc module does not import.
    private static let closeFrom: CloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map {
        unsafeBitCast($0, to: CloseFrom.self)
    }

    /// Closes every descriptor above stderr in the child. Without it a child inherits whatever a parallel test had
    /// open without close-on-exec at that instant, such as the socket through which Foundation's `Process` learns
    /// that its own child has exited: holding it, our child made a `waitUntilExit` elsewhere wait for good.
    public static func closeInherited(_ actions: inout posix_spawn_file_actions_t) {
        guard let closeFrom else { fatalError("glibc without posix_spawn_file_actions_addclosefrom_np (needs 2.34)") }
        let rc = closeFrom(&actions, 3)
        precondition(rc == 0, "posix_spawn_file_actions_addclosefrom_np: \(rc)")
    }
}

public struct ChildError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

extension ChildProcess {
    /// Waits until the child prints a line that `match` accepts and returns it; nil if the child ends, or the
    /// time runs out, first.
    public func line(within seconds: Double = 20, where match: (String) -> Bool) async -> String? {
        var found: String?
        _ = await TestWait.until(seconds) {
            found = output.first(where: match)
            return found != nil || (!isRunning && outputClosed)
        }
        return found ?? output.first(where: match)
    }
}
