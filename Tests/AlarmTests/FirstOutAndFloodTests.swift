import Foundation
import Testing

@testable import Alarm

struct FirstOutTests {
    @Test func firstOutPicksTheConditionThatCameTrueFirstGivenItsOnDelay() throws {
        var rig = try Rig([
            high("a", point: "pa", group: "tank-A", onDelay: 4),
            high("b", point: "pb", group: "tank-A", onDelay: 2),
            high("c", point: "pc", group: "tank-A"),
        ])
        // Both go over at 0; nobody ticks until 10, so both activate in one event.
        #expect(
            rig.engine.scan(
                [PointSample(point: "pa", value: 60, usable: true), PointSample(point: "pb", value: 60, usable: true)],
                at: rig.clock.at(0)
            ).isEmpty)
        let trip = rig.tick(10)
        #expect(trip.transitions.map(\.alarm) == ["b", "a"], "journaled in the order they came true")
        #expect(trip.transitions.map(\.firstOut) == [true, false])
        #expect(trip.transitions.map { rig.clock.seconds($0.at) } == [2, 4])
        #expect(rig.engine.firstOut(ofGroup: "tank-A") == "b")

        // A later alarm in the group is not first-out.
        let later = rig.set("pc", 60, at: 20)
        #expect(later.transitions.first?.firstOut == false)
        #expect(rig.engine.activeAlarms.filter(\.firstOut).map(\.id) == ["b"])
    }

    @Test(arguments: [(["pa", "pb"], "a"), (["pb", "pa"], "b")])
    func onATieTheOrderInTheBatchDecides(_ order: [String], _ winner: String) throws {
        var rig = try Rig([high("a", point: "pa", group: "g"), high("b", point: "pb", group: "g")])
        let actions = rig.engine.scan(
            order.map { PointSample(point: $0, value: 60, usable: true) }, at: rig.clock.at(0))
        #expect(actions.transitions.filter(\.firstOut).map(\.alarm) == [winner])
    }

    @Test func twoAlarmsOnOnePointTieInDefinitionOrder() throws {
        var rig = try Rig([
            high("p.H", point: "p", limit: 50, group: "g"), high("p.HH", point: "p", limit: 80, group: "g"),
        ])
        let actions = rig.set("p", 90, at: 0)
        #expect(actions.transitions.filter(\.firstOut).map(\.alarm) == ["p.H"])
    }

    @Test func firstOutResetsOnlyWhenTheWholeGroupIsBackToNormal() throws {
        var rig = try Rig([
            high("a", point: "pa", group: "g"), high("b", point: "pb", group: "g"), high("c", point: "pc", group: "g"),
        ])
        #expect(rig.set("pa", 60, at: 0).transitions.first?.firstOut == true)
        rig.set("pb", 60, at: 1)
        // a clears and is acknowledged: normal, but b is still up, so c is not first-out.
        rig.set("pa", 0, at: 2)
        try rig.ack("a", at: 3)
        #expect(rig.engine.firstOut(ofGroup: "g") == "a")
        #expect(rig.set("pc", 60, at: 4).transitions.first?.firstOut == false)
        // Everything clears and is acknowledged: the group re-arms.
        rig.set("pb", 0, at: 5)
        rig.set("pc", 0, at: 5)
        try rig.ack("b", at: 6)
        try rig.ack("c", at: 6)
        #expect(rig.engine.firstOut(ofGroup: "g") == nil)
        #expect(rig.engine.status(of: "a")?.firstOut == false)
        let next = rig.set("pc", 60, at: 7)
        #expect(next.transitions.first?.firstOut == true)
        #expect(rig.engine.firstOut(ofGroup: "g") == "c")
    }

    @Test func aShelvedAlarmDoesNotTakeFirstOut() throws {
        var rig = try Rig([high("a", point: "pa", group: "g"), high("b", point: "pb", group: "g")])
        _ = try rig.engine.shelve("a", until: rig.clock.at(600), user: "z", reason: "faulty", at: rig.clock.at(0))
        rig.set("pa", 60, at: 1)
        #expect(rig.set("pb", 60, at: 2).transitions.first?.firstOut == true)
    }
}

struct FloodTests {
    /// Fifteen alarms, one every 20 s: the eleventh within ten minutes starts a flood.
    @Test func aFloodStartsAboveTenInTenMinutesAndEndsBelowFive() throws {
        let defs = (0..<15).map { high("a\($0)", point: "p\($0)", priority: .medium) }
        var rig = try Rig(defs)
        var started: [Int] = []
        for i in 0..<15 {
            let actions = rig.set("p\(i)", 60, at: Double(i * 20))
            for case .flood(let change, let count) in actions {
                #expect(change == .started)
                #expect(count == 11)
                started.append(i)
            }
        }
        #expect(started == [10], "the 11th alarm starts the flood, once")
        #expect(rig.engine.isFlooding)
        #expect(rig.engine.floodRate(at: rig.clock.at(280)) == 15)
        #expect(rig.engine.floodRate(at: rig.clock.at(650)) == 12, "the first three have left the window")

        // Five are still inside the window at 799 s (from 200 s on); at 800 s only four: the flood ends.
        #expect(rig.tick(799).floods.isEmpty)
        let end = rig.tick(800)
        #expect(end.contains(.flood(.ended, count: 4)))
        #expect(!rig.engine.isFlooding)
        #expect(rig.engine.floodRate(at: rig.clock.at(900)) == 0)
    }

    @Test func tenInTenMinutesIsNotAFlood() throws {
        let defs = (0..<10).map { high("a\($0)", point: "p\($0)") }
        var rig = try Rig(defs)
        var actions: [AlarmAction] = []
        for i in 0..<10 { actions += rig.set("p\(i)", 60, at: Double(i)) }
        #expect(actions.floods.isEmpty)
        #expect(rig.engine.floodRate(at: rig.clock.at(10)) == 10)
    }
}
