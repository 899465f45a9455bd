import Foundation

/// A non-blocking socket pair that interrupts the network thread's `poll` when `publish`, `subscribe` or `stop` has
/// something for it. libmosquitto's own wake-up pair is internal to `mosquitto_loop`, which this client does not use.
final class WakePipe: Sendable {
    let readFD: Int32
    private let writeFD: Int32

    init() throws(MQTTJournalError) {
        var fds: [Int32] = [-1, -1]
        // A socket pair rather than pipe(2): it can be made close-on-exec and non-blocking atomically (pipe2 is not
        // visible to Swift without _GNU_SOURCE), so a process the daemon spawns meanwhile never inherits it.
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        guard socketpair(AF_UNIX, type, 0, &fds) == 0 else {
            throw MQTTJournalError(code: errno, operation: "socketpair", path: "(wake pipe)")
        }
        readFD = fds[0]
        writeFD = fds[1]
    }

    deinit {
        close(readFD)
        close(writeFD)
    }

    /// Never blocks: a full pipe already holds a wake-up.
    func wake() {
        var byte: UInt8 = 1
        _ = write(writeFD, &byte, 1)
    }

    func drain() {
        var buffer = [UInt8](repeating: 0, count: 256)
        while read(readFD, &buffer, buffer.count) > 0 {}
    }
}
