import Foundation
import Glibc
import HJ212
import Logging
import Synchronization
import SystemCalls

/// What the uplink tells the daemon besides its log lines.
public enum UplinkEvent: Hashable, Sendable {
    /// A journal entry (also logged): link up and down, rejected frames with their reason, requests served, ...
    case journal(UplinkJournalEntry)
    /// The platform set the clock (1012) and `allowTimeSet` is on: set the system clock to this.
    case setClock(Date)
    /// The platform acknowledged an upload.
    case acknowledged(UplinkAcknowledgement)
}

/// The HJ 212 uplink over TCP: connects to the platform, reads its frames and drives an ``UplinkSession``.
///
/// It runs on a thread of its own, because every call it makes may block (DNS, connect, send, the historian's
/// reads and writes in the store and data source): none of it ever runs on Swift's cooperative pool, and none of
/// its public calls waits for the network. The thread polls the socket with a timeout that reaches the session's
/// next deadline, so retries and real-time data go on time.
///
/// - Connecting: within `connectTimeoutSeconds`; failures are retried after a backoff that doubles from
///   `reconnectMinSeconds` to `reconnectMaxSeconds`, and starts again at the least once connected. A run of
///   failures is journalled once, and again when the reason changes.
/// - Reading: bytes go through a ``FrameReader``; a malformed frame is journalled with its reason and bytes and
///   otherwise ignored.
/// - ``Action/linkFailed(_:)`` (no acknowledgement after every retry) closes the connection and reconnects.
public final class UplinkClient: Sendable {
    public let configuration: UplinkConfiguration
    private let store: any UplinkStore
    private let source: any UplinkDataSource
    private let logger: Logger
    private let clock: @Sendable () -> Date
    private let onEvent: @Sendable (UplinkEvent) -> Void

    private struct Control {
        var thread: WorkerThread?
        var stopping = false
    }

    private let control = Mutex(Control())
    private let statusState = Mutex(UplinkStatus())
    private let wake: WakePipe?

    /// - Parameters:
    ///   - configuration: check ``UplinkConfiguration/problems`` first.
    ///   - store: ``HistorianUplinkStore`` in the daemon.
    ///   - source: ``HistorianUplinkSource`` in the daemon.
    ///   - logger: every journal entry is logged here too.
    ///   - clock: the time the session runs on.
    ///   - onEvent: called on the uplink's thread for each event; keep it short, never block in it.
    public init(
        configuration: UplinkConfiguration,
        store: any UplinkStore,
        source: any UplinkDataSource,
        logger: Logger,
        clock: @escaping @Sendable () -> Date = { Date() },
        onEvent: @escaping @Sendable (UplinkEvent) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.store = store
        self.source = source
        self.logger = logger
        self.clock = clock
        self.onEvent = onEvent
        wake = try? WakePipe()
    }

    deinit { requestStop() }

    /// For the status page: connected, last acknowledgement, backlog, counters.
    public var status: UplinkStatus { statusState.withLock { $0 } }

    /// Starts the uplink's thread; returns at once. Calling it again does nothing.
    public func start() {
        control.withLock { control in
            guard control.thread == nil, !control.stopping else { return }
            control.thread = WorkerThread(name: "levee-uplink") { [self] in run() }
        }
    }

    /// Asks the thread to close the connection and end; returns at once.
    public func requestStop() {
        control.withLock { $0.stopping = true }
        wake?.wake()
    }

    /// Asks the thread to end and waits until it has (without holding a thread of the pool).
    public func stop() async {
        requestStop()
        await control.withLock { $0.thread }?.joined()
    }

    private var stopping: Bool { control.withLock { $0.stopping } }

    // MARK: - The thread

    private func run() {
        var session = UplinkSession(configuration: configuration, store: store, source: source, now: clock())
        var backoff = max(0.05, configuration.reconnectMinSeconds)
        var lastConnectError: String?
        while !stopping {
            _ = perform(session.tick(now: clock()), connection: nil)
            updateStatus(session)
            let connection: TCPConnection
            do {
                connection = try TCPConnection.connect(
                    host: configuration.host, port: configuration.port, timeout: configuration.connectTimeoutSeconds)
            } catch {
                let reason = "\(error)"
                statusState.withLock { $0.lastError = reason }
                if reason != lastConnectError {
                    journal(
                        UplinkJournalEntry(
                            .warning, "uplink cannot connect to the platform",
                            ["host": configuration.host, "port": "\(configuration.port)", "error": reason]))
                    lastConnectError = reason
                }
                pause(backoff)
                backoff = min(backoff * 2, max(configuration.reconnectMaxSeconds, configuration.reconnectMinSeconds))
                continue
            }
            lastConnectError = nil
            backoff = max(0.05, configuration.reconnectMinSeconds)
            statusState.withLock {
                $0.connected = true
                $0.since = clock()
            }
            journal(
                UplinkJournalEntry(
                    .notice, "uplink connected to the platform",
                    ["host": configuration.host, "port": "\(configuration.port)"]))
            let reason = serve(connection, &session)
            connection.close()
            _ = perform(session.disconnected(now: clock()), connection: nil)
            statusState.withLock {
                $0.connected = false
                $0.since = clock()
                $0.lastError = reason
            }
            updateStatus(session)
            if let reason {
                journal(UplinkJournalEntry(.warning, "uplink lost the platform", ["reason": reason]))
                pause(backoff)
            }
        }
        journal(UplinkJournalEntry(.info, "uplink stopped"))
    }

    /// Runs one connection until it fails (returns why) or the uplink stops (returns nil).
    private func serve(_ connection: TCPConnection, _ session: inout UplinkSession) -> String? {
        var reader = FrameReader()
        var buffer = [UInt8](repeating: 0, count: 4096)
        if let failure = perform(session.connected(now: clock()), connection: connection) { return failure }
        while !stopping {
            updateStatus(session)
            let now = clock()
            let wait = min(max(session.nextDeadline(now: now).timeIntervalSince(now), 0), 1)
            var fds = [
                pollfd(fd: connection.fd, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wake?.readFD ?? -1, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&fds, nfds_t(fds.count), TCPConnection.milliseconds(wait))
            if ready < 0, errno != EINTR { return "poll: \(String(cString: strerror(errno)))" }
            if fds[1].revents != 0 { wake?.drain() }
            if stopping { return nil }
            if fds[0].revents != 0 {
                let count: Int?
                do {
                    count = try connection.receive(into: &buffer)
                } catch {
                    return "\(error)"
                }
                if count == 0 { return "the platform closed the connection" }
                if let count, count > 0 {
                    for output in reader.feed(buffer[0..<count]) {
                        switch output {
                        case .frame(let frame, _):
                            statusState.withLock { $0.framesReceived += 1 }
                            if let failure = perform(session.received(frame, now: clock()), connection: connection) {
                                return failure
                            }
                        case .rejected(let rejection):
                            statusState.withLock { $0.framesRejected += 1 }
                            journal(
                                UplinkJournalEntry(
                                    .warning, "uplink rejected a frame from the platform",
                                    [
                                        "reason": rejection.reason,
                                        "bytes": FrameReader.printable(rejection.raw.prefix(200)),
                                    ]))
                        }
                    }
                }
            }
            if let failure = perform(session.tick(now: clock()), connection: connection) { return failure }
        }
        return nil
    }

    /// Performs the session's actions; returns why the link failed, if it did.
    private func perform(_ actions: [UplinkSession.Action], connection: TCPConnection?) -> String? {
        for action in actions {
            switch action {
            case .send(let bytes):
                guard let connection, !bytes.isEmpty else { continue }
                do {
                    try connection.send(bytes, timeout: max(configuration.ackTimeoutSeconds, 1))
                    statusState.withLock { $0.framesSent += 1 }
                } catch {
                    return "\(error)"
                }
            case .acknowledged(let acknowledgement):
                statusState.withLock { $0.lastAcknowledgement = acknowledgement }
                onEvent(.acknowledged(acknowledgement))
            case .linkFailed(let reason):
                return reason
            case .journal(let entry):
                journal(entry)
            case .setClock(let date):
                onEvent(.setClock(date))
            }
        }
        return nil
    }

    private func updateStatus(_ session: UplinkSession) {
        let backlog = session.backlog(now: clock())
        statusState.withLock {
            $0.backlog = backlog
            $0.awaitingQN = session.awaitingQN
            $0.requestsServed = session.requestsServed
        }
    }

    private func journal(_ entry: UplinkJournalEntry) {
        logger.log(
            level: entry.level, "\(entry.message)", metadata: entry.metadata.mapValues { .string($0) })
        onEvent(.journal(entry))
    }

    /// Sleeps `seconds`, or until asked to stop.
    private func pause(_ seconds: Double) {
        guard !stopping else { return }
        var fd = pollfd(fd: wake?.readFD ?? -1, events: Int16(POLLIN), revents: 0)
        _ = poll(&fd, 1, TCPConnection.milliseconds(seconds))
        wake?.drain()
    }
}
