import Foundation
import Glibc
import Synchronization

/// One named OS thread that runs one loop, and the ways to wait for its end: the shape of every I/O thread in Levee
/// (the bus workers, the historian's writer, the snapshot writers, the MQTT network loop and journal, the uplink,
/// the control socket, the valve ticker).
///
/// Blocking work (libmodbus, SQLite, fsync, poll) must never run on Swift's cooperative pool, which has only as
/// many threads as cores; each such loop gets a thread of its own. How a loop is told to stop is its own business
/// (a flag and a condition, a `WakePipe`); this type only starts the thread and reports when the loop returned,
/// to a blocked thread (`join`) or to a suspended task (`joined`), never both needing the other.
public final class WorkerThread: Sendable {
    public let name: String

    private struct State {
        var finished = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())
    private let condition = NSCondition()

    /// Starts `body` on a new thread named `name` (as `top` and `/proc/<pid>/task/*/comm` show it, first 15 bytes).
    public init(name: String, _ body: @escaping @Sendable () -> Void) {
        self.name = name
        let thread = Thread { [self] in
            Self.nameCurrentThread(name)
            body()
            finish()
        }
        thread.name = name
        thread.start()
    }

    /// Whether the loop has returned.
    public var isFinished: Bool { state.withLock { $0.finished } }

    /// Blocks the calling thread until the loop has returned. Never call it from the cooperative pool: use `joined`.
    public func join() {
        condition.lock()
        while !state.withLock({ $0.finished }) { condition.wait() }
        condition.unlock()
    }

    /// Suspends until the loop has returned, without holding a thread.
    public func joined() async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { s -> Bool in
                if s.finished { return true }
                s.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Foundation on Linux does not pass a name set before `start()` on to the kernel, so the thread names itself.
    /// `pthread_setname_np` needs `_GNU_SOURCE`, which Swift's Glibc module does not define, and `prctl` is
    /// variadic; the kernel's own file for it, `/proc/thread-self/comm`, takes 15 bytes at most, so the name is cut
    /// at a character boundary.
    static func nameCurrentThread(_ name: String) {
        var short = ""
        for c in name where short.utf8.count + String(c).utf8.count <= 15 { short.append(c) }
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = short.withCString { write(fd, $0, strlen($0)) }
        close(fd)
    }

    private func finish() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.finished = true
            defer { s.waiters = [] }
            return s.waiters
        }
        condition.lock()
        condition.broadcast()
        condition.unlock()
        for waiter in waiters { waiter.resume() }
    }
}
