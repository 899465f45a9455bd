import ControlAPI
import Defence
import Foundation
import Logging
import Messages
import ServiceLifecycle
import SystemCalls

/// leveed's control socket: one JSON request line in, one JSON reply line out (see `ControlRequest`).
///
/// Who asks: the kernel names the peer's Unix account (SO_PEERCRED) and the journal names it. A request may name
/// another user in `actor` (levee-web acting for an HTTP API user, with the token's role) only when its peer is
/// root or runs as the daemon's own account, as levee-web does: anyone able to act as that account could read the
/// daemon's database and signal it anyway, so trusting it adds no power it lacks. From any other peer a request
/// naming an actor is refused.
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
    private let handler: @Sendable (ControlCommand, Requester) async -> ControlResult
    /// A subscription to the published site status, for `watch`.
    private let watch: @Sendable () -> AsyncStream<SiteStatus>
    /// A subscription to the journal as it is recorded, for `watch` with `journal`.
    private let journal: @Sendable () -> AsyncStream<[JournalEntry]>
    /// Lines waiting for each watching client, by client id. At most `maxPendingLines` status lines, the oldest
    /// dropped first (a status replaces the one before it); journal lines are never dropped, but a watcher with
    /// more than `maxPendingJournalLines` of them waiting is let go (it catches up from the database when it
    /// watches again). A watcher that does not read so costs a bounded amount.
    private var streamed: [UInt64: WatchQueue] = [:]
    /// The subscription tasks of each watching client, cancelled when it goes.
    private var watchers: [UInt64: [Task<Void, Never>]] = [:]
    static let maxPendingLines = 2
    static let maxPendingJournalLines = 1024

    /// The lines waiting for one watcher, and whether it is to be let go.
    private struct WatchQueue {
        var lines: [(data: Data, isStatus: Bool)] = []
        /// Set when its journal subscription ended or overflowed: the loop closes the connection.
        var ended = false

        mutating func append(status line: Data) {
            lines.append((line, true))
            if lines.count(where: \.isStatus) > ControlServer.maxPendingLines,
                let oldest = lines.firstIndex(where: \.isStatus)
            {
                lines.remove(at: oldest)
            }
        }

        mutating func append(journal line: Data) {
            lines.append((line, false))
            if lines.count(where: { !$0.isStatus }) > ControlServer.maxPendingJournalLines { end() }
        }

        mutating func end() {
            ended = true
            lines.removeAll()
        }
    }
    static var noDeadline: ContinuousClock.Instant { .now + .seconds(365 * 86400) }
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
        path: String, logger: Logger, handler: @escaping @Sendable (ControlCommand, Requester) async -> ControlResult,
        watch: @escaping @Sendable () -> AsyncStream<SiteStatus> = { AsyncStream { $0.finish() } },
        journal: @escaping @Sendable () -> AsyncStream<[JournalEntry]> = { AsyncStream { $0.finish() } }
    ) throws(SystemCallError) {
        self.path = path
        self.logger = logger
        self.handler = handler
        self.watch = watch
        self.journal = journal
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
        if (try? ControlClient.exchange(line: Data(#"{"op":"ping"}"#.utf8 + [10]), socket: path, timeout: 1)) != nil {
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
        let thread = WorkerThread(name: "levee-control") { [self] in loop() }
        logger.info("control socket listening", metadata: ["socket": "\(path)"])
        try? await gracefulShutdown()
        lock.withLock { stopping = true }
        wake.wake()
        // The loop closes the listening socket and every client on its way out.
        await thread.joined()
        unlink(path)
    }

    /// One connection and where it is in its exchange.
    private struct Client {
        /// `watching`: a `watch` client, sent each status line as it is published, until it closes.
        enum Phase { case reading, answering, sending, watching }
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
                    case .watching: client.sent < client.output.count ? POLLOUT : POLLIN
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
            // Watchers between lines take the next line waiting for them; one whose journal ended is let go.
            for (cfd, client) in clients where client.phase == .watching {
                let (ended, waiting) = lock.withLock { () -> (Bool, Data?) in
                    guard var queue = streamed[client.id] else { return (false, nil) }
                    if queue.ended { return (true, nil) }
                    guard client.sent >= client.output.count, !queue.lines.isEmpty else { return (false, nil) }
                    let line = queue.lines.removeFirst().data
                    streamed[client.id] = queue
                    return (false, line)
                }
                if ended {
                    close(cfd)
                    clients[cfd] = nil
                    endWatch(client.id)
                    logger.notice("journal watcher let go: too far behind, or the journal ended")
                } else if let line = waiting {
                    var next = client
                    next.output = line
                    next.sent = 0
                    next.deadline = .now + Self.sendDeadline
                    clients[cfd] = next
                }
            }
            for entry in fds.dropFirst(2) where entry.revents != 0 {
                guard let client = clients[entry.fd] else { continue }
                if let next = service(entry.fd, client, revents: entry.revents) {
                    clients[entry.fd] = next
                } else {
                    close(entry.fd)
                    clients[entry.fd] = nil
                    if client.phase == .watching { endWatch(client.id) }
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
                case .watching:
                    // A watcher that has not taken a status line within the send deadline is let go.
                    close(cfd)
                    clients[cfd] = nil
                    endWatch(client.id)
                case .answering:
                    let seconds = Self.answerTimeout.components.seconds
                    clients[cfd] = startSending(
                        client,
                        Self.encode(.failure(ControlRefusal(.unavailable, "request timed out after \(seconds) s"))))
                }
            }
            if fds[0].revents != 0 {
                acceptAll(into: &clients, nextID: &nextID)
            }
        }
        for (cfd, client) in clients {
            close(cfd)
            if client.phase == .watching { endWatch(client.id) }
        }
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
                let busy = ControlResult.failure(
                    ControlRefusal(.unavailable, "control socket busy: \(Self.maxClients) clients connected"))
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
                let refusal = ControlResult.failure(
                    ControlRefusal(.badRequest, "request longer than \(Self.maxRequestBytes) bytes without a newline"))
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
        case .watching:
            if client.sent < client.output.count {
                let n = client.output.withUnsafeBytes { raw in
                    send(cfd, raw.baseAddress! + client.sent, raw.count - client.sent, Int32(MSG_NOSIGNAL))
                }
                if n < 0 { return errno == EAGAIN || errno == EINTR ? client : nil }
                client.sent += n
                if client.sent >= client.output.count { client.deadline = Self.noDeadline }
                return client
            }
            // Between lines only an end shows: the client closed (or sent something, which is not expected).
            var byte: UInt8 = 0
            let n = recv(cfd, &byte, 1, 0)
            if n < 0 { return errno == EAGAIN || errno == EINTR ? client : nil }
            return n == 0 || revents & Int16(POLLHUP | POLLERR) != 0 ? nil : client
        }
    }

    /// Decodes the request line and hands it to the handler on the cooperative pool; the loop sends the answer.
    private func answer(_ client: Client) -> Client {
        var client = client
        let line = client.input.prefix { $0 != UInt8(ascii: "\n") }
        let requester: Requester
        let command: ControlCommand
        switch Self.decode(line, peer: client.peer) {
        case .success(let decoded): (command, requester) = decoded
        case .failure(let refusal):
            if refusal.message.hasPrefix("malformed request") {
                logger.warning(
                    "malformed control request",
                    metadata: ["request": "\(String(decoding: line.prefix(200), as: UTF8.self))"])
            }
            return startSending(client, Self.encode(.failure(refusal)))
        }
        if case .watch(let journal) = command { return startWatch(client, journal: journal) }
        client.phase = .answering
        client.deadline = .now + Self.answerTimeout
        let (id, handler) = (client.id, self.handler)
        Task { [self] in
            let result = await handler(command, requester)
            lock.withLock { answers[id] = Self.encode(result) }
            wake.wake()
        }
        return client
    }

    /// The part of a request read before the command itself: who may send it is decided from these first.
    private struct Head: Decodable {
        var version: Int?
        var op: String?
        var actor: ControlActor?
    }

    /// A request line as the command and who asks, or the refusal its sender gets. In this order: the protocol
    /// version; whether the peer may name an actor; who may send the command (a bypass is for administrators,
    /// before any of its numbers is looked at; through levee-web, the command's least role); then the command
    /// itself, its fields and their ranges.
    static func decode(_ line: Data, peer: Peer) -> Result<(ControlCommand, Requester), ControlRefusal> {
        let head: Head
        do {
            head = try JSONDecoder.control.decode(Head.self, from: line)
        } catch {
            return .failure(ControlRefusal.undecodable(error, line: line))
        }
        let version = head.version ?? 1
        guard version == ControlProtocol.version else {
            return .failure(
                ControlRefusal(.badRequest, ControlProtocol.mismatch(client: version, daemon: ControlProtocol.version)))
        }
        var requester = Requester(peer)
        if let actor = head.actor {
            guard peer.uid == 0 || peer.uid == getuid() else {
                return .failure(
                    ControlRefusal(
                        .forbidden, "only levee-web, running as the daemon's account, may act for another user"))
            }
            requester = Requester(actor)
        }
        if head.op == ControlCommand.Op.bypass.rawValue && !requester.isAdmin {
            return .failure(
                ControlRefusal(.forbidden, Message(.refusalBypass, ["reason": .text("\(BypassRefusal.notAdmin)")])))
        }
        let request: ControlRequest
        do {
            request = try JSONDecoder.control.decode(ControlRequest.self, from: line)
        } catch {
            return .failure(ControlRefusal.undecodable(error, line: line))
        }
        if let actor = head.actor, actor.role < request.command.leastRole {
            return .failure(
                ControlRefusal(
                    .forbidden, "\(request.command.op.rawValue) is for the \(request.command.leastRole.rawValue) role"))
        }
        return .success((request.command, requester))
    }

    /// A `watch`: each published status, and with `journal` each batch of journal entries, becomes a line waiting
    /// for the client; the loop sends them. The journal's first line, an empty batch, says the subscription is in
    /// place: what was recorded before it is in the database.
    private func startWatch(_ client: Client, journal withJournal: Bool) -> Client {
        var client = client
        client.phase = .watching
        client.output = Data()
        client.sent = 0
        // No deadline between lines: the client holds the connection until it closes it.
        client.deadline = Self.noDeadline
        let id = client.id
        var queue = WatchQueue()
        var tasks: [Task<Void, Never>] = []
        // Subscribed before the acknowledgement is queued; the queue is in place before any task can add to it.
        let entries = withJournal ? journal() : nil
        if withJournal { queue.append(journal: Self.encode(.success(.journal([])))) }
        lock.withLock { streamed[id] = queue }
        if let entries {
            tasks.append(
                Task { [self] in
                    for await batch in entries {
                        let line = Self.encode(.success(.journal(batch)))
                        lock.withLock { streamed[id]?.append(journal: line) }
                        wake.wake()
                    }
                    // Ended by the publisher (too far behind) or by the daemon stopping: let the watcher go.
                    if !Task.isCancelled {
                        lock.withLock { streamed[id]?.end() }
                        wake.wake()
                    }
                })
        }
        let updates = watch()
        tasks.append(
            Task { [self] in
                for await status in updates {
                    let line = Self.encode(.success(.status(status)))
                    lock.withLock { streamed[id]?.append(status: line) }
                    wake.wake()
                }
            })
        lock.withLock { watchers[id] = tasks }
        wake.wake()
        return client
    }

    private func endWatch(_ id: UInt64) {
        let tasks = lock.withLock { () -> [Task<Void, Never>] in
            streamed[id] = nil
            return watchers.removeValue(forKey: id) ?? []
        }
        for task in tasks { task.cancel() }
    }

    private func startSending(_ client: Client, _ body: Data) -> Client {
        var client = client
        client.phase = .sending
        client.output = body
        client.sent = 0
        client.deadline = .now + Self.sendDeadline
        return client
    }

    private static func encode(_ result: ControlResult) -> Data {
        var body =
            (try? JSONEncoder.control.encode(ControlResponse(result)))
            ?? Data(#"{"version":2,"ok":false,"kind":"unavailable","error":"unencodable reply"}"#.utf8)
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
}
