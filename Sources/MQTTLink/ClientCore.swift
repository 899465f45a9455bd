import Logging
import Synchronization
import SystemCalls

/// What `MQTTClient`, the network thread and the journal thread share. Everything mutable is in `state`, behind
/// one lock that is held only for memory operations, never for I/O.
final class ClientCore: Sendable {
    let options: MQTTOptions
    let logger: Logger
    let state: Mutex<SharedState>
    let wake: WakePipe
    let journal: JournalWriter?
    let onStateChange: (@Sendable (MQTTConnectionStatus) -> Void)?

    init(
        options: MQTTOptions, logger: Logger, state: SharedState, wake: WakePipe, journal: JournalWriter?,
        onStateChange: (@Sendable (MQTTConnectionStatus) -> Void)?
    ) {
        self.options = options
        self.logger = logger
        self.state = Mutex(state)
        self.wake = wake
        self.journal = journal
        self.onStateChange = onStateChange
    }

    /// Changes the connection status and tells the state-change callback (outside the lock) if it changed.
    func setStatus(_ newState: MQTTConnectionState, error: MQTTError? = nil) {
        let changed: MQTTConnectionStatus? = state.withLock { s in
            var status = s.status
            status.state = newState
            if let error { status.lastError = error }
            guard status != s.status else { return nil }
            s.status = status
            return status
        }
        if let changed { onStateChange?(changed) }
    }

    /// Ends a drop burst once the outbox is back under 90% of both limits, with one log line for the burst.
    /// Call with the lock held; returns the line's data for logging after the lock is released.
    static func endBurstIfRelieved(_ s: inout SharedState, limits: MQTTOptions.Outbox) -> (Int, Int)? {
        guard s.burstDropped > 0, s.outbox.count * 10 < limits.maxMessages * 9,
            s.outbox.byteCount * 10 < limits.maxBytes * 9
        else { return nil }
        defer {
            s.burstDropped = 0
            s.burstDroppedDurable = 0
        }
        return (s.burstDropped, s.burstDroppedDurable)
    }

    func logBurstEnd(_ counts: (Int, Int)?) {
        guard let (dropped, durable) = counts else { return }
        logger.notice(
            "MQTT outbox has room again",
            metadata: ["dropped_in_burst": "\(dropped)", "durable_dropped_in_burst": "\(durable)"])
    }
}

/// The shared mutable state of one client.
struct SharedState {
    enum Lifecycle: Sendable {
        case idle
        case running
        case stopping(drainUntil: ContinuousClock.Instant)
        case crashing
        case stopped
    }

    struct Subscription: Sendable {
        var filter: String
        var qos: MQTTQoS
        var handler: @Sendable (MQTTMessage) -> Void
    }

    var outbox: Outbox
    /// The next outbox id; for durable messages it is also the journal seq, so it starts after the journal's.
    var nextID: UInt64
    var status = MQTTConnectionStatus(state: .disconnected)
    var stats = MQTTStatistics()
    var subscriptions: [UInt64: Subscription] = [:]
    var nextSubscriptionID: UInt64 = 1
    /// Bumped on every subscribe and unsubscribe, so the network thread knows to reconcile.
    var subscriptionsVersion = 0
    var lifecycle: Lifecycle = .idle
    /// Tests only: cut the connection once, without DISCONNECT, and reconnect as after a network fault.
    var dropConnectionRequested = false
    var stopWaiters: [CheckedContinuation<Void, Never>] = []
    /// Drops in the current burst (0: no burst), for one log line when it starts and one when it ends.
    var burstDropped = 0
    var burstDroppedDurable = 0

    /// The filters to hold on the broker: each subscribed filter at the highest QoS asked for it.
    var desiredFilters: [String: MQTTQoS] {
        subscriptions.values.reduce(into: [:]) { result, sub in
            result[sub.filter] = max(result[sub.filter] ?? .atMostOnce, sub.qos)
        }
    }
}
