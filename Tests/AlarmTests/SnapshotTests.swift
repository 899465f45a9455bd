import Foundation
import Messages
import Testing

@testable import Alarm

struct SnapshotTests {
    static let definitions = [
        high("unacked", point: "p1", group: "g"),
        high("acked", point: "p2", group: "g"),
        high("shelved", point: "p3", priority: .low),
        high("oos", point: "p4"),
        high("returned", point: "p5", priority: .critical),
        high("quiet", point: "p6"),
    ]

    /// An engine with one alarm in each state, 1000 s into its life.
    func populated() throws -> Rig {
        var rig = try Rig(Self.definitions)
        for p in ["p1", "p2", "p3", "p4", "p5"] { rig.set(p, 60, at: 0) }
        try rig.ack("acked", at: 10)
        _ = try rig.engine.shelve(
            "shelved", until: rig.clock.at(4600), user: "zhang", reason: "校准", at: rig.clock.at(1000))
        _ = try rig.engine.removeFromService("oos", user: "zhao", reason: "更换变送器", at: rig.clock.at(20))
        rig.set("p5", 0, at: 30)
        _ = rig.engine.health(
            .valveLocal(valve: "valve-a-rain"), active: true, detail: .literal("就地"), at: rig.clock.at(40))
        return rig
    }

    @Test func aSnapshotRoundTripRestoresEveryStateExactly() throws {
        let before = try populated()
        let savedAt = Date(timeIntervalSince1970: 1_750_000_000)
        let snapshot = before.engine.snapshot(at: before.clock.at(1000), date: savedAt)
        let json = try JSONEncoder().encode(snapshot)
        let decoded = try JSONDecoder().decode(AlarmSnapshot.self, from: json)
        #expect(decoded == snapshot)
        #expect(!decoded.alarms.contains { $0.id == "quiet" }, "a normal alarm has nothing to remember")

        // The daemon restarts 30 s later, with a new monotonic clock.
        var after = try Rig(Self.definitions)
        let now = after.clock.at(5)
        let outcome = after.engine.restore(decoded, at: now, date: savedAt.addingTimeInterval(30))
        #expect(outcome.unknownAlarms.isEmpty)
        #expect(Set(outcome.actions.annunciated) == before.engine.sounding)

        let old = Dictionary(uniqueKeysWithValues: before.engine.alarms.map { ($0.id, $0) })
        for status in after.engine.alarms {
            let was = try #require(old[status.id])
            #expect(status.state == was.state, "\(status.id)")
            #expect(status.conditionActive == was.conditionActive, "\(status.id)")
            #expect(status.firstOut == was.firstOut, "\(status.id)")
            #expect(status.user == was.user && status.reason == was.reason, "\(status.id)")
            #expect(status.message == was.message && status.value == was.value, "\(status.id)")
            #expect(status.health == was.health, "\(status.id)")
        }
        #expect(after.engine.activeAlarms.map(\.id) == before.engine.activeAlarms.map(\.id))
        #expect(after.engine.firstOut(ofGroup: "g") == "unacked")

        // The shelve keeps its wall-clock expiry: 3600 s after it was taken, 30 s of which passed while down.
        let until = try #require(after.engine.status(of: "shelved")?.shelvedUntil)
        #expect(abs((until - now).inSeconds - 3570) < 0.001)
        #expect(after.engine.tick(at: now + .seconds(3569)).isEmpty)
        let expiry = after.engine.tick(at: now + .seconds(3571))
        #expect(expiry.transitions.map { [$0.from, $0.to] } == [[.shelved, .unacknowledged]])
    }

    @Test func restoredActiveAlarmsClearThroughTheirDeadbandLikeAnyOther() throws {
        let before = try populated()
        let date = Date(timeIntervalSince1970: 1_750_000_000)
        var after = try Rig(Self.definitions)
        _ = after.engine.restore(
            before.engine.snapshot(at: before.clock.at(1000), date: date), at: after.clock.at(0), date: date)

        #expect(after.set("p2", 49, at: 1).isEmpty, "in the deadband: still acknowledged-active")
        #expect(after.set("p2", 10, at: 2).transitions.map { [$0.from, $0.to] } == [[.acknowledged, .normal]])
        #expect(after.set("p1", 60, at: 3).isEmpty, "still active: no new activation after a restart")
        let fail = after.engine.health(.valveLocal(valve: "valve-a-rain"), active: false, at: after.clock.at(4))
        #expect(fail.transitions.map(\.to) == [.returnedUnacknowledged], "a restored health alarm clears as well")
    }

    @Test func alarmsNoLongerConfiguredAreReported() throws {
        let before = try populated()
        let date = Date()
        var after = try Rig([high("unacked", point: "p1")])
        let outcome = after.engine.restore(
            before.engine.snapshot(at: before.clock.at(1000), date: date), at: after.clock.at(0), date: date)
        #expect(outcome.unknownAlarms == ["acked", "shelved", "oos", "returned"])
        #expect(after.state("unacked") == .unacknowledged)
    }

    @Test func theSnapshotCarriesTheFloodWindow() throws {
        var rig = try Rig((0..<12).map { high("a\($0)", point: "p\($0)") })
        for i in 0..<12 { rig.set("p\(i)", 60, at: Double(i)) }
        let date = Date()
        let snapshot = rig.engine.snapshot(at: rig.clock.at(20), date: date)
        #expect(snapshot.flooding && snapshot.recentActivations.count == 12)
        var after = try Rig((0..<12).map { high("a\($0)", point: "p\($0)") })
        _ = after.engine.restore(snapshot, at: after.clock.at(0), date: date)
        #expect(after.engine.isFlooding)
        #expect(after.engine.floodRate(at: after.clock.at(0)) == 12)
    }

    @Test func aTransitionIsDatedForTheJournalFromOneReadingOfBothClocks() throws {
        var rig = try Rig([high("a", point: "p", onDelay: 5)])
        rig.set("p", 60, at: 0)
        let t = try #require(rig.tick(9).transitions.first)
        let nowDate = Date(timeIntervalSince1970: 1_750_000_000)
        // Performed at 9 s; the alarm came in at 5 s, when its on-delay ran out.
        #expect(abs(t.date(now: rig.clock.at(9), nowDate: nowDate).timeIntervalSince(nowDate) + 4) < 1e-6)
    }
}
