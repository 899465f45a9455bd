import Testing

@testable import MQTTLink

/// The outbox's rules as a value: order, in-flight prefix, requeue, bounds and coalescing.
struct OutboxTests {
    func message(_ topic: String, _ payload: String = "x", retain: Bool = false, durable: Bool = false)
        -> OutboxMessage
    {
        OutboxMessage(topic: topic, payload: Array(payload.utf8), qos: .atLeastOnce, retain: retain, durable: durable)
    }

    func outbox(maxMessages: Int = 100, maxBytes: Int = 1 << 20, coalesce: Bool = false) -> Outbox {
        Outbox(limits: .init(maxMessages: maxMessages, maxBytes: maxBytes, coalesceRetained: coalesce))
    }

    @Test func sendsInOrderAndResendsUnacknowledgedInOriginalOrderAfterRequeue() {
        var box = outbox()
        for id in 1...5 { _ = box.append(id: UInt64(id), message("t/\(id)")) }
        #expect(box.nextToSend()?.id == 1)
        #expect(box.nextToSend()?.id == 2)
        #expect(box.nextToSend()?.id == 3)
        #expect(box.inflightCount == 3)
        box.complete(2)  // acknowledged out of order (a QoS 0 written between two QoS 1)
        #expect(box.inflightCount == 2)
        #expect(box.requeueInflight() == 2)
        #expect(box.inflightCount == 0)
        var sent: [UInt64] = []
        while let entry = box.nextToSend() { sent.append(entry.id) }
        #expect(sent == [1, 3, 4, 5])
        for id in sent { box.complete(id) }
        #expect(box.isEmpty && box.byteCount == 0 && box.inflightCount == 0)
    }

    @Test func fullOutboxDropsTheOldestNonDurableMessageFirst() {
        var box = outbox(maxMessages: 4)
        _ = box.append(id: 1, message("a", durable: true))
        _ = box.append(id: 2, message("b"))
        _ = box.append(id: 3, message("c", durable: true))
        _ = box.append(id: 4, message("d"))
        let removed = box.append(id: 5, message("e"))
        #expect(removed.map(\.entry.id) == [2])
        #expect(removed.map(\.reason) == [.dropped])
        #expect(box.append(id: 6, message("f")).map(\.entry.id) == [4])
        #expect(box.append(id: 7, message("g")).map(\.entry.id) == [5])
        #expect(box.messagesInOrder.map(\.id) == [1, 3, 6, 7])
    }

    @Test func durableMessagesAreDroppedOnlyWhenNothingElseIs() {
        var box = outbox(maxMessages: 2)
        _ = box.append(id: 1, message("a", durable: true))
        _ = box.append(id: 2, message("b", durable: true))
        // A new non-durable message is itself the oldest non-durable one: it goes, the durable ones stay.
        #expect(box.append(id: 3, message("c")).map(\.entry.id) == [3])
        // A new durable message: the oldest durable one makes room.
        #expect(box.append(id: 4, message("d", durable: true)).map(\.entry.id) == [1])
        #expect(box.messagesInOrder.map(\.id) == [2, 4])
    }

    @Test func messagesInFlightAreNeverDropped() {
        var box = outbox(maxMessages: 2)
        _ = box.append(id: 1, message("a"))
        _ = box.append(id: 2, message("b"))
        _ = box.nextToSend()
        _ = box.nextToSend()
        // Both are libmosquitto's: the newcomer is the only one that can go.
        #expect(box.append(id: 3, message("c")).map(\.entry.id) == [3])
        #expect(box.messagesInOrder.map(\.id) == [1, 2])
    }

    @Test func byteLimitCountsTopicAndPayload() {
        var box = outbox(maxBytes: 30)
        _ = box.append(id: 1, message("t1", String(repeating: "x", count: 10)))  // 12 bytes
        _ = box.append(id: 2, message("t2", String(repeating: "x", count: 10)))  // 24
        #expect(box.byteCount == 24)
        #expect(box.append(id: 3, message("t3", String(repeating: "x", count: 10))).map(\.entry.id) == [1])
        #expect(box.byteCount == 24)
    }

    @Test func retainedStateIsCoalescedPerTopicOnlyWhenAskedAndOnlyWhileUnsent() {
        var plain = outbox()
        _ = plain.append(id: 1, message("s", "1", retain: true))
        #expect(plain.append(id: 2, message("s", "2", retain: true)).isEmpty)
        #expect(plain.count == 2)

        var box = outbox(coalesce: true)
        _ = box.append(id: 1, message("state/a", "1", retain: true))
        _ = box.append(id: 2, message("event", "e"))
        let removed = box.append(id: 3, message("state/a", "2", retain: true))
        #expect(removed.map(\.entry.id) == [1] && removed.map(\.reason) == [.coalesced])
        // The newer state takes the newer place: nothing published after the old one is overtaken.
        #expect(box.messagesInOrder.map(\.id) == [2, 3])
        // Once handed to libmosquitto it is no longer replaced.
        _ = box.nextToSend()
        _ = box.nextToSend()
        #expect(box.append(id: 4, message("state/a", "3", retain: true)).isEmpty)
        // Durable and non-retained messages are never coalesced.
        #expect(box.append(id: 5, message("state/a", "4", retain: true, durable: true)).isEmpty)
        #expect(box.append(id: 6, message("state/a", "5")).isEmpty)
        #expect(box.count == 5)
    }

    @Test func manyAcknowledgementsKeepOrderAndCursorAfterCompaction() {
        var box = outbox(maxMessages: 10_000)
        for id in 1...500 { _ = box.append(id: UInt64(id), message("t")) }
        for _ in 1...300 { _ = box.nextToSend() }
        for id in 1...250 { box.complete(UInt64(id)) }  // compacts the order list along the way
        #expect(box.inflightCount == 50)
        #expect(box.nextToSend()?.id == 301)
        box.requeueInflight()
        #expect(box.nextToSend()?.id == 251)
    }
}

/// Reconnect backoff as a value.
struct BackoffTests {
    @Test func doublesFromMinToMaxWithJitterInTheUpperHalfAndResets() {
        var backoff = ReconnectBackoff(min: .milliseconds(100), max: .seconds(1))
        #expect(backoff.next(unit: 1) == .milliseconds(100))
        #expect(backoff.next(unit: 1) == .milliseconds(200))
        #expect(backoff.next(unit: 0) == .milliseconds(200))  // 400 drawn at its lower end: half
        #expect(backoff.next(unit: 1) == .milliseconds(800))
        #expect(backoff.next(unit: 1) == .seconds(1))
        for _ in 0..<100 { _ = backoff.next(unit: 1) }
        #expect(backoff.next(unit: 1) == .seconds(1))
        backoff.reset()
        #expect(backoff.next(unit: 1) == .milliseconds(100))
    }
}
