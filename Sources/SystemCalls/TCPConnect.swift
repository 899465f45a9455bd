import Glibc

/// Opening a TCP connection the way every client in Levee needs it: resolved with getaddrinfo, each address tried
/// in turn, non-blocking and close-on-exec from the start, Nagle off (requests are small and each waits for its
/// answer), and the connect bounded by a timeout.
public enum TCPConnect {
    /// A connected, non-blocking socket to the first address of `host` that answers within `timeoutMs`.
    ///
    /// - Throws: ``SystemCallError`` naming `host:port`: the resolver's message, or the last address's failure.
    public static func open(host: String, port: Int, timeoutMs: Int32, keepalive: Bool = false)
        throws(SystemCallError) -> Int32
    {
        let name = "\(host):\(port)"
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw SystemCallError(
                code: EHOSTUNREACH, operation: "connect \(name)", message: String(cString: gai_strerror(rc)))
        }
        defer { freeaddrinfo(list) }
        var failure = SystemCallError(code: ECONNREFUSED, operation: "connect \(name)", message: "no address")
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            do {
                return try open(info.pointee, name: name, timeoutMs: timeoutMs, keepalive: keepalive)
            } catch {
                failure = error
            }
        }
        throw failure
    }

    private static func open(_ info: addrinfo, name: String, timeoutMs: Int32, keepalive: Bool)
        throws(SystemCallError) -> Int32
    {
        let type = info.ai_socktype | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        let fd = try systemCall("connect \(name): socket") { socket(info.ai_family, type, info.ai_protocol) }
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        if keepalive { setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, socklen_t(MemoryLayout<Int32>.size)) }
        guard Glibc.connect(fd, info.ai_addr, info.ai_addrlen) == -1 else { return fd }
        let code = errno
        guard code == EINPROGRESS else {
            close(fd)
            throw SystemCallError(code: code, operation: "connect \(name)")
        }
        // "EINPROGRESS: The socket is nonblocking and the connection cannot be completed immediately. It is possible
        // to select(2) or poll(2) for completion by selecting the socket for writing. After select(2) indicates
        // writability, use getsockopt(2) to read the SO_ERROR option" (connect(2)).
        var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        var ready: Int32
        repeat { ready = poll(&pfd, 1, timeoutMs) } while ready < 0 && errno == EINTR
        var soError: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if ready > 0 { getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length) }
        guard ready > 0, soError == 0 else {
            close(fd)
            throw SystemCallError(
                code: ready > 0 ? soError : ETIMEDOUT, operation: "connect \(name)",
                message: ready > 0 ? nil : "no answer within \(timeoutMs) ms")
        }
        return fd
    }
}
