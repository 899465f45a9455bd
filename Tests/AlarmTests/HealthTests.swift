import Foundation
import Messages
import Testing

@testable import Alarm

struct HealthTests {
    @Test func aFrozenValueRaisesAHealthAlarmAndMovementClearsIt() throws {
        var level = high("pool.level.H", point: "pool.level", limit: 5)
        level.frozenAfter = FrozenCheck(after: .seconds(60), noiseBand: 0.1)
        var rig = try Rig([level])

        // A live transmitter: ±0.3 around 1.0 every 5 s. Nothing is frozen.
        var actions: [AlarmAction] = []
        for i in 0..<40 { actions += rig.set("pool.level", i % 2 == 0 ? 0.7 : 1.3, at: Double(i * 5)) }
        #expect(actions.isEmpty)

        // The loop sticks at 2.0 from 200 s (within a 0.05 jitter, under the noise band).
        for i in 0..<12 { actions += rig.set("pool.level", 2.0 + (i % 2 == 0 ? 0.05 : 0), at: Double(200 + i * 5)) }
        #expect(actions.isEmpty, "not yet 60 s flat")
        let frozen = rig.set("pool.level", 2.0, at: 260)
        let t = try #require(frozen.transitions.first)
        #expect(t.alarm == "pool.level.frozen")
        #expect((t.from, t.to) == (.normal, .unacknowledged))
        #expect(t.priority == .medium)
        #expect(t.text.render(.zhCN) == "数值冻结：pool.level")
        #expect(rig.clock.seconds(t.at) == 260)
        #expect(rig.engine.status(of: "pool.level.frozen")?.health == .frozen(point: "pool.level"))

        // A comm-fail does not thaw it; movement does.
        #expect(rig.set("pool.level", nil, usable: false, at: 300).isEmpty)
        #expect(rig.set("pool.level", 2.0, at: 310).isEmpty)
        let thaw = rig.set("pool.level", 2.4, at: 315)
        #expect(thaw.transitions.map { [$0.from, $0.to] } == [[.unacknowledged, .returnedUnacknowledged]])
    }

    @Test func aFreezeIsFoundByTickWhenNoSampleComes() throws {
        var level = high("a", point: "p", limit: 5)
        level.frozenAfter = FrozenCheck(after: .seconds(30))
        var rig = try Rig([level])
        rig.set("p", 1, at: 0)
        #expect(rig.tick(29).isEmpty)
        #expect(rig.tick(31).transitions.map(\.alarm) == ["p.frozen"])
    }

    @Test func aValveThatFailedToMoveShowsItsMeasuredTime() throws {
        var rig = try Rig([])
        let failed = rig.engine.health(
            .valveFailedToMove(valve: "valve-a-rain"), active: true, detail: Message(.detailCommandedClosed),
            measured: .seconds(45.2), at: rig.clock.at(0))
        let t = try #require(failed.transitions.first)
        #expect(t.alarm == "valve-a-rain.failed-to-move")
        #expect(t.priority == .critical)
        #expect(t.value == 45.2)
        // One text per language, with the measured time written to the tenth.
        #expect(t.text.render(.zhCN) == "阀门未到位：valve-a-rain，实测 45.2 s — 已下令关闭")
        #expect(t.text.render(.en) == "Valve failed to move: valve-a-rain, measured 45.2 s — commanded closed")
        #expect(t.message == t.text.render(.en))
        #expect(failed.annunciated == [.critical])

        let moved = rig.engine.health(.valveFailedToMove(valve: "valve-a-rain"), active: false, at: rig.clock.at(60))
        #expect(moved.transitions.map(\.to) == [.returnedUnacknowledged])
    }

    @Test func anInactiveReportForAnUnknownConditionDoesNothing() throws {
        var rig = try Rig([])
        #expect(rig.engine.health(.commFail(device: "gas-a1"), active: false, at: rig.clock.at(0)).isEmpty)
        #expect(rig.engine.alarms.isEmpty)
    }

    @Test(arguments: [
        (HealthCondition.commFail(device: "gas-a1"), "gas-a1.comm-fail", AlarmPriority.high),
        (.stale(point: "gas-a1.concentration"), "gas-a1.concentration.stale", .medium),
        (.outOfRange(point: "pool.level"), "pool.level.out-of-range", .high),
        (.frozen(point: "pool.level"), "pool.level.frozen", .medium),
        (.valveFault(valve: "v1"), "v1.valve-fault", .high),
        (.valveFailedToMove(valve: "v1"), "v1.failed-to-move", .critical),
        (.valveLocal(valve: "v1"), "v1.local", .high),
        (.historianFault, "historian.fault", .critical),
    ])
    func everyHealthConditionBecomesAnAlarmWithItsIdAndPriority(
        _ condition: HealthCondition, _ id: String, _ priority: AlarmPriority
    ) throws {
        var rig = try Rig([])
        let actions = rig.engine.health(condition, active: true, at: rig.clock.at(0))
        #expect(actions.transitions.map(\.alarm) == [id])
        #expect(actions.transitions.first?.priority == priority)
        #expect(actions.transitions.first?.text == condition.title(measured: nil))
        // A repeated report changes nothing; the alarm is acknowledged and shelved like any other.
        #expect(rig.engine.health(condition, active: true, at: rig.clock.at(1)).transitions.isEmpty)
        try rig.ack(id, at: 2)
        #expect(rig.state(id) == .acknowledged)
    }

    @Test func healthPrioritiesCanBeChanged() throws {
        var rig = try Rig([], options: .init(health: HealthPolicy(priorities: [.valveLocal: .critical])))
        let actions = rig.engine.health(.valveLocal(valve: "v1"), active: true, at: rig.clock.at(0))
        #expect(actions.transitions.first?.priority == .critical)
    }
}

/// The whole text of a condition whose reporter says it better replaces title and detail: the alarm says it once.
struct HealthTextTests {
    @Test func aGivenTextIsTheWholeAlarmText() throws {
        var rig = try Rig([])
        let text = Message(.defenceManualActionAt, ["valve": "sewage-outlet", "location": "污水总排口"])
        let t = try #require(
            rig.engine.health(.manualAction(valve: "sewage-outlet"), active: true, text: text, at: rig.clock.at(0))
                .transitions.first)
        #expect(t.text == text)
        #expect(t.text.render(.zhCN) == "需现场手动操作：sewage-outlet（污水总排口）处于就地模式，无法远程关闭")
        #expect(!t.message.contains("需现场"), "the English text holds no Chinese copy: \(t.message)")
        #expect(rig.engine.alarms.first?.health?.nextAction == Message(.nextManualAction, ["subject": "sewage-outlet"]))
    }

    /// Every critical kind has a next action, in both languages (part 6 of issue 18).
    @Test(arguments: HealthCondition.Kind.allCases) func everyCriticalKindHasANextAction(_ kind: HealthCondition.Kind) {
        let condition: HealthCondition =
            switch kind {
            case .commFail: .commFail(device: "d")
            case .stale: .stale(point: "p")
            case .outOfRange: .outOfRange(point: "p")
            case .frozen: .frozen(point: "p")
            case .valveFault: .valveFault(valve: "v")
            case .valveFailedToMove: .valveFailedToMove(valve: "v")
            case .valveLocal: .valveLocal(valve: "v")
            case .historianFault: .historianFault
            case .manualAction: .manualAction(valve: "v")
            case .stepFailed: .stepFailed(step: "s")
            case .movedWhileShutOff: .movedWhileShutOff(device: "d")
            case .strokeDrift: .strokeDrift(valve: "v")
            case .parkEscalation: .parkEscalation
            case .plantEscalated: .plantEscalated(plant: "p")
            case .plantLinkLost: .plantLinkLost(plant: "p")
            case .plantCommandFailed: .plantCommandFailed(plant: "p")
            case .linkDown: .linkDown(link: "l")
            }
        #expect(condition.kind == kind)
        if HealthPolicy().priority(of: kind) == .critical || kind == .commFail || kind == .valveLocal {
            let next = try? #require(condition.nextAction)
            #expect(next?.render(.zhCN).isEmpty == false)
            #expect(next?.render(.en).contains("{") == false)
        }
    }

    @Test func aFailedValveSaysToSendSomeoneWithTheKey() {
        let next = HealthCondition.valveFailedToMove(valve: "rain-outlet-2").nextAction
        #expect(next?.render(.zhCN) == "派人携带钥匙到 rain-outlet-2 现场手动关闭阀门，并上报园区。")
        #expect(
            next?.render(.en)
                == "Send someone to rain-outlet-2 with the key to close the valve by hand, and escalate to the park.")
    }
}
