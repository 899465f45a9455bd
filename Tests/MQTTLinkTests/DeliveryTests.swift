import CMosquitto
import Foundation
import LeveeTestSupport
import Synchronization
import Testing

@testable import MQTTLink

/// Publishing through a real mosquitto broker: order, retained state, the will, outages and restarts.
struct DeliveryTests {
    let logger = TestSupport.logger

    /// A client subscribed to `filter`, returned once the broker has granted the subscription.
    func subscriber(
        port: Int, filter: String, id: String, version: MQTTOptions.ProtocolVersion = .v311
    ) async throws -> (MQTTClient, Received) {
        var options = TestSupport.options(port: port, id: id)
        options.protocolVersion = version
        let client = try MQTTClient(options: options, logger: logger)
        let received = Received()
        try client.subscribe(filter, handler: received.handler())
        client.start()
        let subscribed = await TestSupport.wait { client.statistics.subscribed == 1 }
        try #require(subscribed, "subscriber \(id) never got its SUBACK: \(client.status)")
        return (client, received)
    }

    @Test(arguments: [
        (MQTTOptions.ProtocolVersion.v311, MQTTQoS.atLeastOnce), (.v5, .atLeastOnce), (.v311, .atMostOnce),
    ])
    func messagesArriveInTheOrderPublished(version: MQTTOptions.ProtocolVersion, qos: MQTTQoS) async throws {
        let broker = try TestBroker()
        try await broker.start()
        let (sub, received) = try await subscriber(
            port: broker.port, filter: "plant/+/reading", id: "sub", version: version)
        var options = TestSupport.options(port: broker.port, id: "plant-1")
        options.protocolVersion = version
        let states = StateLog()
        let pub = try MQTTClient(options: options, logger: logger, onStateChange: states.record)
        pub.start()
        for n in 1...50 { try pub.publish(topic: "plant/1/reading", text: TestSupport.text(n), qos: qos) }

        #expect(await TestSupport.wait { received.count >= 50 })
        #expect(received.texts == (1...50).map(TestSupport.text))
        #expect(received.all.allSatisfy { $0.topic == "plant/1/reading" && !$0.retain && $0.qos == qos })
        #expect(await TestSupport.wait { pub.statistics.acknowledged == 50 })
        let stats = pub.statistics
        #expect(stats.queued == 0 && stats.inflight == 0 && stats.dropped == 0 && stats.sent == 50)
        #expect(pub.status == MQTTConnectionStatus(state: .connected))
        #expect(sub.statistics.received == 50)

        await pub.stop()
        await sub.stop()
        #expect(pub.status.state == .disconnected)
        #expect(states.states.prefix(2) == [.connecting, .connected] && states.states.last == .disconnected)
    }

    @Test func retainedStateIsCoalescedAndSeenByLateSubscribers() async throws {
        let broker = try TestBroker()
        try await broker.start()
        var options = TestSupport.options(port: broker.port, id: "plant-1")
        options.outbox.coalesceRetained = true
        let pub = try MQTTClient(options: options, logger: logger)
        // Queued before start: only the latest state per topic is worth sending.
        for n in 1...3 { try pub.publish(topic: "plant/1/state", text: "state-\(n)", retain: true) }
        try pub.publish(topic: "plant/1/event", text: "event")
        #expect(pub.statistics.coalesced == 2 && pub.statistics.queued == 2)
        pub.start()
        #expect(await TestSupport.wait { pub.statistics.acknowledged == 2 })

        let (late, received) = try await subscriber(port: broker.port, filter: "plant/1/state", id: "park")
        #expect(await TestSupport.wait { received.count >= 1 })
        #expect(
            received.all == [
                MQTTMessage(topic: "plant/1/state", payload: Array("state-3".utf8), qos: .atLeastOnce, retain: true)
            ])

        // An independent client sees the same retained state.
        let (status, output) = try await TestSupport.run(
            TestTools.executable("mosquitto_sub"),
            ["-p", "\(broker.port)", "-t", "plant/1/state", "-C", "1", "-W", "10"])
        #expect(status == 0 && output == "state-3")
        await late.stop()
        await pub.stop()
    }

    @Test func willIsPublishedAfterACrashButNotAfterStop() async throws {
        let broker = try TestBroker()
        try await broker.start()
        let (watcher, received) = try await subscriber(port: broker.port, filter: "plant/+/status", id: "park")

        var crashing = TestSupport.options(port: broker.port, id: "plant-1")
        crashing.will = MQTTOptions.Will(topic: "plant/1/status", payload: Array("offline".utf8))
        let crasher = try MQTTClient(options: crashing, logger: logger)
        crasher.start()
        #expect(await TestSupport.wait { crasher.status.state == .connected })
        await crasher.simulateCrash()
        #expect(crasher.status.state == .disconnected)
        #expect(
            await TestSupport.wait { received.all.contains { $0.topic == "plant/1/status" && $0.text == "offline" } })

        var stopping = TestSupport.options(port: broker.port, id: "plant-2")
        stopping.will = MQTTOptions.Will(topic: "plant/2/status", payload: Array("offline".utf8))
        let stopper = try MQTTClient(options: stopping, logger: logger)
        stopper.start()
        #expect(await TestSupport.wait { stopper.status.state == .connected })
        await stopper.stop()
        // A sentinel published after the clean stop: a will, had it been sent, would have come before it.
        try await TestSupport.run(
            TestTools.executable("mosquitto_pub"),
            ["-p", "\(broker.port)", "-t", "plant/2/status", "-m", "sentinel", "-q", "1"])
        #expect(await TestSupport.wait { received.all.contains { $0.text == "sentinel" } })
        #expect(!received.all.contains { $0.topic == "plant/2/status" && $0.text == "offline" })
        await watcher.stop()
    }

    @Test func messagesQueuedWhileTheBrokerIsDownAtStartAreDeliveredInOrder() async throws {
        let broker = try TestBroker(persistent: true)
        try await broker.start()
        // The park's subscriber has a persistent session: the broker keeps its messages across the restart.
        let park = try PersistentSubscriber(port: broker.port, topic: "plant/1/events", id: "park-down-at-start")
        try await park.waitUntilSubscribed(port: broker.port)
        await broker.stop()

        let pub = try MQTTClient(options: TestSupport.options(port: broker.port, id: "plant-1"), logger: logger)
        pub.start()
        for n in 1...100 { try pub.publish(topic: "plant/1/events", text: TestSupport.text(n)) }
        #expect(pub.statistics.queued == 100)
        // It keeps trying, and says why it cannot connect.
        #expect(await TestSupport.wait { pub.statistics.connectAttempts >= 3 })
        let status = pub.status
        #expect(status.state != .connected)
        #expect(status.lastError?.code == MOSQ_ERR_ERRNO.rawValue && status.lastError?.systemCode == ECONNREFUSED)

        try await broker.start()
        #expect(await TestSupport.wait { Set(park.payloads).count >= 100 })
        #expect(TestSupport.firstOccurrences(park.payloads) == (1...100).map(TestSupport.text))
        #expect(await TestSupport.wait { pub.statistics.queued == 0 })
        #expect(pub.statistics.reconnects == 0)  // the first successful connection is not a reconnect
        await pub.stop()
    }

    @Test func brokerRestartMidStreamLosesNothingAndKeepsOrder() async throws {
        let broker = try TestBroker(persistent: true)
        try await broker.start()
        let park = try PersistentSubscriber(port: broker.port, topic: "plant/1/events", id: "park-restart")
        try await park.waitUntilSubscribed(port: broker.port)
        // One of ours too (clean session): it must subscribe again by itself after the restart.
        let (watcher, watched) = try await subscriber(port: broker.port, filter: "plant/1/status", id: "watcher")
        var options = TestSupport.options(port: broker.port, id: "plant-1")
        options.outbox.maxInflight = 10
        let pub = try MQTTClient(options: options, logger: logger)
        pub.start()
        #expect(await TestSupport.wait { pub.status.state == .connected })

        for n in 1...100 { try pub.publish(topic: "plant/1/events", text: TestSupport.text(n)) }
        #expect(await TestSupport.wait { pub.statistics.acknowledged == 100 })
        // Published just before the broker goes: some may be in flight when it does.
        for n in 101...140 { try pub.publish(topic: "plant/1/events", text: TestSupport.text(n)) }
        await broker.stop()
        #expect(await TestSupport.wait { pub.status.state != .connected })
        for n in 141...200 { try pub.publish(topic: "plant/1/events", text: TestSupport.text(n)) }
        #expect(pub.statistics.queued >= 60)

        try await broker.start()
        #expect(await TestSupport.wait(30) { Set(park.payloads).count >= 200 })
        // At least once: duplicates only of what was in flight, first occurrences complete and in order.
        #expect(TestSupport.firstOccurrences(park.payloads) == (1...200).map(TestSupport.text))
        #expect(await TestSupport.wait { pub.statistics.queued == 0 })
        let stats = pub.statistics
        #expect(stats.reconnects == 1 && stats.acknowledged >= 200 && stats.dropped == 0)

        #expect(await TestSupport.wait { watcher.statistics.reconnects == 1 && watcher.statistics.subscribed == 1 })
        try pub.publish(topic: "plant/1/status", text: "after restart")
        #expect(await TestSupport.wait { watched.texts == ["after restart"] })
        await pub.stop()
        await watcher.stop()
    }

    @Test func duplicateClientIDShowsAsRepeatedConnectionLossesNotACrash() async throws {
        let broker = try TestBroker()
        try await broker.start()
        var options = TestSupport.options(port: broker.port, id: "plant-1")
        options.protocolVersion = .v5
        let first = try MQTTClient(options: options, logger: logger)
        first.start()
        #expect(await TestSupport.wait { first.status.state == .connected })
        let second = try MQTTClient(options: options, logger: logger)
        second.start()
        // mosquitto 2.0.11 closes the older connection without a DISCONNECT reason (no 0x8E "session taken over"),
        // so the daemon sees its link drop and come back, again and again, with backoff.
        #expect(await TestSupport.wait { first.statistics.reconnects >= 1 && second.statistics.reconnects >= 1 })
        let error = try #require(first.status.lastError)
        #expect(error.code == MOSQ_ERR_CONN_LOST.rawValue)
        await second.stop()
        await first.stop()
    }

    @Test func messagesInFlightWhenTheConnectionDropsAreResentInOrder() async throws {
        let broker = try TestBroker()
        try await broker.start()
        let (sub, received) = try await subscriber(port: broker.port, filter: "plant/1/events", id: "park")
        var options = TestSupport.options(port: broker.port, id: "plant-1")
        options.outbox.maxInflight = 10
        let pub = try MQTTClient(options: options, logger: logger)
        pub.start()
        #expect(await TestSupport.wait { pub.status.state == .connected })

        // A frozen broker answers nothing: ten messages go out and stay unacknowledged, the rest wait.
        broker.pause()
        for n in 1...50 { try pub.publish(topic: "plant/1/events", text: TestSupport.text(n)) }
        #expect(await TestSupport.wait { pub.statistics.inflight == 10 })
        pub.dropConnectionForTesting()
        #expect(await TestSupport.wait { pub.statistics.resent == 10 && pub.status.state != .connected })
        broker.resume()

        #expect(await TestSupport.wait { Set(received.texts).count >= 50 })
        #expect(TestSupport.firstOccurrences(received.texts) == (1...50).map(TestSupport.text))
        #expect(await TestSupport.wait { pub.statistics.queued == 0 })
        #expect(pub.statistics.reconnects == 1)
        await pub.stop()
        await sub.stop()
    }

    @Test func fullOutboxDropsOldestNonDurableFirstAndSendsTheRestInOrder() async throws {
        let broker = try TestBroker()
        var options = TestSupport.options(port: broker.port, id: "plant-1")
        options.outbox.maxMessages = 10
        let pub = try MQTTClient(options: options, logger: logger)
        // Every fifth message is durable (kept in memory here: no persistence file).
        for n in 1...25 { try pub.publish(topic: "plant/1/events", text: TestSupport.text(n), durable: n % 5 == 0) }
        let stats = pub.statistics
        #expect(stats.queued == 10 && stats.dropped == 15 && stats.droppedDurable == 0)

        try await broker.start()
        let (sub, received) = try await subscriber(port: broker.port, filter: "plant/1/events", id: "park")
        pub.start()
        #expect(await TestSupport.wait { received.count >= 10 })
        #expect(received.texts == [5, 10, 15, 19, 20, 21, 22, 23, 24, 25].map(TestSupport.text))
        await pub.stop()
        await sub.stop()
    }

    @Test func durableMessagesSurviveARestartOfTheClient() async throws {
        let broker = try TestBroker()
        let dir = try TestSupport.temporaryDirectory("durable")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = TestSupport.options(port: broker.port, id: "plant-1")
        options.persistencePath = dir + "/outbox.journal"

        // First run: the broker is down throughout.
        let first = try MQTTClient(options: options, logger: logger)
        first.start()
        try first.publish(topic: "plant/1/alarm", text: "alarm-1", durable: true)
        try first.publish(topic: "plant/1/state", text: "state-1", retain: true)
        try first.publish(topic: "plant/1/alarm", text: "alarm-2", durable: true)
        try first.publish(topic: "plant/1/ack", text: "ack-1", durable: true)
        await first.stop()
        #expect(throws: MQTTError.self) { try first.publish(topic: "plant/1/alarm", text: "late") }

        // Second run: the durable messages are back, first in the queue, and go out in order.
        let second = try MQTTClient(options: options, logger: logger)
        // One journal, one client: a second one (or a second daemon) is refused while this one holds it.
        #expect(throws: MQTTConfigurationError.self) { _ = try MQTTClient(options: options, logger: logger) }
        #expect(second.statistics.restored == 3 && second.statistics.queued == 3)
        try second.publish(topic: "plant/1/alarm", text: "alarm-3", durable: true)
        try await broker.start()
        let (sub, received) = try await subscriber(port: broker.port, filter: "plant/1/#", id: "park")
        second.start()
        #expect(await TestSupport.wait { received.count >= 4 })
        #expect(received.texts == ["alarm-1", "alarm-2", "ack-1", "alarm-3"])
        #expect(await TestSupport.wait { second.statistics.queued == 0 })
        await second.stop()

        // Third run: all were acknowledged, nothing comes back.
        let third = try MQTTClient(options: options, logger: logger)
        #expect(third.statistics.restored == 0 && third.statistics.queued == 0)
        await third.stop()
        await sub.stop()
    }

    @Test func publishRefusesWhatTheBrokerWouldAndStopWithoutStartIsClean() async throws {
        let client = try MQTTClient(options: TestSupport.options(port: TestSupport.freePort(), id: "x"), logger: logger)
        #expect(throws: MQTTError.self) { try client.publish(topic: "plant/+/state", text: "wildcard") }
        #expect(throws: MQTTError.self) { try client.publish(topic: "", text: "empty") }
        #expect(throws: MQTTError.self) { try client.subscribe("plant/#/x") { _ in } }
        do {
            try client.publish(topic: "plant/#", text: "x")
        } catch {
            #expect(error.code == MOSQ_ERR_INVAL.rawValue)
        }
        try client.publish(topic: "plant/1/state", text: "queued")
        await client.stop()
        #expect(client.status.state == .disconnected)
        do {
            try client.publish(topic: "plant/1/state", text: "after stop")
            Issue.record("publish after stop was accepted")
        } catch {
            #expect(error.code == MOSQ_ERR_NO_CONN.rawValue)
        }
    }
}

/// Records the states the client reports through its callback.
final class StateLog: Sendable {
    private let recorded = Mutex<[MQTTConnectionState]>([])

    var states: [MQTTConnectionState] { recorded.withLock { $0 } }

    func record(_ status: MQTTConnectionStatus) { recorded.withLock { $0.append(status.state) } }
}
