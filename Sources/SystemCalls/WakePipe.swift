import Glibc

/// Wakes a thread out of `poll(2)`: the thread polls `readFD` with its sockets, and any thread calls `wake()`
/// when it has something for it (a message to send, a reply ready, a stop).
///
/// A socket pair rather than pipe(2): it can be made close-on-exec and non-blocking atomically (pipe2 is not
/// visible to Swift without _GNU_SOURCE), so a process spawned meanwhile never inherits it. Sendable: two
/// descriptors fixed at init, and a socket may be written and read from any thread.
public final class WakePipe: Sendable {
    public let readFD: Int32
    private let writeFD: Int32

    public init() throws(SystemCallError) {
        var fds: [Int32] = [-1, -1]
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        try systemCall("socketpair") { socketpair(AF_UNIX, type, 0, &fds) }
        readFD = fds[0]
        writeFD = fds[1]
    }

    deinit {
        close(readFD)
        close(writeFD)
    }

    /// Never blocks: a full pipe already holds a wake-up.
    public func wake() {
        var byte: UInt8 = 1
        _ = write(writeFD, &byte, 1)
    }

    /// Empties the pipe; call it when `poll` reports `readFD` readable.
    public func drain() {
        var buffer = [UInt8](repeating: 0, count: 256)
        while read(readFD, &buffer, buffer.count) > 0 {}
    }
}
