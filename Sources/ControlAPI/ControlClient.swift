import Foundation

/// Why the control socket could not be used, naming the socket.
public struct ControlError: Error, Sendable, Hashable, CustomStringConvertible {
    public var socket: String
    public var message: String
    public var description: String { "control socket \(socket): \(message)" }

    public init(socket: String, message: String) {
        self.socket = socket
        self.message = message
    }
}

/// Talks to leveed's control socket: one JSON request line, one JSON reply line.
public enum ControlClient {
    /// Sends `command` and returns the daemon's typed answer.
    ///
    /// - Throws: when the socket cannot be used, the reply cannot be read, or the daemon speaks another protocol
    ///   version ("protocol version 2, daemon speaks 1").
    public static func send(
        _ command: ControlCommand, socket path: String, actor: ControlActor? = nil, timeout: Double = 5
    ) throws(ControlError) -> ControlResult {
        try exchange(ControlRequest(command, actor: actor), socket: path, timeout: timeout).result
    }

    /// Sends one request line and returns the reply line as it came, after checking its version.
    public static func exchange(_ request: ControlRequest, socket path: String, timeout: Double = 5)
        throws(ControlError) -> ControlResponse
    {
        let body: Data
        do {
            body = try JSONEncoder.control.encode(request) + Data("\n".utf8)
        } catch {
            throw ControlError(socket: path, message: "cannot encode request: \(error)")
        }
        let reply = try exchange(line: body, socket: path, timeout: timeout)
        let response: ControlResponse
        do {
            response = try JSONDecoder.control.decode(ControlResponse.self, from: reply)
        } catch {
            throw ControlError(socket: path, message: "unreadable reply: \(error)")
        }
        let daemon = response.version ?? 1
        guard daemon == request.version else {
            throw ControlError(
                socket: path, message: ControlProtocol.mismatch(client: request.version, daemon: daemon))
        }
        return response
    }

    /// `watch`: calls `body` with each site status the daemon publishes (once a second and on each relevant change),
    /// until `body` returns false.
    ///
    /// - Throws: when the socket cannot be used, the daemon refuses, goes away, or sends nothing for `timeout`
    ///   seconds; the caller may watch again.
    public static func watch(
        socket path: String, actor: ControlActor? = nil, timeout: Double = 10, _ body: (SiteStatus) -> Bool
    ) throws(ControlError) {
        try watch(socket: path, actor: actor, timeout: timeout, journal: false) { update in
            guard case .status(let status) = update else { return true }
            return body(status)
        }
    }

    /// `watch`, with the journal when `journal` is true: calls `body` with each status and each batch of journal
    /// entries as the daemon sends them, in order, until `body` returns false. With the journal, the first update
    /// is an empty batch sent once the daemon's subscription is in place.
    ///
    /// - Throws: as ``watch(socket:actor:timeout:_:)``. A watcher that fell too far behind the journal is
    ///   disconnected by the daemon, and learns it here: what it missed is in the database.
    public static func watch(
        socket path: String, actor: ControlActor? = nil, timeout: Double = 10, journal: Bool,
        _ body: (WatchUpdate) -> Bool
    ) throws(ControlError) {
        let request: Data
        do {
            request =
                try JSONEncoder.control.encode(ControlRequest(.watch(journal: journal), actor: actor))
                + Data("\n".utf8)
        } catch {
            throw ControlError(socket: path, message: "cannot encode request: \(error)")
        }
        let fd = try connected(path, timeout: timeout)
        defer { close(fd) }
        let sent = request.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == request.count else { throw ControlError(socket: path, message: String(cString: strerror(errno))) }
        var buffer = Data()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[buffer.startIndex..<newline]
                buffer = Data(buffer[(newline + 1)...])
                let response: ControlResponse
                do {
                    response = try JSONDecoder.control.decode(ControlResponse.self, from: line)
                } catch {
                    throw ControlError(socket: path, message: "unreadable reply: \(error)")
                }
                let daemon = response.version ?? 1
                guard daemon == ControlProtocol.version else {
                    throw ControlError(
                        socket: path, message: ControlProtocol.mismatch(client: ControlProtocol.version, daemon: daemon)
                    )
                }
                switch response.result {
                case .success(.status(let status)):
                    if !body(.status(status)) { return }
                case .success(.journal(let entries)) where journal:
                    if !body(.journal(entries)) { return }
                case .success:
                    throw ControlError(socket: path, message: "the daemon answered watch without a status")
                case .failure(let refusal):
                    throw ControlError(socket: path, message: "watch refused: \(refusal.message)")
                }
            }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ControlError(socket: path, message: "no status: \(String(cString: strerror(errno)))")
            }
            if n == 0 { throw ControlError(socket: path, message: "the daemon closed the watch") }
            buffer.append(contentsOf: chunk[..<n])
        }
    }

    /// Sends `line` (ending in a newline) and returns the first reply line, unparsed.
    public static func exchange(line body: Data, socket path: String, timeout: Double = 5) throws(ControlError)
        -> Data
    {
        let fd = try connected(path, timeout: timeout)
        defer { close(fd) }
        let sent = body.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == body.count else { throw ControlError(socket: path, message: String(cString: strerror(errno))) }
        var reply = Data()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !reply.contains(UInt8(ascii: "\n")) {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ControlError(socket: path, message: "no reply: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            reply.append(contentsOf: chunk[..<n])
        }
        return Data(reply.prefix { $0 != UInt8(ascii: "\n") })
    }

    /// A socket connected to `path`, with `timeout` on each receive and send; the caller closes it.
    private static func connected(_ path: String, timeout: Double) throws(ControlError) -> Int32 {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ControlError(socket: path, message: String(cString: strerror(errno))) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let addr: sockaddr_un
        do throws(ControlError) {
            addr = try UnixAddress.make(path)
        } catch {
            close(fd)
            throw error
        }
        var address = addr
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if rc != 0 {
            let e = errno
            close(fd)
            let hint = e == ENOENT || e == ECONNREFUSED ? " (is leveed running with this configuration?)" : ""
            throw ControlError(socket: path, message: String(cString: strerror(e)) + hint)
        }
        return fd
    }
}

/// Builds a `sockaddr_un`, refusing paths that do not fit.
public enum UnixAddress {
    public static func make(_ path: String) throws(ControlError) -> sockaddr_un {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            throw ControlError(socket: path, message: "path is longer than a socket address can hold (107 bytes)")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        return addr
    }
}
