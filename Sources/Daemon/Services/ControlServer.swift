import ControlAPI
import Foundation
import Logging
import ServiceLifecycle
import SystemCalls

/// leveed's control socket: one JSON request line in, one JSON reply line out (see ControlAPI).
///
/// One thread of its own runs a poll(2) loop over the listening socket and every client, so many clients are served
/// at once and none can hold up another: a request must arrive whole within `requestDeadline` of connecting (a
/// client sending a byte every second is cut off, not waited for), the daemon's answer comes from an async task
/// bounded by `answerTimeout`, and the reply must be taken within `sendDeadline`. Past `maxClients` a new
/// connection gets a "busy" reply at once. Nothing here blocks: sockets are non-blocking, and the handler runs on
/// the cooperative pool and wakes the loop when its answer is ready.
final class ControlServer: Service, @unchecked Sendable {
    // @unchecked: `fd` is set before the thread starts; `stopping` and `answers` are guarded by `lock`; the
    // clients table belongs to the loop's thread alone.
    let path: String
    private let logger: Logger
    private let handler: @Sendable (ControlRequest, Peer) async -> ControlResponse
    private let lock = NSLock()
    private var fd: Int32 = -1
    private var stopping = false
    /// Answers finished by handler tasks, by client id, for the loop to send.
    private var answers: [UInt64: Data] = [:]
    private let wake: WakePipe

    static let maxClients = 256
    static let maxRequestBytes = 65536
    static let requestDeadline: Duration = .seconds(5)
    static let answerTimeout: Duration = .seconds(30)
    static let sendDeadline: Duration = .seconds(10)

    /// Who is on the other end of a connection, as the kernel reports it (SO_PEERCRED): the socket's file mode
    /// (0660, the daemon's user and group) decides who may connect at all, and this names them in the journal.
    struct Peer: Sendable {
        var uid: uid_t
        var pid: pid_t
        var user: String
    }

    init(
        path: String, logger: Logger, handler: @escaping @Sendable (ControlRequest, Peer) async -> ControlResponse
    ) throws(SystemCallError) {
        self.path = path
        self.logger = logger
        self.handler = handler
        wake = try WakePipe()
    }

    /// Binds the socket; called before the service group runs so a bad path stops the daemon with a clear error.
    func bind() throws(ControlError) {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        let s = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { throw ControlError(socket: path, message: String(cString: strerror(errno))) }
        // A socket file left by a daemon that was killed is stale: nothing answers on it, so replace it.
        if (try? ControlClient.send(ControlRequest(op: "ping"), socket: path, timeout: 1)) != nil {
            close(s)
            throw ControlError(socket: path, message: "another leveed is already listening here")
        }
        unlink(path)
        var addr = try UnixAddress.make(path)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(s, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0, listen(s, SOMAXCONN) == 0 else {
            let e = errno
            close(s)
            throw ControlError(socket: path, message: "cannot listen: \(String(cString: strerror(e)))")
        }
        chmod(path, 0o660)
        _ = fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK)
        fd = s
    }

    func run() async throws {
        let thread = Thread { [self] in self.loop() }
        thread.name = "levee-control"
        thread.start()
        logger.info("control socket listening", metadata: ["socket": "\(path)"])
        try? await gracefulShutdown()
        lock.withLock { stopping = true }
        wake.wake()
        // The loop closes the listening socket and every client on its way out.
        while lock.withLock({ fd >= 0 }) { try? await Task.sleep(for: .milliseconds(10)) }
        unlink(path)
    }

    /// One connection and where it is in its exchange.
    private struct Client {
        enum Phase { case reading, answering, sending }
        var id: UInt64
        var peer: Peer
        var phase = Phase.reading
        var input = Data()
        var output = Data()
        var sent = 0
        var deadline: ContinuousClock.Instant
    }

    private func loop() {
        var clients: [Int32: Client] = [:]
        var nextID: UInt64 = 0
        while !lock.withLock({ stopping }) {
            var fds = [
                pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wake.readFD, events: Int16(POLLIN), revents: 0),
            ]
            for (cfd, client) in clients {
                let events: Int32 =
                    switch client.phase {
                    case .reading: POLLIN
                    case .answering: 0  // a hang-up still shows in revents
                    case .sending: POLLOUT
                    }
                fds.append(pollfd(fd: cfd, events: Int16(events), revents: 0))
            }
            let now = ContinuousClock.now
            let soonest = clients.values.map(\.deadline).min()
            let wait = soonest.map { max(0, Self.milliseconds(now.duration(to: $0))) } ?? 1000
            if poll(&fds, nfds_t(fds.count), Int32(min(wait, 1000))) < 0 && errno != EINTR { break }
            if fds[1].revents != 0 { wake.drain() }

            // Answers the handler finished: queue them for sending (an answer for a client already gone, or one
            // that came after its timeout was sent, is dropped).
            let finished = lock.withLock { () -> [UInt64: Data] in
                defer { answers.removeAll() }
                return answers
            }
            if !finished.isEmpty {
                for (cfd, client) in clients where client.phase == .answering {
                    if let body = finished[client.id] { clients[cfd] = startSending(client, body) }
                }
            }
            for entry in fds.dropFirst(2) where entry.revents != 0 {
                guard let client = clients[entry.fd] else { continue }
                if let next = service(entry.fd, client, revents: entry.revents) {
                    clients[entry.fd] = next
                } else {
                    close(entry.fd)
                    clients[entry.fd] = nil
                }
            }
            // Deadlines: a request that has not arrived is cut off; an answer that has not come is a timeout reply;
            // a reply that is not being taken is dropped.
            let later = ContinuousClock.now
            for (cfd, client) in clients where client.deadline <= later {
                switch client.phase {
                case .reading, .sending:
                    close(cfd)
                    clients[cfd] = nil
                case .answering:
                    let seconds = Self.answerTimeout.components.seconds
                    clients[cfd] = startSending(
                        client, Self.encode(ControlResponse(ok: false, error: "request timed out after \(seconds) s")))
                }
            }
            if fds[0].revents != 0 {
                acceptAll(into: &clients, nextID: &nextID)
            }
        }
        for cfd in clients.keys { close(cfd) }
        lock.withLock {
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
            fd = -1
        }
    }

    private func acceptAll(into clients: inout [Int32: Client], nextID: inout UInt64) {
        while true {
            // accept4 is hidden behind _GNU_SOURCE; leveed spawns no processes, so setting the flags after is safe.
            let cfd = accept(fd, nil, nil)
            if cfd < 0 {
                if errno == EINTR { continue }
                return  // EAGAIN: none left; EMFILE and the like: try again on the next turn
            }
            _ = fcntl(cfd, F_SETFL, fcntl(cfd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(cfd, F_SETFD, FD_CLOEXEC)
            nextID += 1
            let client = Client(
                id: nextID, peer: Self.peer(of: cfd), deadline: .now + Self.requestDeadline)
            if clients.count >= Self.maxClients {
                let busy = ControlResponse(
                    ok: false, error: "control socket busy: \(Self.maxClients) clients connected")
                var body = Self.encode(busy)
                _ = body.withUnsafeMutableBytes { send(cfd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                close(cfd)
                continue
            }
            clients[cfd] = client
        }
    }

    /// Reads or writes what the socket has room for; nil when the connection is finished.
    private func service(_ cfd: Int32, _ client: Client, revents: Int16) -> Client? {
        var client = client
        switch client.phase {
        case .reading:
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { recv(cfd, $0.baseAddress, $0.count, 0) }
            if n < 0 { return errno == EAGAIN || errno == EINTR ? client : nil }
            if n == 0 { return nil }  // gone before sending a whole line
            client.input.append(contentsOf: chunk[..<n])
            if client.input.contains(UInt8(ascii: "\n")) {
                return answer(client)
            }
            if client.input.count > Self.maxRequestBytes {
                let refusal = ControlResponse(
                    ok: false, error: "request longer than \(Self.maxRequestBytes) bytes without a newline")
                return startSending(client, Self.encode(refusal))
            }
            return client
        case .answering:
            // Only a hang-up or an error shows here: the client gave up waiting.
            return revents & Int16(POLLHUP | POLLERR) != 0 ? nil : client
        case .sending:
            let n = client.output.withUnsafeBytes { raw in
                send(cfd, raw.baseAddress! + client.sent, raw.count - client.sent, Int32(MSG_NOSIGNAL))
            }
            if n < 0 { return errno == EAGAIN || errno == EINTR ? client : nil }
            client.sent += n
            return client.sent < client.output.count ? client : nil
        }
    }

    /// Decodes the request line and hands it to the handler on the cooperative pool; the loop sends the answer.
    private func answer(_ client: Client) -> Client {
        var client = client
        let line = client.input.prefix { $0 != UInt8(ascii: "\n") }
        let request: ControlRequest
        do {
            request = try JSONDecoder.control.decode(ControlRequest.self, from: line)
        } catch {
            let text = String(decoding: line.prefix(200), as: UTF8.self)
            logger.warning("malformed control request", metadata: ["request": "\(text)"])
            let why = Self.fieldProblem(error).map { ": \($0)" } ?? ": expected {\"op\": ...}"
            let refusal = ControlResponse(ok: false, error: "malformed request \(text.debugDescription)\(why)")
            return startSending(client, Self.encode(refusal))
        }
        client.phase = .answering
        client.deadline = .now + Self.answerTimeout
        let (id, peer, handler) = (client.id, client.peer, self.handler)
        Task { [self] in
            let response = await handler(request, peer)
            lock.withLock { answers[id] = Self.encode(response) }
            wake.wake()
        }
        return client
    }

    private func startSending(_ client: Client, _ body: Data) -> Client {
        var client = client
        client.phase = .sending
        client.output = body
        client.sent = 0
        client.deadline = .now + Self.sendDeadline
        return client
    }

    private static func encode(_ response: ControlResponse) -> Data {
        var body =
            (try? JSONEncoder.control.encode(response)) ?? Data(#"{"ok":false,"error":"unencodable reply"}"#.utf8)
        body.append(UInt8(ascii: "\n"))
        return body
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000) + 1
    }

    static func peer(of fd: Int32) -> Peer {
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; } — three 32-bit fields; glibc hides the struct behind
        // _GNU_SOURCE, so it is read as three Int32s.
        var cred = [Int32](repeating: 0, count: 3)
        var length = socklen_t(MemoryLayout<Int32>.size * 3)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) == 0 else {
            return Peer(uid: uid_t.max, pid: 0, user: "unknown")
        }
        let uid = uid_t(bitPattern: cred[1])
        var name = "uid \(uid)"
        if let pw = getpwuid(uid), let n = pw.pointee.pw_name { name = String(cString: n) }
        return Peer(uid: uid, pid: cred[0], user: name)
    }

    /// The field a request could not be decoded for and what it must be (`field "seconds" must be a number`), or
    /// nil when the line is not a JSON object at all.
    static func fieldProblem(_ error: any Error) -> String? {
        func name(_ path: [any CodingKey]) -> String { path.map(\.stringValue).joined(separator: ".") }
        func kind(_ type: Any.Type) -> String {
            switch type {
            case is Double.Type, is Int.Type: "a number"
            case is Bool.Type: "true or false"
            case is String.Type: "a string"
            default: "\(type)"
            }
        }
        switch error as? DecodingError {
        case .typeMismatch(let type, let c)? where !c.codingPath.isEmpty:
            return "field \"\(name(c.codingPath))\" must be \(kind(type))"
        case .valueNotFound(let type, let c)? where !c.codingPath.isEmpty:
            return "field \"\(name(c.codingPath))\" must be \(kind(type))"
        case .keyNotFound(let key, _)?:
            return "field \"\(key.stringValue)\" is required"
        case .dataCorrupted(let c)? where !c.codingPath.isEmpty:
            return "field \"\(name(c.codingPath))\": \(c.debugDescription)"
        default:
            return nil
        }
    }
}
