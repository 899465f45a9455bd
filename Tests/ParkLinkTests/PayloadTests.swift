import ControlAPI
import Foundation
import Testing

@testable import ParkLink

/// Every payload survives encoding and decoding unchanged, and what the code writes is what the schema describes.
struct PayloadTests {
    let topics = try! ParkTopics()

    /// One message of every kind, from a plant that is latched, escalated, in alarm, with a command answered.
    func everyMessage() throws -> [(definition: String, message: ParkMessage)] {
        var publisher = try PlantPublisher(topics: topics, site: "plant-a")
        _ = publisher.update(Fixtures.status(alarms: [Fixtures.alarm()]), now: Fixtures.at(0))
        let status = Fixtures.status(
            devices: [Fixtures.outlet(position: "travelling", pending: "closed"), Fixtures.pool(), Fixtures.gas()],
            alarms: [Fixtures.alarm(state: "acknowledged"), Fixtures.alarm("pool.level.hh", priority: "critical")],
            defence: Fixtures.latched(confirmed: true, escalations: ["levee: accident pool pool at HH"]),
            at: Fixtures.at(30))
        let batch = publisher.update(status, now: Fixtures.at(30))
        var all: [(String, ParkMessage)] = []
        for m in batch {
            switch topics.parse(m.topic) {
            case .state: all.append(("state", m))
            case .device: all.append(("device", m))
            case .defence: all.append(("defence", m))
            case .alarms: all.append(("alarms", m))
            case .alarmEvents: all.append(("alarmEvent", m))
            case .escalation: all.append(("escalation", m))
            default: Issue.record("unexpected \(m.topic)")
            }
        }
        all.append(("online", publisher.online(at: Fixtures.at(0))))
        all.append(("online", publisher.offline(at: Fixtures.at(1))))
        all.append(("online", publisher.lastWill(connectingAt: Fixtures.at(0))))
        let command = ParkCommand(
            id: "6f1c0d7e-4a4b-4c55-9d1e-0c1f5b1e2a3b", park: "park-1", plant: "plant-a", operation: .drill,
            plan: "plant-wide", live: false, reason: "annual drill", user: "li", issuedAt: Fixtures.at(40))
        all.append(("command", command.message(topics: topics, key: Fixtures.key)))
        all.append(
            ("commandAck", ParkCommandAck(command, result: .accepted, at: Fixtures.at(41)).message(topics: topics)))
        let check = DrillCheck(
            plan: "plant-wide", checkedAt: Fixtures.at(41),
            items: [
                DrillCheckItem(
                    step: "close-rain-outlet-1", device: "rain-outlet-1", operation: "close-valve", location: "gate 2",
                    reachable: true, mode: "local", position: "open", faultFree: true,
                    problems: ["rain-outlet-1 is in local mode"])
            ])
        all.append(("commandAck", ParkCommandAck(command, check: check, at: Fixtures.at(41)).message(topics: topics)))
        let refusal = ParkCommandRefusal(.badSignature, id: "x1", park: "park-1", op: "shutoff")
        all.append(
            ("commandAck", ParkCommandAck(refusal, plant: "plant-a", at: Fixtures.at(42))!.message(topics: topics)))
        return all
    }

    @Test func everyPayloadMatchesTheSchema() throws {
        let schema = try MiniSchema.load()
        let messages = try everyMessage()
        #expect(Set(messages.map(\.definition)).count == 9)
        for (definition, m) in messages {
            let problems = try schema.validate(m.payload, as: definition)
            #expect(problems.isEmpty, "\(m.topic): \(problems)")
        }
    }

    @Test func theSchemaCatchesWhatItShould() throws {
        let schema = try MiniSchema.load()
        func problems(_ json: String, _ def: String) throws -> [String] {
            try schema.validate(Array(json.utf8), as: def)
        }
        let good = #"{"v":1,"site":"p","state":"online","at":"2024-05-01T08:00:00.000Z"}"#
        #expect(try problems(good, "online").isEmpty)
        #expect(
            !(try problems(#"{"v":2,"site":"p","state":"online","at":"2024-05-01T08:00:00.000Z"}"#, "online").isEmpty))
        #expect(!(try problems(#"{"v":1,"site":"p","state":"online","at":"2024-05-01T08:00:00Z"}"#, "online").isEmpty))
        #expect(
            !(try problems(#"{"v":1,"site":"p/q","state":"online","at":"2024-05-01T08:00:00.000Z"}"#, "online").isEmpty)
        )
        #expect(
            !(try problems(#"{"v":1,"site":"p","state":"up","at":"2024-05-01T08:00:00.000Z","x":1}"#, "online").isEmpty)
        )
        // A valve whose reading is not good cannot claim a position.
        let valve = #"{"position":"closed","quality":"comm-fail","mode":"remote"}"#
        #expect(!(try problems(valve, "valve").isEmpty))
    }

    @Test func everyPayloadRoundTrips() throws {
        for (definition, m) in try everyMessage() {
            switch definition {
            case "online": try roundTrip(OnlinePayload.self, m.payload)
            case "state": try roundTrip(StatePayload.self, m.payload)
            case "device": try roundTrip(DevicePayload.self, m.payload)
            case "defence": try roundTrip(DefencePayload.self, m.payload)
            case "alarms": try roundTrip(AlarmsPayload.self, m.payload)
            case "alarmEvent": try roundTrip(AlarmEventPayload.self, m.payload)
            case "escalation": try roundTrip(EscalationPayload.self, m.payload)
            case "commandAck": try roundTrip(ParkCommandAck.self, m.payload)
            case "command":
                var gate = try ParkCommandGate(
                    plant: "plant-a", acceptRemote: true, parks: [.init(id: "park-1", keys: [Fixtures.key])])
                let command = try gate.verify(m.payload, now: Fixtures.at(40)).get()
                #expect(command.signed(key: Fixtures.key) == m.payload)
            default: Issue.record("no round trip for \(definition)")
            }
        }
    }

    /// Decoded and encoded again, byte for byte the same.
    func roundTrip<T: Codable & Equatable>(_ type: T.Type, _ bytes: [UInt8]) throws {
        let value = try ParkJSON.decode(T.self, from: bytes).get()
        #expect(ParkJSON.encode(value, with: ParkJSON.encoder()) == bytes, "\(T.self)")
    }

    @Test func aDrillCheckIsAnsweredWithTheReadinessFound() throws {
        let c = ParkCommand(
            park: "park-1", plant: "plant-a", operation: .drillCheck, plan: "plant-wide", reason: "before the drill",
            user: "li", issuedAt: Fixtures.t0)
        let item = DrillCheckItem(
            step: "close-rain-outlet-1", device: "rain-outlet-1", operation: "close-valve", location: nil,
            reachable: true, mode: "local", position: "open", faultFree: true, problems: ["in local mode"])
        let ack = ParkCommandAck(
            c, check: DrillCheck(plan: "plant-wide", checkedAt: Fixtures.t0, items: [item]), at: Fixtures.t0)
        #expect(ack.result == .done)
        #expect(ack.readiness?.ready == false)
        #expect(ack.readiness?.items.first?.mode == "local")
        #expect(ack.message == "plan plant-wide not ready: 1 of 1 steps could not run now")
    }

    @Test func payloadsCarryVersionSiteAndTime() throws {
        for (definition, m) in try everyMessage() where definition != "command" {
            #expect(m.json["v"] as? Int == 1)
            #expect(m.json["site"] as? String == "plant-a")
            #expect((m.json["at"] as? String).flatMap(ParkTime.parse) != nil)
        }
    }

    @Test func aNewerVersionIsRefusedByName() {
        let bytes = Array(#"{"v":2,"site":"p","state":"online","at":"2024-05-01T08:00:00.000Z"}"#.utf8)
        guard case .failure(let e) = ParkJSON.decode(OnlinePayload.self, from: bytes) else {
            Issue.record("v2 accepted")
            return
        }
        #expect(e.field == "v")
    }

    @Test func aMissingOrMistypedFieldIsNamed() {
        let missing = Array(#"{"v":1,"site":"p","at":"2024-05-01T08:00:00.000Z"}"#.utf8)
        #expect(ParkJSON.decode(OnlinePayload.self, from: missing).failure?.description == "field \"state\" is missing")
        let mistyped = Array(#"{"v":1,"site":"p","state":"online","at":12}"#.utf8)
        #expect(ParkJSON.decode(OnlinePayload.self, from: mistyped).failure?.field == "at")
        #expect(ParkJSON.decode(OnlinePayload.self, from: Array("{nope".utf8)).failure?.field == nil)
    }

    @Test func nonFiniteNumbersAreLeftOut() throws {
        var gas = Fixtures.gas()
        gas.points[0].value = .nan
        let payload = DevicePayload(gas, site: "plant-a", at: Fixtures.t0)
        let json = ParkJSON.encode(payload, with: ParkJSON.encoder())
        #expect(!String(decoding: json, as: UTF8.self).contains("value"))
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let f) = self { return f }
        return nil
    }
}
