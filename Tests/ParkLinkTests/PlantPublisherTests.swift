import ControlAPI
import Foundation
import Testing

@testable import ParkLink

struct PlantPublisherTests {
    let topics = try! ParkTopics()

    func publisher(_ options: PlantPublisher.Options = .init()) -> PlantPublisher {
        try! PlantPublisher(topics: topics, site: "plant-a", options: options)
    }

    @Test func theFirstCallSendsEveryRetainedTopicAndNoEvents() {
        var p = publisher()
        let out = p.update(Fixtures.status(alarms: [Fixtures.alarm()]), now: Fixtures.t0)
        #expect(
            out.topics == [
                "levee/plant-a/escalation", "levee/plant-a/defence", "levee/plant-a/state", "levee/plant-a/alarms",
                "levee/plant-a/devices/rain-outlet-1", "levee/plant-a/devices/accident-pool",
                "levee/plant-a/devices/gas-1",
            ])
        #expect(out.allSatisfy { $0.retain && $0.qos == .atLeastOnce })
        #expect(out.on("levee/plant-a/state").first?.json["role"] as? String == "plant")
    }

    @Test func nothingChangedSendsNothing() {
        var p = publisher()
        _ = p.update(Fixtures.status(), now: Fixtures.t0)
        // The next second: new read times and a new generatedAt, nothing else.
        #expect(p.update(Fixtures.status(at: Fixtures.at(1)), now: Fixtures.at(1)).isEmpty)
        #expect(p.update(Fixtures.status(at: Fixtures.at(2)), now: Fixtures.at(2)).isEmpty)
    }

    @Test func aValveMovingGoesOutAloneAndAtOnce() {
        var p = publisher()
        _ = p.update(Fixtures.status(), now: Fixtures.t0)
        let closing = Fixtures.status(
            devices: [Fixtures.outlet(position: "travelling", pending: "closed"), Fixtures.pool(), Fixtures.gas()],
            at: Fixtures.at(1))
        let out = p.update(closing, now: Fixtures.at(1))
        #expect(out.topics == ["levee/plant-a/devices/rain-outlet-1"])
        let valve = out[0].json["valve"] as? [String: Any]
        #expect(valve?["position"] as? String == "travelling")
        #expect(valve?["pending"] as? String == "closed")
        #expect(valve?["quality"] as? String == "good")
    }

    @Test func aMovingValueIsSentAtMostOnceATelemetryInterval() {
        var p = publisher(.init(telemetryInterval: 5))
        _ = p.update(Fixtures.status(), now: Fixtures.t0)
        func at(_ s: Double, h2s: Double) -> [ParkMessage] {
            p.update(
                Fixtures.status(
                    devices: [Fixtures.outlet(), Fixtures.pool(), Fixtures.gas(value: h2s)], at: Fixtures.at(s)),
                now: Fixtures.at(s))
        }
        #expect(at(1, h2s: 2.6).isEmpty)
        #expect(at(2, h2s: 2.7).isEmpty)
        let out = at(5, h2s: 2.8)
        #expect(out.topics == ["levee/plant-a/devices/gas-1"])
        let point = (out[0].json["points"] as? [[String: Any]])?.first
        #expect(point?["value"] as? Double == 2.8)
        #expect(at(6, h2s: 2.8).isEmpty)
    }

    @Test func aQualityChangeIsNotRateLimited() {
        var p = publisher(.init(telemetryInterval: 60))
        _ = p.update(Fixtures.status(), now: Fixtures.t0)
        let out = p.update(
            Fixtures.status(devices: [Fixtures.outlet(), Fixtures.pool(), Fixtures.gas(quality: "comm-fail")]),
            now: Fixtures.at(1))
        #expect(out.topics == ["levee/plant-a/devices/gas-1"])
        #expect((out[0].json["points"] as? [[String: Any]])?.first?["quality"] as? String == "comm-fail")
    }

    @Test func aPositionNobodyMeasuredIsNeverReported() {
        // The device stopped answering; the status still holds its last position and a pending close.
        var silent = Fixtures.outlet(position: "closed", pending: "closed", answering: false)
        var payload = DevicePayload(silent, site: "plant-a", at: Fixtures.t0)
        #expect(payload.valve?.position == "unknown")
        #expect(payload.valve?.quality == "comm-fail")
        #expect(payload.valve?.pending == "closed")
        // Answering, but the closed limit switch reading went stale.
        silent = Fixtures.outlet(position: "closed")
        silent.points[1].quality = "stale"
        payload = DevicePayload(silent, site: "plant-a", at: Fixtures.t0)
        #expect(payload.valve?.position == "unknown")
        #expect(payload.valve?.quality == "stale")
        // Commanded closed but still open by its switches: open, with the close pending.
        payload = DevicePayload(Fixtures.outlet(position: "open", pending: "closed"), site: "plant-a", at: Fixtures.t0)
        #expect(payload.valve?.position == "open")
        #expect(payload.valve?.pending == "closed")
    }

    @Test func theStateIsResentEveryHeartbeat() {
        var p = publisher(.init(heartbeatInterval: 30, refreshInterval: 600))
        _ = p.update(Fixtures.status(), now: Fixtures.t0)
        #expect(p.update(Fixtures.status(at: Fixtures.at(29)), now: Fixtures.at(29)).isEmpty)
        let out = p.update(Fixtures.status(at: Fixtures.at(30)), now: Fixtures.at(30))
        #expect(out.topics == ["levee/plant-a/state"])
        #expect(out[0].json["generatedAt"] as? String == "2024-05-01T08:00:30.000Z")
        #expect(out[0].json["at"] as? String == "2024-05-01T08:00:30.000Z")
    }

    @Test func aRefreshResendsEveryRetainedTopic() {
        var p = publisher(.init(heartbeatInterval: 1000, refreshInterval: 300))
        let first = p.update(Fixtures.status(), now: Fixtures.t0)
        #expect(p.update(Fixtures.status(), now: Fixtures.at(299)).isEmpty)
        let refresh = p.update(Fixtures.status(), now: Fixtures.at(300))
        #expect(refresh.topics == first.topics)
        // The refresh copy of the escalation is not a change: not durable, and may be coalesced.
        let escalation = refresh.on("levee/plant-a/escalation")[0]
        #expect(!escalation.durable && escalation.coalesce)
        #expect(p.update(Fixtures.status(), now: Fixtures.at(301)).isEmpty)
        p.resendAll()
        #expect(p.update(Fixtures.status(), now: Fixtures.at(302)).topics == first.topics)
    }

    @Test func aDeviceThatLeftIsClearedFromTheBroker() {
        var p = publisher()
        _ = p.update(Fixtures.status(), now: Fixtures.t0)
        let out = p.update(Fixtures.status(devices: [Fixtures.outlet(), Fixtures.pool()]), now: Fixtures.at(1))
        let cleared = out.on("levee/plant-a/devices/gas-1")
        #expect(cleared.count == 1)
        #expect(cleared.first?.payload == [])
        #expect(cleared.first?.retain == true)
    }

    @Test func alarmTransitionsBecomeDurableEvents() {
        var p = publisher()
        _ = p.update(Fixtures.status(), now: Fixtures.t0)
        // Raised.
        var out = p.update(Fixtures.status(alarms: [Fixtures.alarm()]), now: Fixtures.at(1))
        var events = out.on("levee/plant-a/alarms/events")
        #expect(events.count == 1)
        #expect(events[0].json["from"] as? String == "normal")
        #expect(events[0].json["to"] as? String == "unacknowledged")
        #expect(events[0].durable && !events[0].retain && !events[0].coalesce)
        #expect(out.on("levee/plant-a/alarms").count == 1)
        #expect((out.on("levee/plant-a/state")[0].json["alarms"] as? [String: Int])?["high"] == 1)
        // Acknowledged, and a second alarm raised, in the same second.
        out = p.update(
            Fixtures.status(alarms: [
                Fixtures.alarm("pool.level.hh", priority: "critical"), Fixtures.alarm(state: "acknowledged"),
            ]), now: Fixtures.at(2))
        events = out.on("levee/plant-a/alarms/events")
        #expect(events.map { $0.json["alarm"] as? String } == ["pool.level.hh", "gas-1.h2s.high"])
        #expect(events.map { $0.json["to"] as? String } == ["unacknowledged", "acknowledged"])
        // The value alone changing: no event, no new list.
        out = p.update(
            Fixtures.status(alarms: [
                Fixtures.alarm("pool.level.hh", priority: "critical", value: 99),
                Fixtures.alarm(state: "acknowledged", value: 13),
            ]), now: Fixtures.at(3))
        #expect(out.isEmpty)
        // The condition clears on the acknowledged alarm: it leaves the list, back to normal.
        out = p.update(
            Fixtures.status(alarms: [Fixtures.alarm("pool.level.hh", priority: "critical")]), now: Fixtures.at(4))
        events = out.on("levee/plant-a/alarms/events")
        #expect(events.count == 1)
        #expect(events[0].json["from"] as? String == "acknowledged")
        #expect(events[0].json["to"] as? String == "normal")
        #expect(events[0].json["active"] as? Bool == false)
    }

    @Test func aTripSendsDefenceAndStateWithTheTrigger() throws {
        var p = publisher()
        _ = p.update(Fixtures.status(), now: Fixtures.t0)
        let out = p.update(Fixtures.status(defence: Fixtures.latched()), now: Fixtures.at(2))
        #expect(out.topics == ["levee/plant-a/defence", "levee/plant-a/state"])
        let defence = try ParkJSON.decode(DefencePayload.self, from: out[0].payload).get()
        #expect(defence.latched)
        #expect(defence.plan == "plant-wide")
        #expect(defence.trigger?.who == "wang")
        #expect(defence.trigger?.from == "button")
        #expect(defence.trigger?.why == "spill at tank 3")
        #expect(defence.trigger?.at == Fixtures.at(1))
        #expect(defence.steps.first?.state == "commanded")
        #expect(defence.bypasses.first?.interlock == "pool-hh")
        let state = try ParkJSON.decode(StatePayload.self, from: out[1].payload).get()
        #expect(state.latched && state.bypasses == 1)
        // Confirmed by the limit switch 23.5 s later.
        let confirmed = p.update(Fixtures.status(defence: Fixtures.latched(confirmed: true)), now: Fixtures.at(25))
        #expect(confirmed.topics == ["levee/plant-a/defence"])
        let step = try ParkJSON.decode(DefencePayload.self, from: confirmed[0].payload).get().steps[0]
        #expect(step.state == "confirmed")
        #expect(step.seconds == 23.5)
        #expect(step.confirmedAt == Fixtures.at(24.5))
    }

    @Test func anEscalationIsDurableAndKeepsItsTime() throws {
        var p = publisher()
        _ = p.update(Fixtures.status(), now: Fixtures.t0)
        let out = p.update(
            Fixtures.status(defence: Fixtures.latched(escalations: ["levee: accident pool pool at HH"])),
            now: Fixtures.at(10))
        let m = out.on("levee/plant-a/escalation")[0]
        #expect(m.durable && m.retain && !m.coalesce)
        let e = try ParkJSON.decode(EscalationPayload.self, from: m.payload).get()
        #expect(e.escalated && !e.drill)
        #expect(e.reason == "levee: accident pool pool at HH")
        #expect(e.since == Fixtures.at(10))
        // Re-sent by a refresh later: the same since.
        p.resendAll()
        let again = p.update(
            Fixtures.status(defence: Fixtures.latched(escalations: ["levee: accident pool pool at HH"])),
            now: Fixtures.at(50))
        let e2 = try ParkJSON.decode(EscalationPayload.self, from: again.on("levee/plant-a/escalation")[0].payload)
            .get()
        #expect(e2.since == Fixtures.at(10))
        #expect(e2.at == Fixtures.at(50))
    }

    @Test func aDrillEscalationSaysDrill() throws {
        var p = publisher()
        let out = p.update(
            Fixtures.status(defence: Fixtures.latched(escalations: ["DRILL levee: accident pool at HH"], drill: true)),
            now: Fixtures.t0)
        let e = try ParkJSON.decode(EscalationPayload.self, from: out.on("levee/plant-a/escalation")[0].payload).get()
        #expect(e.drill)
        let d = try ParkJSON.decode(DefencePayload.self, from: out.on("levee/plant-a/defence")[0].payload).get()
        #expect(d.drill && d.trigger?.who == "wang")
    }

    @Test func connectionMessages() throws {
        let p = publisher()
        let will = p.lastWill(connectingAt: Fixtures.t0)
        #expect(will.topic == "levee/plant-a/online" && will.retain && will.qos == .atLeastOnce)
        #expect(try ParkJSON.decode(OnlinePayload.self, from: will.payload).get().will == true)
        #expect(try ParkJSON.decode(OnlinePayload.self, from: p.online(at: Fixtures.t0).payload).get().state == .online)
        let clean = try ParkJSON.decode(OnlinePayload.self, from: p.offline(at: Fixtures.t0).payload).get()
        #expect(clean.state == .offline && clean.will == nil)
    }

    @Test func aParkInstancePublishesAsPark() {
        var p = publisher(.init(role: .park))
        let out = p.update(Fixtures.status(), now: Fixtures.t0)
        #expect(out.on("levee/plant-a/state")[0].json["role"] as? String == "park")
    }
}
