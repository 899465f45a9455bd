import Foundation
import Glibc
import SystemCalls

/// The uplink's socket failures are system-call failures (see SystemCalls).
typealias SocketError = SystemCallError

/// One TCP connection to the platform, owned by the uplink's thread: non-blocking, waited on with `poll`.
final class TCPConnection {
    private(set) var fd: Int32

    private init(fd: Int32) {
        self.fd = fd
    }

    deinit { close() }

    /// Resolves `host` and connects to the first address that answers within `timeout` seconds (with keepalive:
    /// the platform link idles between uploads).
    static func connect(host: String, port: Int, timeout: Double) throws(SocketError) -> TCPConnection {
        TCPConnection(
            fd: try TCPConnect.open(host: host, port: port, timeoutMs: milliseconds(timeout), keepalive: true))
    }

    /// Writes all of `bytes`, waiting at most `timeout` seconds for room in the socket buffer.
    func send(_ bytes: [UInt8], timeout: Double) throws(SocketError) {
        var offset = 0
        let deadline = Date().addingTimeInterval(timeout)
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                Glibc.send(fd, buffer.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if count >= 0 {
                offset += count
                continue
            }
            let code = errno
            if code == EINTR { continue }
            guard code == EAGAIN || code == EWOULDBLOCK else { throw SocketError(code: code, operation: "send") }
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else {
                throw SocketError(code: ETIMEDOUT, operation: "send", message: "the platform takes no data")
            }
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            try systemCall("poll (send)") { poll(&pfd, 1, Self.milliseconds(left)) }
        }
    }

    /// Reads what is there into `buffer`: the count, 0 when the platform closed the connection, nil when nothing
    /// is there yet.
    func receive(into buffer: inout [UInt8]) throws(SocketError) -> Int? {
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count >= 0 { return count }
        let code = errno
        if code == EAGAIN || code == EWOULDBLOCK || code == EINTR { return nil }
        throw SocketError(code: code, operation: "recv")
    }

    func close() {
        guard fd >= 0 else { return }
        Glibc.close(fd)
        fd = -1
    }

    static func milliseconds(_ seconds: Double) -> Int32 {
        Int32(max(0, min(seconds * 1000, Double(Int32.max))).rounded(.up))
    }
}
