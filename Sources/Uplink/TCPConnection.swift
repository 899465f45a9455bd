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

    /// Resolves `host` and connects to the first address that answers within `timeout` seconds.
    static func connect(host: String, port: Int, timeout: Double) throws(SocketError) -> TCPConnection {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw SocketError(code: rc, operation: "getaddrinfo \(host)", message: String(cString: gai_strerror(rc)))
        }
        defer { freeaddrinfo(list) }
        var lastError = SocketError(code: 0, operation: "connect \(host):\(port)", message: "no address")
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            do {
                return try connect(info.pointee, timeout: timeout, name: "\(host):\(port)")
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    private static func connect(_ info: addrinfo, timeout: Double, name: String) throws(SocketError) -> TCPConnection {
        let type = info.ai_socktype | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        let fd = try systemCall("socket") { socket(info.ai_family, type, info.ai_protocol) }
        let connection = TCPConnection(fd: fd)
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, socklen_t(MemoryLayout<Int32>.size))
        let rc = Glibc.connect(fd, info.ai_addr, info.ai_addrlen)
        if rc == -1 {
            let code = errno
            guard code == EINPROGRESS else { throw SocketError(code: code, operation: "connect \(name)") }
            // "EINPROGRESS: The socket is nonblocking and the connection cannot be completed immediately. It is
            // possible to select(2) or poll(2) for completion by selecting the socket for writing. After select(2)
            // indicates writability, use getsockopt(2) to read the SO_ERROR option" (connect(2)).
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = try systemCall("poll (connect \(name))") { poll(&pfd, 1, Self.milliseconds(timeout)) }
            guard ready > 0 else {
                throw SocketError(
                    code: ETIMEDOUT, operation: "connect \(name)", message: "no answer within \(timeout) s")
            }
            var soError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            try systemCall("getsockopt SO_ERROR") { getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length) }
            guard soError == 0 else { throw SocketError(code: soError, operation: "connect \(name)") }
        }
        return connection
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
