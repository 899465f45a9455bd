import ControlAPI
import Foundation
import Testing

@testable import ParkLink

struct ParkDirectoryTests {
    let topics = try! ParkTopics()

    func directory() -> ParkDirectory {
        try! ParkDirectory(
            topics: topics, park: "park-1", plants: ["plant-a", "plant-b"], staleAfter: 90, commandTimeout: 30)
    }

    /// Everything plant-a's publisher sends for `status` at `now`, applied to the directory.
    func feed(_ d: inout ParkDirectory, _ messages: [ParkMessage], now: Date, retained: Bool = false)
        -> [ParkDirectory.Change]
    {
        messages.flatMap { d.apply(topic: $0.topic, payload: $0.payload, retained: retained, now: now) }
    }

    @Test func aPlantsLifeAsTheParkSeesIt() throws {
        var d = directory()
        var plant = try PlantPublisher(topics: topics, site: "plant-a")
        #expect(d.liveness(now: Fixtures.t0)["plant-a"] == .unknown)

        // Connects and publishes everything.
        var changes = feed(&d, [plant.online(at: Fixtures.t0)], now: Fixtures.t0)
        #expect(changes == [.plantOnline("plant-a")])
        changes = feed(&d, plant.update(Fixtures.status(), now: Fixtures.t0), now: Fixtures.t0)
        #expect(changes.contains(.stateChanged("plant-a")))
        #expect(changes.contains(.deviceChanged("plant-a", device: "rain-outlet-1")))
        var view = try #require(d.plant("plant-a"))
        #expect(view.name == "Plant A" && view.role == .plant)
        #expect(view.liveness(now: Fixtures.at(1), staleAfter: 90) == .online)
        #expect(view.outlets.map(\.device) == ["rain-outlet-1"])
        #expect(view.outlets.first?.position == "open" && view.outlets.first?.quality == "good")
        #expect(view.outlets.first?.mode == "remote")
        #expect(view.valves.count == 1)

        // The button is pressed: latch, then the valve closes and the step is confirmed 23.5 s later.
        changes = feed(
            &d, plant.update(Fixtures.status(defence: Fixtures.latched()), now: Fixtures.at(2)), now: Fixtures.at(2))
        #expect(changes.contains(.latched("plant-a", plan: "plant-wide", drill: false)))
        #expect(changes.filter { if case .latched = $0 { true } else { false } }.count == 1)
        let closed = Fixtures.status(
            devices: [Fixtures.outlet(position: "closed"), Fixtures.pool(), Fixtures.gas()],
            defence: Fixtures.latched(confirmed: true, escalations: ["levee: accident pool accident-pool at HH"]))
        changes = feed(&d, plant.update(closed, now: Fixtures.at(25)), now: Fixtures.at(25))
        #expect(
            changes.contains(.escalated("plant-a", reason: "levee: accident pool accident-pool at HH", drill: false)))
        #expect(changes.contains(.deviceChanged("plant-a", device: "rain-outlet-1")))
        view = try #require(d.plant("plant-a"))
        #expect(view.latched && view.plan == "plant-wide" && view.escalated)
        #expect(view.escalationReason == "levee: accident pool accident-pool at HH")
        #expect(view.outlets.first?.position == "closed")
        #expect(view.steps.first?.seconds == 23.5)
        #expect(view.steps.first?.state == "confirmed")

        // A heartbeat changes nothing.
        changes = feed(&d, plant.update(closed, now: Fixtures.at(55)), now: Fixtures.at(55))
        #expect(changes.isEmpty)
        #expect(d.plant("plant-a")?.lastHeard == Fixtures.at(55))

        // Reset: the latch and the escalation clear.
        changes = feed(&d, plant.update(Fixtures.status(), now: Fixtures.at(60)), now: Fixtures.at(60))
        #expect(changes.contains(.unlatched("plant-a")))
        #expect(changes.contains(.escalationCleared("plant-a")))
    }

    @Test func aSilentPlantGoesStaleAndComesBack() throws {
        var d = directory()
        var plant = try PlantPublisher(topics: topics, site: "plant-a")
        _ = feed(
            &d, [plant.online(at: Fixtures.t0)] + plant.update(Fixtures.status(), now: Fixtures.t0), now: Fixtures.t0)
        #expect(d.tick(now: Fixtures.at(90)).isEmpty)
        #expect(d.tick(now: Fixtures.at(91)) == [.plantStale("plant-a", silentSeconds: 91)])
        #expect(d.tick(now: Fixtures.at(92)).isEmpty)  // said once
        #expect(d.liveness(now: Fixtures.at(92))["plant-a"] == .stale)
        #expect(d.plant("plant-a")?.isStale == true)
        // Its outlets are no longer shown as measured.
        let shown = try #require(d.plant("plant-a")?.valves(now: Fixtures.at(92), staleAfter: 90).first)
        #expect(shown.position == "unknown" && shown.quality == "stale" && shown.lastMeasuredPosition == "open")
        // Its heartbeat arrives.
        let changes = feed(&d, plant.update(Fixtures.status(), now: Fixtures.at(93)), now: Fixtures.at(93))
        #expect(changes.first == .plantResumed("plant-a"))
        #expect(d.liveness(now: Fixtures.at(93))["plant-a"] == .online)
    }

    @Test func theLastWillMarksThePlantOffline() throws {
        var d = directory()
        let plant = try PlantPublisher(topics: topics, site: "plant-a")
        let will = plant.lastWill(connectingAt: Fixtures.t0)
        _ = feed(&d, [plant.online(at: Fixtures.t0)], now: Fixtures.t0)
        // The broker publishes the will when the connection dies, 45 s later.
        let changes = d.apply(topic: will.topic, payload: will.payload, now: Fixtures.at(45))
        #expect(changes == [.plantOffline("plant-a", lastWill: true)])
        let view = try #require(d.plant("plant-a"))
        #expect(view.connection == .offline && view.offlineByWill)
        #expect(view.connectionChangedAt == Fixtures.at(45))
        #expect(view.lastHeard == Fixtures.t0)  // the will is the broker speaking, not the plant
        #expect(d.liveness(now: Fixtures.at(500))["plant-a"] == .offline)
        #expect(d.tick(now: Fixtures.at(500)).isEmpty)  // offline is not stale
        // It comes back.
        #expect(feed(&d, [plant.online(at: Fixtures.at(600))], now: Fixtures.at(600)) == [.plantOnline("plant-a")])
        // A clean shutdown is offline without the will.
        #expect(
            feed(&d, [plant.offline(at: Fixtures.at(700))], now: Fixtures.at(700)) == [
                .plantOffline("plant-a", lastWill: false)
            ])
    }

    @Test func retainedMessagesCountOnlyAsOfTheirOwnTime() throws {
        var d = directory()
        var plant = try PlantPublisher(topics: topics, site: "plant-a")
        // The park starts two hours after the plant last spoke; the broker hands it the retained state.
        let old = [plant.online(at: Fixtures.t0)] + plant.update(Fixtures.status(), now: Fixtures.t0)
        _ = feed(&d, old, now: Fixtures.at(7200), retained: true)
        #expect(d.plant("plant-a")?.state?.name == "Plant A")
        #expect(d.plant("plant-a")?.lastHeard == Fixtures.t0)
        #expect(d.tick(now: Fixtures.at(7200)) == [.plantStale("plant-a", silentSeconds: 7200)])
    }

    @Test func acknowledgementsAreMatchedToCommandsAndSilenceIsReported() throws {
        var d = directory()
        let shutoff = ParkCommand(
            id: "c1", park: "park-1", plant: "plant-a", operation: .shutoff, reason: "river", user: "zhang",
            issuedAt: Fixtures.t0)
        let check = ParkCommand(
            id: "c2", park: "park-1", plant: "plant-b", operation: .drillCheck, reason: "check", user: "zhang",
            issuedAt: Fixtures.t0)
        d.sent(shutoff, at: Fixtures.t0)
        d.sent(check, at: Fixtures.t0)
        let accepted = ParkCommandAck(shutoff, result: .accepted, at: Fixtures.at(1)).message(topics: topics)
        #expect(
            d.apply(topic: accepted.topic, payload: accepted.payload, now: Fixtures.at(1)) == [
                .ackReceived(ParkCommandAck(shutoff, result: .accepted, at: Fixtures.at(1)))
            ])
        // A QoS 1 duplicate is not news.
        #expect(d.apply(topic: accepted.topic, payload: accepted.payload, now: Fixtures.at(1)).isEmpty)
        #expect(d.commands["c1"]?.lastResult == .accepted)
        // plant-b never answers.
        #expect(d.tick(now: Fixtures.at(30)).isEmpty)
        #expect(d.tick(now: Fixtures.at(31)) == [.commandUnanswered(check)])
        #expect(d.tick(now: Fixtures.at(32)).isEmpty)
        // Done: the command keeps its answers (the park's status lists it) until it is a day old.
        let done = ParkCommandAck(shutoff, result: .done, message: "confirmed", at: Fixtures.at(40)).message(
            topics: topics)
        _ = d.apply(topic: done.topic, payload: done.payload, now: Fixtures.at(40))
        #expect(d.commands["c1"]?.lastResult == .done)
        #expect(d.plant("plant-a")?.acks.map(\.result) == [.accepted, .done])
        // An answer to another park on a shared broker is none of this park's business.
        var other = ParkCommandAck(shutoff, result: .accepted, at: Fixtures.at(41))
        other.park = "park-2"
        let m = other.message(topics: topics)
        #expect(d.apply(topic: m.topic, payload: m.payload, now: Fixtures.at(41)).isEmpty)
    }

    @Test func unconfiguredPlantsAreIgnored() throws {
        var d = directory()
        var stranger = try PlantPublisher(topics: topics, site: "plant-z")
        #expect(feed(&d, stranger.update(Fixtures.status(), now: Fixtures.t0), now: Fixtures.t0).isEmpty)
        #expect(d.plant("plant-z") == nil)
        #expect(d.apply(topic: "other/plant-a/state", payload: [1], now: Fixtures.t0).isEmpty)
    }

    @Test func malformedPayloadsAreRejectedWithTheReason() throws {
        var d = directory()
        var plant = try PlantPublisher(topics: topics, site: "plant-a")
        _ = feed(&d, plant.update(Fixtures.status(), now: Fixtures.t0), now: Fixtures.t0)
        func reason(_ topic: String, _ json: String) -> String? {
            let changes = d.apply(topic: topic, payload: Array(json.utf8), now: Fixtures.at(1))
            guard case .rejected(let t, let r) = changes.first, t == topic else { return nil }
            return r
        }
        #expect(reason("levee/plant-a/state", "{oops") == "not valid JSON")
        #expect(reason("levee/plant-a/state", #"{"v":1,"site":"plant-a"}"#)?.contains("is missing") == true)
        #expect(reason("levee/plant-a/escalation", #"{"v":7,"site":"plant-a"}"#)?.contains("version 7") == true)
        let online = #"{"v":1,"site":"plant-b","state":"online","at":"2024-05-01T08:00:00.000Z"}"#
        #expect(reason("levee/plant-a/online", online)?.contains("not the topic's") == true)
        #expect(reason("levee/plant-a/whatever", "{}") == "not a topic of the Levee tree")
        // The view keeps what it had.
        #expect(d.plant("plant-a")?.state?.name == "Plant A")
    }

    @Test func aClearedDeviceTopicRemovesTheDevice() throws {
        var d = directory()
        var plant = try PlantPublisher(topics: topics, site: "plant-a")
        _ = feed(&d, plant.update(Fixtures.status(), now: Fixtures.t0), now: Fixtures.t0)
        let changes = feed(
            &d, plant.update(Fixtures.status(devices: [Fixtures.outlet(), Fixtures.pool()]), now: Fixtures.at(1)),
            now: Fixtures.at(1))
        // The state changed too: one device fewer.
        #expect(changes == [.stateChanged("plant-a"), .deviceRemoved("plant-a", device: "gas-1")])
        #expect(d.plant("plant-a")?.state?.devices == 2)
        #expect(d.plant("plant-a")?.devices.keys.sorted() == ["accident-pool", "rain-outlet-1"])
    }

    @Test func alarmEventsArriveOnceEach() throws {
        var d = directory()
        var plant = try PlantPublisher(topics: topics, site: "plant-a")
        _ = feed(&d, plant.update(Fixtures.status(), now: Fixtures.t0), now: Fixtures.t0)
        let out = plant.update(Fixtures.status(alarms: [Fixtures.alarm()]), now: Fixtures.at(1))
        let event = out.on("levee/plant-a/alarms/events")[0]
        let changes = feed(&d, out, now: Fixtures.at(1))
        #expect(changes.contains(.alarmsChanged("plant-a")))
        #expect(
            changes.contains { if case .alarmEvent("plant-a", let e) = $0 { e.to == "unacknowledged" } else { false } })
        #expect(d.apply(topic: event.topic, payload: event.payload, now: Fixtures.at(2)).isEmpty)
        #expect(d.plant("plant-a")?.state?.alarms.high == 1)
    }

    @Test func aDrillEscalationIsMarkedDrill() throws {
        var d = directory()
        var plant = try PlantPublisher(topics: topics, site: "plant-a")
        let out = plant.update(
            Fixtures.status(defence: Fixtures.latched(escalations: ["DRILL zhang: pool test"], drill: true)),
            now: Fixtures.t0)
        let changes = feed(&d, out, now: Fixtures.t0)
        #expect(changes.contains(.escalated("plant-a", reason: "DRILL zhang: pool test", drill: true)))
        #expect(changes.contains(.latched("plant-a", plan: "plant-wide", drill: true)))
    }

    @Test func subscriptionsCoverEveryConfiguredPlant() {
        let subs = directory().subscriptions
        #expect(subs.count == 16)
        #expect(subs.contains("levee/plant-b/devices/+"))
        #expect(subs.contains("levee/plant-a/cmd/ack"))
    }
}
