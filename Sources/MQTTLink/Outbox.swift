/// One message waiting in the outbox.
struct OutboxMessage: Sendable, Hashable {
    var topic: String
    var payload: [UInt8]
    var qos: MQTTQoS
    var retain: Bool
    var durable: Bool

    /// What counts against `maxBytes`: topic and payload, the parts that grow.
    var size: Int { topic.utf8.count + payload.count }
}

/// The ordered, bounded queue of messages between `publish` and the broker: a plain value, so its rules are tested
/// without threads or a broker. `MQTTClient` keeps it behind a lock.
///
/// Messages leave in the order they were appended. Those handed to libmosquitto are *in flight* and always form a
/// prefix of the queue; they stay until `complete` (PUBACK, or written for QoS 0). `requeueInflight` (connection
/// lost) makes them pending again, so the next connection sends everything unfinished in its original order.
struct Outbox {
    struct Limits: Sendable, Hashable {
        var maxMessages: Int
        var maxBytes: Int
        var coalesceRetained: Bool
    }

    struct Entry: Sendable, Hashable {
        var id: UInt64
        var message: OutboxMessage
        var inflight = false
    }

    enum RemovalReason: Sendable, Hashable {
        case dropped
        case coalesced
    }

    /// What `append` removed to make room or to coalesce.
    struct Removal: Sendable, Hashable {
        var entry: Entry
        var reason: RemovalReason
    }

    let limits: Limits
    private(set) var entries: [UInt64: Entry] = [:]
    /// Ids in send order. Removed ids stay until `compactOrder` and are skipped; `order[..<cursor]` has been
    /// handed out.
    private var order: [UInt64] = []
    private var cursor = 0
    /// For coalescing: the pending retained, non-durable message per topic.
    private var retainedPending: [String: UInt64] = [:]
    private(set) var inflightCount = 0
    private(set) var byteCount = 0

    init(limits: Limits) { self.limits = limits }

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }

    /// The messages in send order (tests and diagnostics).
    var messagesInOrder: [Entry] { order.compactMap { entries[$0] } }

    /// Appends a message with an id greater than every id before it; returns what was removed to keep within the
    /// limits or replaced by coalescing.
    mutating func append(id: UInt64, _ message: OutboxMessage) -> [Removal] {
        var removed: [Removal] = []
        if limits.coalesceRetained, message.retain, !message.durable,
            let old = retainedPending[message.topic], let entry = entries[old], !entry.inflight
        {
            remove(old)
            removed.append(Removal(entry: entry, reason: .coalesced))
        }
        entries[id] = Entry(id: id, message: message)
        order.append(id)
        byteCount += message.size
        if message.retain && !message.durable { retainedPending[message.topic] = id }
        while entries.count > limits.maxMessages || byteCount > limits.maxBytes {
            guard let victim = oldestDroppable() else { break }
            let entry = entries[victim]!
            remove(victim)
            removed.append(Removal(entry: entry, reason: .dropped))
        }
        compactOrderIfSparse()
        return removed
    }

    /// The next pending message, now marked in flight; nil when everything has been handed out.
    mutating func nextToSend() -> Entry? {
        while cursor < order.count {
            let id = order[cursor]
            cursor += 1
            guard var entry = entries[id] else { continue }
            entry.inflight = true
            entries[id] = entry
            inflightCount += 1
            if retainedPending[entry.message.topic] == id { retainedPending[entry.message.topic] = nil }
            return entry
        }
        return nil
    }

    /// Removes a finished (or refused) message; nil if it is no longer here.
    @discardableResult
    mutating func complete(_ id: UInt64) -> Entry? {
        guard let entry = entries[id] else { return nil }
        remove(id)
        compactOrderIfSparse()
        return entry
    }

    /// The connection is gone: every message in flight is pending again, in its original place. Returns how many.
    @discardableResult
    mutating func requeueInflight() -> Int {
        let requeued = inflightCount
        for id in order[..<cursor] {
            entries[id]?.inflight = false
        }
        cursor = 0
        inflightCount = 0
        return requeued
    }

    private mutating func remove(_ id: UInt64) {
        guard let entry = entries.removeValue(forKey: id) else { return }
        byteCount -= entry.message.size
        if entry.inflight { inflightCount -= 1 }
        if retainedPending[entry.message.topic] == id { retainedPending[entry.message.topic] = nil }
    }

    /// The oldest pending non-durable message, else the oldest pending durable one. Messages in flight are
    /// libmosquitto's until the connection ends, so they are never dropped.
    private func oldestDroppable() -> UInt64? {
        var oldestDurable: UInt64?
        for id in order[cursor...] {
            guard let entry = entries[id] else { continue }
            if !entry.message.durable { return id }
            if oldestDurable == nil { oldestDurable = id }
        }
        return oldestDurable
    }

    /// Drops removed ids from `order` once they outnumber the live ones, keeping `cursor` on the same message.
    private mutating func compactOrderIfSparse() {
        guard order.count > 64, order.count > 2 * entries.count else { return }
        var kept: [UInt64] = []
        kept.reserveCapacity(entries.count)
        var newCursor = 0
        for (index, id) in order.enumerated() where entries[id] != nil {
            kept.append(id)
            if index < cursor { newCursor += 1 }
        }
        order = kept
        cursor = newCursor
    }
}

/// Exponential backoff with jitter, as a value: `next` gives the wait before the next attempt.
struct ReconnectBackoff: Sendable, Hashable {
    var min: Duration
    var max: Duration
    private(set) var failures = 0

    init(min: Duration, max: Duration) {
        self.min = min
        self.max = Swift.max(min, max)
    }

    /// The wait after one more failure: `min * 2^failures` capped at `max`, drawn from its upper half.
    mutating func next(unit: Double = Double.random(in: 0...1)) -> Duration {
        let exponent = Swift.min(failures, 30)
        failures += 1
        var ceiling = min * (1 << exponent)
        if ceiling > max || ceiling < min { ceiling = max }
        return ceiling / 2 + (ceiling / 2) * unit
    }

    mutating func reset() { failures = 0 }
}
