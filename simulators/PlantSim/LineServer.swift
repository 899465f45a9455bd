import Foundation
import Glibc

/// A Unix stream socket that speaks a line protocol: each request line gets reply lines. The GPIO chip and the
/// control socket both use it. One thread accepts; each connection has its own thread.
final class LineServer: @unchecked Sendable {  // mutable fields are guarded by `lock`; fds are closed by their thread
    typealias Handler = @Sendable (_ line: String, _ connection: Int) -> [String]

    let path: String
    private let label: String
    private let onConnect: @Sendable () -> Int
    private let onLine: Handler
    private let onDisconnect: @Sendable (Int) -> Void
    private let lock = NSLock()
    private var listener: Int32 = -1
    private var connections = Set<Int32>()
    private var stopping = false
    private let threads = ThreadGroup()

    init(
        path: String, label: String, onConnect: @escaping @Sendable () -> Int = { 0 },
        onLine: @escaping Handler, onDisconnect: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.path = path
        self.label = label
        self.onConnect = onConnect
        self.onLine = onLine
        self.onDisconnect = onDisconnect
    }

    func start() throws {
        let fd = try POSIX.listenUnix(path: path)
        lock.withLock { listener = fd }
        threads.spawn("levee-sim \(label) accept") { [self] in acceptLoop(fd) }
    }

    /// Stops serving and removes the socket file.
    func stop() {
        lock.withLock {
            stopping = true
            for fd in connections { shutdown(fd, Int32(SHUT_RDWR)) }
        }
        threads.wait(timeout: 5)
        unlink(path)
    }

    private func acceptLoop(_ fd: Int32) {
        defer { close(fd) }
        while !lock.withLock({ stopping }) {
            guard POSIX.waitReadable(fd, timeoutMs: 100), let connection = POSIX.accept(fd) else { continue }
            let accepted: Bool = lock.withLock {
                guard !stopping else { return false }
                connections.insert(connection)
                return true
            }
            guard accepted else {
                close(connection)
                continue
            }
            threads.spawn("levee-sim \(label) connection") { [self] in serve(connection) }
        }
    }

    private func serve(_ fd: Int32) {
        let id = onConnect()
        defer {
            onDisconnect(id)
            lock.withLock { _ = connections.remove(fd) }
            close(fd)
        }
        var reader = LineReader(fd: fd)
        while let line = reader.next() {
            let reply = onLine(line, id)
            guard POSIX.sendAll(fd, Array(reply.map { $0 + "\n" }.joined().utf8)) else { return }
        }
    }
}
