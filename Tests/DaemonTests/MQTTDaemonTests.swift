import ControlAPI
import Foundation
import Historian
import LeveeTestSupport
import ParkLink
import PlantSim
import Testing

/// The plant's MQTT link in the real daemon, against a real mosquitto broker and watched with `mosquitto_sub`:
/// what it publishes, its last will, its outbox across a broker restart, and which park commands it obeys.
@Suite(.serialized)
struct MQTTDaemonTests {
    typealias H = DaemonHarness
    static let site = "defence-plant"
    static let parkKey = "east-park-shared-key-7f3a9c21b8"

    /// The defence plant with `[mqtt]` pointing at `broker`; the east park may command it.
    func start(broker: TestBroker, accept: Bool = true) async throws -> H {
        let h = try H(scenario: DefencePlant.scenario)
        try Self.parkKey.write(toFile: h.directory + "/east-park.key", atomically: true, encoding: .utf8)
        let mqtt = """

            [mqtt]
            broker = "127.0.0.1:\(broker.port)"
            keepalive_s = 5
            publish_interval_s = 0.5
            accept_commands = \(accept)

            [[mqtt.parks]]
            id = "east-park"
            key_file = "east-park.key"

            """
        try h.write(
            config: DefencePlant.config(
                port: h.plant.tcpPort(server: "plc")!, directory: h.directory, extra: DefencePlant.gasInterlock + mqtt))
        try h.start()
        #expect(await H.wait { try h.status()?.summary.hasPrefix("8/8 devices answering") == true }, "\(h.log)")
        return h
    }

    func topic(_ rest: String) -> String { "levee/\(Self.site)/\(rest)" }

    /// Publishes `payload` as an outsider would, with mosquitto_pub.
    func publish(_ broker: TestBroker, _ topic: String, _ payload: [UInt8]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_pub")
        p.arguments = ["-h", "127.0.0.1", "-p", "\(broker.port)", "-q", "1", "-t", topic, "-s"]
        let input = Pipe()
        p.standardInput = input
        try p.run()
        input.fileHandleForWriting.write(Data(payload))
        try input.fileHandleForWriting.close()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
    }

    func acks(_ watcher: TopicWatcher, id: String) -> [[String: Any]] {
        watcher.messages.filter { $0.topic == topic("cmd/ack") }.compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.payload.utf8))) as? [String: Any]
        }.filter { $0["id"] as? String == id }
    }

    func command(_ op: ParkCommand.Operation = .shutoff, park: String = "east-park", at: Date = Date()) -> ParkCommand {
        ParkCommand(
            park: park, plant: Self.site, operation: op, reason: "雨水管网COD超标，园区一键关断", user: "li-na", issuedAt: at)
    }

    @Test func thePlantPublishesItsMeasuredStateAndAlarms() async throws {
        let broker = try await TestBroker.started()
        let watcher = try TopicWatcher(broker: broker, topics: ["levee/#"])
        let h = try await start(broker: broker)
        defer { h.stop() }
        #expect(await H.wait { watcher.latest(topic("online"))?["state"] as? String == "online" }, "\(h.log)")
        // Every valve, with the position its limit switches give and the quality of that reading.
        #expect(
            await H.wait {
                let valve = watcher.latest(topic("devices/rain-outlet-1"))?["valve"] as? [String: Any]
                return valve?["position"] as? String == "open"
            }, "\(watcher.messages.map(\.topic))")
        #expect(await H.wait { watcher.latest(topic("state"))?["latched"] as? Bool == false })
        // A late subscriber gets the retained state at once.
        let late = try TopicWatcher(broker: broker, topics: [topic("state"), topic("devices/+")])
        #expect(await H.wait { late.messages.contains { $0.topic == topic("state") && $0.retained } })

        // Gas level 2: an alarm event (QoS 1), the active list, the trip on the defence topic.
        try h.plant.setValue(62, device: "gas-a1", signal: "value")
        #expect(
            await H.wait {
                watcher.messages.contains {
                    $0.topic == topic("alarms/events") && $0.payload.contains("gas-a1.concentration.HH")
                }
            }, "\(watcher.messages.map(\.topic))")
        #expect(await H.wait { (watcher.latest(topic("alarms"))?["alarms"] as? [Any])?.isEmpty == false })
        #expect(await H.wait { watcher.latest(topic("defence"))?["latched"] as? Bool == true })
        #expect(
            await H.wait {
                let valve = watcher.latest(topic("devices/valve-a-rain"))?["valve"] as? [String: Any]
                return valve?["position"] as? String == "closed"
            })
        // The link shows in the status.
        #expect(try h.status()?.links?.mqtt?.state == "connected")
    }

    @Test func aSignedParkCommandTripsThePlantAndEveryOtherIsRefusedWithItsReason() async throws {
        let broker = try await TestBroker.started()
        let watcher = try TopicWatcher(broker: broker, topics: [topic("cmd/ack")])
        let h = try await start(broker: broker)
        defer { h.stop() }
        #expect(await H.wait { try h.status()?.links?.mqtt?.state == "connected" }, "\(h.log)")
        let key = Array(Self.parkKey.utf8)

        // Forged: signed with another key. Unlisted park. Too old. None of them moves anything.
        let forged = command()
        try publish(broker, topic("cmd"), forged.signed(key: Array("not-the-east-park-key-000000".utf8)))
        let unlisted = command(park: "west-park")
        try publish(broker, topic("cmd"), unlisted.signed(key: key))
        let old = command(at: Date().addingTimeInterval(-600))
        try publish(broker, topic("cmd"), old.signed(key: key))
        #expect(await H.wait { acks(watcher, id: forged.id).first?["reason"] as? String == "bad-signature" })
        #expect(await H.wait { acks(watcher, id: unlisted.id).first?["reason"] as? String == "unknown-park" })
        #expect(await H.wait { acks(watcher, id: old.id).first?["reason"] as? String == "too-old" })
        #expect(try h.status()?.defence?.latched == false)

        // The genuine one: accepted, then done; the plant-wide plan runs and the outlet closes.
        let genuine = command()
        let signed = genuine.signed(key: key)
        try publish(broker, topic("cmd"), signed)
        #expect(
            await H.wait { acks(watcher, id: genuine.id).map { $0["result"] as? String } == ["accepted", "done"] },
            "\(h.log)")
        #expect(await H.wait { try h.status()?.defence?.latched == true })
        #expect(try h.status()?.defence?.trips.first?.contains("east-park/li-na") == true)
        #expect(await H.wait { h.plant.valve("rain-outlet-1")?.closedLimit == true })

        // Replayed: the same bytes again are refused, and acknowledged as such.
        try publish(broker, topic("cmd"), signed)
        #expect(await H.wait { acks(watcher, id: genuine.id).last?["reason"] as? String == "replayed" })

        // Journaled like a local command.
        h.signal(SIGTERM)
        #expect(await h.waitForExit(15) == 0, "\(h.log)")
        let journal = try await h.journal().map(\.message)
        #expect(journal.contains { $0.hasPrefix("park command \(genuine.id) from east-park accepted") }, "\(journal)")
        #expect(journal.contains { $0.hasPrefix("park command \(forged.id) from east-park refused") })
        // The ledger: the outlet's close names the park, its user and the park command's id.
        let close = try await h.commands().first { $0.device == "rain-outlet-1" && $0.command == "close" }
        #expect(close?.user == "east-park/li-na", "\(String(describing: close))")
        #expect(
            close?.source.contains("mqtt park east-park command \(genuine.id)") == true, "\(String(describing: close))")
    }

    @Test func aPlantThatRefusesRemoteCommandsSaysSo() async throws {
        let broker = try await TestBroker.started()
        let watcher = try TopicWatcher(broker: broker, topics: [topic("cmd/ack")])
        let h = try await start(broker: broker, accept: false)
        defer { h.stop() }
        #expect(await H.wait { try h.status()?.links?.mqtt?.state == "connected" }, "\(h.log)")
        let c = command()
        try publish(broker, topic("cmd"), c.signed(key: Array(Self.parkKey.utf8)))
        #expect(await H.wait { acks(watcher, id: c.id).first?["reason"] as? String == "remote-disabled" })
        #expect(try h.status()?.defence?.latched == false)
    }

    @Test func aKilledPlantIsMarkedOfflineByItsLastWill() async throws {
        let broker = try await TestBroker.started()
        let watcher = try TopicWatcher(broker: broker, topics: [topic("online")])
        let h = try await start(broker: broker)
        defer { h.stop() }
        #expect(await H.wait { watcher.latest(topic("online"))?["state"] as? String == "online" }, "\(h.log)")
        h.signal(SIGKILL)
        // The broker notices within 1.5 keepalives (5 s) and publishes the will.
        #expect(await H.wait(30) { watcher.latest(topic("online"))?["state"] as? String == "offline" })
        #expect(watcher.latest(topic("online"))?["will"] as? Bool == true)
        // Retained: a park that subscribes later learns the plant is offline.
        let late = try TopicWatcher(broker: broker, topics: [topic("online")])
        #expect(
            await H.wait {
                late.messages.last?.retained == true && late.latest(topic("online"))?["state"] as? String == "offline"
            })
    }

    @Test func alarmEventsQueuedWhileTheBrokerIsDownArriveInOrderAfterItReturns() async throws {
        let broker = try await TestBroker.started(persistent: true)
        let watcher = try TopicWatcher(broker: broker, topics: [topic("alarms/events")], session: "levee-test-park")
        let h = try await start(broker: broker)
        defer { h.stop() }
        #expect(await H.wait { try h.status()?.links?.mqtt?.state == "connected" }, "\(h.log)")
        await broker.stop()
        #expect(await H.wait { try h.status()?.links?.mqtt?.state != "connected" })
        // Raise, acknowledge and clear an alarm while the park cannot hear.
        try h.plant.setValue(30, device: "gas-a1", signal: "value")
        #expect(await H.wait { try h.alarm("gas-a1.concentration.H")?.state == "unacknowledged" })
        // Alarm events are the differences between status samples taken every publish_interval_s (0.5 s here):
        // give the publisher a few samples of this state before the next transition.
        try await Task.sleep(for: .seconds(2))
        #expect(try h.request(.ack(alarm: "gas-a1.concentration.H", reason: "现场确认")).ok)
        try h.plant.setValue(0, device: "gas-a1", signal: "value")
        #expect(await H.wait { try h.alarm("gas-a1.concentration.H") == nil })
        #expect(try h.status()?.links?.mqtt?.queued ?? 0 > 0)
        #expect(watcher.messages.isEmpty)

        try await broker.start()
        func transitions() -> [String] {
            watcher.messages.compactMap { m -> String? in
                guard let json = (try? JSONSerialization.jsonObject(with: Data(m.payload.utf8))) as? [String: Any],
                    json["alarm"] as? String == "gas-a1.concentration.H"
                else { return nil }
                return json["to"] as? String
            }
        }
        #expect(
            await H.wait(40) { transitions().count >= 3 },
            "\(watcher.messages) \(String(describing: try? h.status()?.links))\n\(broker.log)")
        // In the order they happened, each once (duplicates of an unacknowledged QoS 1 message are allowed by
        // the protocol, but the first occurrences keep the order).
        var firstSeen: [String] = []
        for t in transitions() where !firstSeen.contains(t) { firstSeen.append(t) }
        #expect(firstSeen == ["unacknowledged", "acknowledged", "normal"], "\(transitions())")
    }
}
