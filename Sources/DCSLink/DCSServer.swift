import Config
import Foundation
import Logging
import ModbusWire
import Synchronization
import SystemCalls

/// What the DCS link shows in the status: who is connected, when each last asked, and what was refused.
public struct DCSLinkStatus: Sendable, Hashable {
    public struct Client: Sendable, Hashable {
        public var address: String
        public var connectedAt: Date
        public var lastRequestAt: Date?
        public var requests: Int
    }
    public var listen: String
    public var clients: [Client] = []
    /// Writes answered with an exception (a disabled coil, a register): the DCS tried something Levee does not do.
    public var refusedWrites = 0
    /// Connections closed at once: an address not allowed, or past `max_clients` (the quietest one goes).
    public var refusedConnections = 0
    /// Connections closed for garbage, a request left unfinished past `frame_timeout_ms`, or silence.
    public var droppedConnections = 0
    /// Coil actions carried out (each edge held long enough).
    public var coilActions = 0
}

/// The Modbus TCP server the DCS polls: one thread of its own running a poll(2) loop over the listening socket and
/// every client, all non-blocking. A client never waits on another: each request is answered from the last
/// published register image, which the thread reads without taking any lock the rest of leveed holds, and a
/// client that sends garbage, dribbles a frame, stops reading its answers or stays silent is disconnected.
/// Nothing here touches the field buses; coil actions leave through `onFire`, which must not block.
public final class DCSServer: @unchecked Sendable {
    // @unchecked: `listenFD` is set before the thread starts and closed by it on the way out; the clients table
    // and the coil gate belong to the loop's thread; everything shared is in a Mutex.
    public let map: DCSMap
    private let settings: DCSSettings
    private let logger: Logger
    private let onFire: @Sendable (DCSMap.CoilAction, String) -> Void
    private let image: Mutex<DCSImage>
    private let shared: Mutex<DCSLinkStatus>
    private let stopping = Mutex(false)
    /// The loop's thread, once started.
    private let thread = Mutex<WorkerThread?>(nil)
    private let started = Mutex(false)
    private let wake: WakePipe
    private var listenFD: Int32 = -1
    private let allow: Set<String>
    private let coilSet: Set<Int>

    /// Bytes a client may have buffered unanswered, or unsent, before it is cut off.
    static let maxBuffered = 8192

    public init(
        map: DCSMap, logger: Logger, onFire: @escaping @Sendable (DCSMap.CoilAction, String) -> Void
    ) throws(SystemCallError) {
        self.map = map
        self.settings = map.settings
        self.logger = logger
        self.onFire = onFire
        self.image = Mutex(DCSImage(map: map))
        self.shared = Mutex(DCSLinkStatus(listen: map.settings.listen))
        self.wake = try WakePipe()
        self.allow = Set(map.settings.allow.map(Self.normalised))
        self.coilSet = Set(map.coils.keys)
    }

    /// Binds the listening socket; a port in use or a bad address stops the daemon with a clear error.
    public func bind() throws(SystemCallError) {
        let name = settings.listen
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(settings.host, String(settings.port), &hints, &list)
        guard rc == 0, let info = list else {
            throw SystemCallError(
                code: EADDRNOTAVAIL, operation: "DCS listen \(name)", message: String(cString: gai_strerror(rc)))
        }
        defer { freeaddrinfo(list) }
        let type = info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        let fd = try systemCall("DCS listen \(name): socket") {
            socket(info.pointee.ai_family, type, info.pointee.ai_protocol)
        }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        do {
            try systemCall("DCS listen \(name): bind") { Glibc.bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) }
            try systemCall("DCS listen \(name): listen") { listen(fd, 64) }
        } catch {
            close(fd)
            throw error
        }
        listenFD = fd
    }

    /// The port actually bound (the configured one, or the kernel's pick for port 0 in tests).
    public var boundPort: Int {
        var addr = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listenFD, $0, &length) }
        }
        let family = addr.ss_family
        return withUnsafePointer(to: &addr) { p in
            if family == sa_family_t(AF_INET6) {
                return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    Int(UInt16(bigEndian: $0.pointee.sin6_port))
                }
            }
            return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                Int(UInt16(bigEndian: $0.pointee.sin_port))
            }
        }
    }

    /// Starts the loop's thread; `bind()` first.
    public func start() {
        started.withLock { $0 = true }
        thread.withLock { $0 = WorkerThread(name: "levee-dcs") { [self] in loop() } }
    }

    /// Stops the loop and closes every socket; returns once the thread is done.
    public func stop() async {
        // Only the first call may close the listening socket: a second close could hit a descriptor number that
        // another part of the process (libdispatch, a child's pipe) has been given since.
        let first = stopping.withLock { stopping in
            defer { stopping = true }
            return !stopping
        }
        wake.wake()
        guard started.withLock({ $0 }) else {
            if first, listenFD >= 0 { close(listenFD) }
            return
        }
        await thread.withLock({ $0 })?.joined()
    }

    /// The registers every later request is answered from.
    public func publish(_ facts: PlantFacts) {
        var facts = facts
        facts.dcsClients = shared.withLock { $0.clients.count }
        // Built outside the lock, from a copy; the lock is held only for the swap.
        var next = image.withLock { $0 }
        next.update(facts, map: map)
        image.withLock { $0 = next }
    }

    public var status: DCSLinkStatus { shared.withLock { $0 } }

    // MARK: - The loop

    private struct Client {
        var address: String
        var input: [UInt8] = []
        var output: [UInt8] = []
        var connectedAt: Date
        var lastActivity: ContinuousClock.Instant
        var lastRequestAt: Date?
        /// When the bytes now in `input` started arriving, if a frame is incomplete.
        var partialSince: ContinuousClock.Instant?
        var requests = 0
    }

    private func loop() {
        var clients: [Int32: Client] = [:]
        var gate = CoilGate(hold: .milliseconds(settings.writeHoldMs))
        let idle = Duration.seconds(settings.idleTimeoutSeconds)
        let frameTimeout = Duration.milliseconds(settings.frameTimeoutMs)
        logger.notice("DCS Modbus TCP server listening", metadata: ["listen": "\(settings.listen)"])
        while !stopping.withLock({ $0 }) {
            var fds = [
                pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wake.readFD, events: Int16(POLLIN), revents: 0),
            ]
            for (cfd, client) in clients {
                let events = Int16(POLLIN) | (client.output.isEmpty ? 0 : Int16(POLLOUT))
                fds.append(pollfd(fd: cfd, events: events, revents: 0))
            }
            // Wake for the next coil deadline, and at least every 100 ms for the timeouts.
            var wait = 100
            if let deadline = gate.nextDeadline {
                wait = min(wait, max(0, Self.milliseconds(ContinuousClock.now.duration(to: deadline))))
            }
            if poll(&fds, nfds_t(fds.count), Int32(wait)) < 0 && errno != EINTR { break }
            if fds[1].revents != 0 { wake.drain() }

            let current = image.withLock { $0 }
            var drops: [Int32: String] = [:]
            for entry in fds.dropFirst(2) where entry.revents != 0 {
                guard var client = clients[entry.fd] else { continue }
                if entry.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                    if let why = receive(entry.fd, &client, image: current, gate: &gate) { drops[entry.fd] = why }
                }
                if drops[entry.fd] == nil, !client.output.isEmpty, let why = flush(entry.fd, &client) {
                    drops[entry.fd] = why
                }
                clients[entry.fd] = client
            }
            let now = ContinuousClock.now
            for (cfd, client) in clients where drops[cfd] == nil {
                if let since = client.partialSince, now - since > frameTimeout {
                    drops[cfd] = "request not finished within \(settings.frameTimeoutMs) ms"
                } else if now - client.lastActivity > idle {
                    drops[cfd] = "no request for \(settings.idleTimeoutSeconds) s"
                }
            }
            for (cfd, why) in drops {
                if let client = clients[cfd], why != "closed" {
                    logger.warning(
                        "DCS client disconnected", metadata: ["client": "\(client.address)", "why": "\(why)"])
                    shared.withLock { $0.droppedConnections += 1 }
                }
                close(cfd)
                clients[cfd] = nil
            }
            for fire in gate.tick(at: now) {
                guard let action = map.coils[fire.coil] else { continue }
                shared.withLock { $0.coilActions += 1 }
                logger.notice("DCS coil acts", metadata: ["coil": "\(action.name)", "client": "\(fire.client)"])
                onFire(action, fire.client)
            }
            if fds[0].revents != 0 { acceptAll(&clients) }
            publishClients(clients)
        }
        for cfd in clients.keys { close(cfd) }
        shutdown(listenFD, Int32(SHUT_RDWR))
        close(listenFD)
    }

    /// Reads what arrived and answers every whole request in it; a reason when the client must go.
    private func receive(_ cfd: Int32, _ client: inout Client, image: DCSImage, gate: inout CoilGate) -> String? {
        var chunk = [UInt8](repeating: 0, count: 2048)
        let n = chunk.withUnsafeMutableBytes { recv(cfd, $0.baseAddress, $0.count, 0) }
        if n < 0 { return errno == EAGAIN || errno == EINTR ? nil : "receive failed" }
        if n == 0 { return "closed" }
        let now = ContinuousClock.now
        if client.input.isEmpty { client.partialSince = now }
        client.input.append(contentsOf: chunk[..<n])
        while client.input.count >= MBAPHeader.size {
            let header: MBAPHeader
            do {
                header = try MBAPHeader.parse(client.input)
            } catch {
                return "not Modbus TCP (\(error))"
            }
            let total = MBAPHeader.size + header.pduLength
            guard client.input.count >= total else { break }
            let pdu = Array(client.input[MBAPHeader.size..<total])
            client.input.removeFirst(total)
            client.partialSince = client.input.isEmpty ? nil : now
            client.lastActivity = now
            client.lastRequestAt = Date()
            client.requests += 1
            let response: ModbusResponse
            if Int(header.unitID) != settings.unitID && header.unitID != 0xFF {
                // Not addressed to Levee: a gateway's "target failed to respond" (TCP guide, 4.4.1.1).
                response = .exception(function: pdu.first ?? 0, .gatewayTargetFailedToRespond)
            } else {
                let answer = DCSResponder.answer(
                    pdu: pdu, image: image, coils: coilSet, gate: &gate, client: client.address, at: now)
                if answer.refusedWrite { shared.withLock { $0.refusedWrites += 1 } }
                response = answer.response
            }
            client.output += MBAPHeader.frame(
                transactionID: header.transactionID, unitID: header.unitID, pdu: response.pdu)
        }
        if client.input.count > Self.maxBuffered || client.output.count > Self.maxBuffered {
            return "sends requests faster than it reads the answers"
        }
        return nil
    }

    /// Sends what the socket takes; a reason when the client must go.
    private func flush(_ cfd: Int32, _ client: inout Client) -> String? {
        let n = client.output.withUnsafeBytes { send(cfd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if n < 0 { return errno == EAGAIN || errno == EINTR ? nil : "send failed" }
        client.output.removeFirst(n)
        return nil
    }

    private func acceptAll(_ clients: inout [Int32: Client]) {
        while true {
            var addr = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let cfd = withUnsafeMutablePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listenFD, $0, &length) }
            }
            if cfd < 0 {
                if errno == EINTR { continue }
                return  // EAGAIN: none left; EMFILE and the like: the next turn tries again
            }
            _ = fcntl(cfd, F_SETFL, fcntl(cfd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(cfd, F_SETFD, FD_CLOEXEC)
            var on: Int32 = 1
            setsockopt(cfd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
            let address = Self.normalised(Self.address(addr))
            guard allow.contains(address) else {
                logger.warning("DCS connection refused: address not allowed", metadata: ["client": "\(address)"])
                shared.withLock { $0.refusedConnections += 1 }
                close(cfd)
                continue
            }
            // At the cap, the oldest connection that has never asked anything goes first, then the quietest:
            // a flood of silent connections only pushes out its own, never a DCS that keeps polling.
            let silent = clients.filter { $0.value.requests == 0 }
            if clients.count >= settings.maxClients,
                let quietest = silent.min(by: { $0.value.connectedAt < $1.value.connectedAt })
                    ?? clients.min(by: { $0.value.lastActivity < $1.value.lastActivity })
            {
                logger.warning(
                    "DCS clients at max_clients: closing the quietest",
                    metadata: ["closed": "\(quietest.value.address)", "new": "\(address)"])
                shared.withLock { $0.refusedConnections += 1 }
                close(quietest.key)
                clients[quietest.key] = nil
            }
            let now = ContinuousClock.now
            clients[cfd] = Client(address: address, connectedAt: Date(), lastActivity: now)
        }
    }

    private func publishClients(_ clients: [Int32: Client]) {
        let list = clients.values.sorted { $0.connectedAt < $1.connectedAt }.map {
            DCSLinkStatus.Client(
                address: $0.address, connectedAt: $0.connectedAt, lastRequestAt: $0.lastRequestAt, requests: $0.requests
            )
        }
        shared.withLock { $0.clients = list }
    }

    /// The numeric address of a peer, as `inet_ntop` prints it.
    static func address(_ storage: sockaddr_storage) -> String {
        var storage = storage
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = storage.ss_family
        return withUnsafePointer(to: &storage) { p in
            if family == sa_family_t(AF_INET6) {
                return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { a in
                    var ip = a.pointee.sin6_addr
                    inet_ntop(AF_INET6, &ip, &buffer, socklen_t(buffer.count))
                    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                }
            }
            return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { a in
                var ip = a.pointee.sin_addr
                inet_ntop(AF_INET, &ip, &buffer, socklen_t(buffer.count))
                return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
    }

    /// An IPv4 client of an IPv6 socket shows as `::ffff:10.0.0.5`; the allow list names it `10.0.0.5`.
    static func normalised(_ address: String) -> String {
        let lower = address.lowercased()
        return lower.hasPrefix("::ffff:") && lower.contains(".") ? String(lower.dropFirst(7)) : lower
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000) + 1
    }
}
