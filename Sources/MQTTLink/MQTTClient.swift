import CMosquitto
import Foundation
import Logging
import SystemCalls

/// An MQTT client for a safety daemon: **control never waits for the network**.
///
/// `publish` only appends to an in-memory outbox (and, for `durable` messages, queues a journal append) and
/// returns; a dedicated network thread connects, reconnects with backoff for ever, and sends the outbox in order.
/// Nothing here runs blocking work on Swift's cooperative pool: libmosquitto runs on the thread "mqtt-network",
/// journal writes on "mqtt-journal", and `stop()` suspends rather than blocks.
///
/// Delivery: every message stays in the outbox until libmosquitto has written it (QoS 0) or the broker has
/// acknowledged it (QoS 1, 2). A lost connection puts everything unacknowledged back in the queue, and the next
/// connection sends it again in its original order: at least once, with duplicates only for messages whose
/// PUBACK was lost with the connection. To keep that order and avoid doubles, each connection uses a fresh
/// libmosquitto handle with a clean session, so libmosquitto never re-sends anything on its own.
///
/// The daemon's calls:
/// ```swift
/// let mqtt = try MQTTClient(options: options, logger: logger) { status in ... }   // checks the configuration
/// mqtt.start()                                                       // returns at once, broker up or not
/// try mqtt.subscribe("park/1/cmd/#") { message in ... }              // handler runs on the network thread
/// try mqtt.publish(topic: "plant/1/state", payload: json, retain: true)
/// try mqtt.publish(topic: "plant/1/alarm", payload: json, durable: true)
/// mqtt.status, mqtt.statistics                                       // at any time, from any thread
/// await mqtt.stop(drain: .seconds(2))                                // DISCONNECT: the broker drops the will
/// ```
public final class MQTTClient: Sendable {
    private let core: ClientCore

    /// Checks the options and loads the persistence journal; starts nothing.
    ///
    /// Reads the journal file synchronously (a start-up cost, once). Durable messages found there are queued
    /// first, in their original order, ahead of anything published in this run. A journal that cannot be opened
    /// (disk full, directory unwritable) does not stop the client: it logs the error, keeps durable messages in the
    /// in-memory outbox only, and says why in `statistics.journalFault`.
    ///
    /// - Parameter onStateChange: called on the network thread at each change of `status`; keep it short.
    /// - Throws: `MQTTConfigurationError` naming the option and the rule it breaks.
    public init(
        options: MQTTOptions, logger: Logger,
        onStateChange: (@Sendable (MQTTConnectionStatus) -> Void)? = nil
    ) throws(MQTTConfigurationError) {
        try options.validate()
        _ = try MosquittoHandle.make(options: options, userdata: nil)
        let wake: WakePipe
        do {
            wake = try WakePipe()
        } catch {
            throw MQTTConfigurationError(key: "-", message: error.description)
        }
        let limits = Outbox.Limits(
            maxMessages: options.outbox.maxMessages, maxBytes: options.outbox.maxBytes,
            coalesceRetained: options.outbox.coalesceRetained)
        var shared = SharedState(outbox: Outbox(limits: limits), nextID: 1)
        var journal: JournalWriter?
        var restoredDrops: [Outbox.Removal] = []
        var opened: (file: JournalFile, loaded: JournalFile.Loaded)?
        if let path = options.persistencePath {
            do {
                opened = try JournalFile.open(path: path)
            } catch let error where error.isInUse {
                throw MQTTConfigurationError(key: "persistencePath", message: error.description)
            } catch {
                // The link matters more than its journal: a full disk after a crash must not keep the daemon down.
                logger.error(
                    "MQTT journal cannot be opened; durable messages are kept in memory only",
                    metadata: ["path": "\(path)", "error": "\(error)"])
                shared.stats.journalFault = error.description
            }
        }
        if let path = options.persistencePath, let opened {
            let (file, loaded) = opened
            if let failure = loaded.compactionFailure {
                logger.warning(
                    "MQTT journal could not be compacted; it is used as it is",
                    metadata: ["path": "\(path)", "error": "\(failure)"])
            }
            if loaded.tornBytes > 0 {
                logger.warning(
                    "MQTT journal had a torn last record (a crash mid-write); it was cut off",
                    metadata: ["path": "\(path)", "bytes": "\(loaded.tornBytes)"])
            }
            for entry in loaded.messages {
                restoredDrops += shared.outbox.append(id: entry.seq, entry.message)
                shared.nextID = entry.seq + 1
            }
            shared.stats.restored = loaded.messages.count
            if !loaded.messages.isEmpty {
                logger.notice(
                    "MQTT durable messages restored from the journal",
                    metadata: ["path": "\(path)", "count": "\(loaded.messages.count)"])
            }
            journal = JournalWriter(path: path, file: file, logger: logger)
        } else if let path = options.persistencePath {
            // Not openable now: the writer keeps trying, and writes the durable messages once it can.
            journal = JournalWriter(path: path, file: nil, logger: logger)
        }
        self.core = ClientCore(
            options: options, logger: logger, state: shared, wake: wake, journal: journal,
            onStateChange: onStateChange)
        let core = self.core
        journal?.attach(
            JournalWriter.Hooks(
                durable: {
                    core.state.withLock { s in
                        s.outbox.messagesInOrder.filter(\.message.durable).map { ($0.id, $0.message) }
                    }
                },
                adopt: { messages in
                    let removed = core.state.withLock { s in
                        messages.flatMap { m -> [Outbox.Removal] in
                            defer { s.nextID += 1 }
                            return s.outbox.append(id: s.nextID, m)
                        }
                    }
                    if !removed.isEmpty {
                        core.state.withLock { $0.stats.dropped += UInt64(removed.count) }
                        core.wake.wake()
                    } else if !messages.isEmpty {
                        core.wake.wake()
                    }
                },
                fault: { fault in core.state.withLock { $0.stats.journalFault = fault } }))
        if !restoredDrops.isEmpty {
            core.state.withLock { s in
                s.stats.dropped += UInt64(restoredDrops.count)
                s.stats.droppedDurable += UInt64(restoredDrops.count)
            }
            logger.error(
                "MQTT journal holds more than the outbox limits; oldest durable messages dropped",
                metadata: ["count": "\(restoredDrops.count)"])
            for removal in restoredDrops { journal?.enqueue(.acknowledge(seq: removal.entry.id)) }
        }
    }

    deinit {
        // Without stop(), the threads would run for ever: ask them to end (no DISCONNECT wait is possible here).
        let started = core.state.withLock { s -> Bool in
            guard case .running = s.lifecycle else { return false }
            s.lifecycle = .stopping(drainUntil: .now)
            return true
        }
        if started { core.wake.wake() }
    }

    /// Starts the network thread (and the journal thread). Returns at once; connecting happens in the background
    /// and is retried with backoff until `stop()`. A second call does nothing; a client that was stopped stays so.
    public func start() {
        let start: Bool = core.state.withLock { s in
            guard case .idle = s.lifecycle else { return false }
            s.lifecycle = .running
            return true
        }
        if start {
            launch()
        } else {
            core.logger.debug("MQTTClient.start() called again; ignored")
        }
    }

    private func launch() {
        core.journal?.start()
        let loop = NetworkLoop(core: core)
        // Its end is reported to `stop()`'s waiters by the loop itself, as it exits.
        _ = WorkerThread(name: "mqtt-network") { loop.run() }
    }

    /// Ends the client: sends the outbox for up to `drain` while connected, then DISCONNECT (so the broker does not
    /// publish the will), flushes the journal and ends both threads. Durable messages not yet acknowledged stay in
    /// the journal for the next start; other unsent messages are lost. Suspends, never blocks a thread.
    public func stop(drain: Duration = .zero) async {
        await end(.stopping(drainUntil: .now + drain))
    }

    /// For tests: behaves like a crashed process. Shuts the socket down without DISCONNECT (the broker publishes
    /// the will) and ends the threads; unacknowledged durable messages stay in the journal.
    public func simulateCrash() async {
        await end(.crashing)
    }

    /// For tests: cuts the connection as a network fault would (no DISCONNECT); the client reconnects by itself.
    func dropConnectionForTesting() {
        core.state.withLock { $0.dropConnectionRequested = true }
        core.wake.wake()
    }

    private func end(_ lifecycle: SharedState.Lifecycle) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            enum Next { case resume, launch, wake }
            let next: Next = core.state.withLock { s in
                switch s.lifecycle {
                case .stopped:
                    return .resume
                case .idle:
                    s.lifecycle = lifecycle
                    s.stopWaiters.append(continuation)
                    return .launch
                case .running:
                    s.lifecycle = lifecycle
                    s.stopWaiters.append(continuation)
                    return .wake
                case .stopping, .crashing:
                    if case .crashing = lifecycle { s.lifecycle = lifecycle }
                    s.stopWaiters.append(continuation)
                    return .wake
                }
            }
            switch next {
            case .resume: continuation.resume()
            case .launch: launch()
            case .wake: core.wake.wake()
            }
        }
    }

    /// Queues a message and returns at once; it never waits for the network or the disk.
    ///
    /// - Parameters:
    ///   - retain: the broker keeps it as the topic's current value for late subscribers.
    ///   - durable: also journal it (when `persistencePath` is set), so it survives a restart of the daemon and is
    ///     delivered, in order, by the next run. For alarms, escalations and command acknowledgements. The journal
    ///     append is fsynced on the journal thread moments later, not before this returns.
    /// - Throws: `MQTTError` for a topic or payload libmosquitto would refuse (`MOSQ_ERR_INVAL` for a wildcard or
    ///   empty topic, `MOSQ_ERR_MALFORMED_UTF8`, `MOSQ_ERR_PAYLOAD_SIZE`), or `MOSQ_ERR_NO_CONN` after `stop()`.
    public func publish(
        topic: String, payload: [UInt8], qos: MQTTQoS = .atLeastOnce, retain: Bool = false, durable: Bool = false
    ) throws(MQTTError) {
        try Self.validate(topic: topic, payloadSize: payload.count, limits: core.options.outbox)
        let message = OutboxMessage(topic: topic, payload: payload, qos: qos, retain: retain, durable: durable)
        let journal = core.journal
        let limits = core.options.outbox
        let (removed, burstStarted, durableBurstStarted, queued) = try core.state.withLock {
            (s) throws(MQTTError) -> ([Outbox.Removal], Bool, Bool, Int) in
            switch s.lifecycle {
            case .stopped, .crashing:
                throw MQTTError.client(Mosq.noConn, "publish", "the client is stopped")
            case .idle, .running, .stopping:
                break
            }
            let id = s.nextID
            s.nextID += 1
            // Queued under the lock, before the message can be sent, so its ack cannot overtake it.
            if durable { journal?.enqueue(.append(seq: id, message)) }
            let removed = s.outbox.append(id: id, message)
            var burstStarted = false
            var durableBurstStarted = false
            for removal in removed {
                switch removal.reason {
                case .coalesced:
                    s.stats.coalesced += 1
                case .dropped:
                    s.stats.dropped += 1
                    if s.burstDropped == 0 { burstStarted = true }
                    s.burstDropped += 1
                    if removal.entry.message.durable {
                        s.stats.droppedDurable += 1
                        if s.burstDroppedDurable == 0 { durableBurstStarted = true }
                        s.burstDroppedDurable += 1
                    }
                }
            }
            return (removed, burstStarted, durableBurstStarted, s.outbox.count)
        }
        for removal in removed where removal.entry.message.durable {
            journal?.enqueue(.acknowledge(seq: removal.entry.id))
        }
        if burstStarted {
            core.logger.warning(
                "MQTT outbox full; dropping the oldest non-durable messages",
                metadata: [
                    "queued": "\(queued)", "max_messages": "\(limits.maxMessages)", "max_bytes": "\(limits.maxBytes)",
                ])
        }
        if durableBurstStarted {
            core.logger.error(
                "MQTT outbox full of durable messages; dropping the oldest durable ones",
                metadata: ["queued": "\(queued)"])
        }
        core.wake.wake()
    }

    /// `publish` with a UTF-8 text payload.
    public func publish(
        topic: String, text: String, qos: MQTTQoS = .atLeastOnce, retain: Bool = false, durable: Bool = false
    ) throws(MQTTError) {
        try publish(topic: topic, payload: Array(text.utf8), qos: qos, retain: retain, durable: durable)
    }

    /// Subscribes now if connected, and again after every reconnect.
    ///
    /// `handler` runs on the network thread, in the order messages arrive; it must not block (hand the message to
    /// your own queue or task). A message matching several subscriptions goes to each handler; with overlapping
    /// filters the broker may also send it more than once.
    ///
    /// - Throws: `MQTTError` (`MOSQ_ERR_INVAL`, `MOSQ_ERR_MALFORMED_UTF8`) for a filter libmosquitto refuses.
    @discardableResult
    public func subscribe(
        _ filter: String, qos: MQTTQoS = .atLeastOnce, handler: @escaping @Sendable (MQTTMessage) -> Void
    ) throws(MQTTError) -> MQTTSubscription {
        let length = Int32(clamping: filter.utf8.count)
        var rc = filter.isEmpty ? Mosq.inval : mosquitto_validate_utf8(filter, length)
        if rc == Mosq.success { rc = mosquitto_sub_topic_check2(filter, Int(length)) }
        guard rc == Mosq.success else {
            throw MQTTError.library(rc, "mosquitto_sub_topic_check2", detail: "filter \"\(filter)\"")
        }
        let subscription = core.state.withLock { s in
            let id = s.nextSubscriptionID
            s.nextSubscriptionID += 1
            s.subscriptions[id] = SharedState.Subscription(filter: filter, qos: qos, handler: handler)
            s.subscriptionsVersion += 1
            return MQTTSubscription(filter: filter, id: id)
        }
        core.wake.wake()
        return subscription
    }

    /// Removes a subscription; the broker is asked to unsubscribe once no other subscription uses the filter.
    public func unsubscribe(_ subscription: MQTTSubscription) {
        core.state.withLock { s in
            if s.subscriptions.removeValue(forKey: subscription.id) != nil { s.subscriptionsVersion += 1 }
        }
        core.wake.wake()
    }

    /// The connection state and the last error, at any time.
    public var status: MQTTConnectionStatus { core.state.withLock { $0.status } }

    /// Counters and the outbox's current size, at any time.
    public var statistics: MQTTStatistics {
        var stats = core.state.withLock { s in
            var stats = s.stats
            stats.queued = s.outbox.count
            stats.queuedBytes = s.outbox.byteCount
            stats.inflight = s.outbox.inflightCount
            return stats
        }
        stats.journalErrors = core.journal?.errorCount ?? 0
        return stats
    }

    static func validate(topic: String, payloadSize: Int, limits: MQTTOptions.Outbox) throws(MQTTError) {
        // An empty topic passes mosquitto_pub_topic_check2; mosquitto_publish refuses it (MQTT 5 topic aliases aside).
        let rc = topic.isEmpty ? Mosq.inval : MQTTOptions.checkTopic(topic)
        guard rc == Mosq.success else {
            throw MQTTError.library(rc, "mosquitto_pub_topic_check2", detail: "topic \"\(topic)\"")
        }
        // 268 435 455: MQTT's largest remaining length (MQTT_MAX_PAYLOAD, in mqtt_protocol.h, which shim.h does not
        // include).
        guard payloadSize <= 268_435_455, topic.utf8.count + payloadSize <= limits.maxBytes else {
            throw MQTTError.library(
                Mosq.payloadSize, "publish", detail: "\(payloadSize) bytes; the outbox holds \(limits.maxBytes)")
        }
    }
}
