import Foundation
import Messages
import Testing

@testable import Alarm

/// Every ISA-18.2 transition, as the actions the engine returns.
struct EngineStateTests {
    @Test func anAlarmComesInIsAcknowledgedAndClears() throws {
        var rig = try Rig([high("tank.level.H", point: "tank.level")])

        let comeIn = rig.set("tank.level", 60, at: 0)
        let t = try #require(comeIn.transitions.first)
        #expect(comeIn.transitions.count == 1)
        #expect((t.from, t.to, t.event) == (.normal, .unacknowledged, .activated))
        #expect(t.value == 60 && t.user == nil && t.message == "tank.level.H 高报警")
        #expect(comeIn.annunciated == [.high])
        #expect(rig.engine.sounding == [.high])

        let ack = try rig.ack("tank.level.H", at: 5)
        #expect(ack.transitions.map { [$0.from, $0.to] } == [[.unacknowledged, .acknowledged]])
        #expect(ack.transitions.first?.user == "wang" && ack.transitions.first?.reason == "seen")
        #expect(ack.contains(.silence(user: nil)), "nothing is left to acknowledge, so the siren stops")

        // 49 is inside the deadband (clears below 48): no change.
        #expect(rig.set("tank.level", 49, at: 8).isEmpty)
        let clear = rig.set("tank.level", 40, at: 10)
        #expect(clear.transitions.map { [$0.from, $0.to] } == [[.acknowledged, .normal]])
        #expect(clear.transitions.first?.event == .cleared)
        #expect(rig.engine.activeAlarms.isEmpty)
    }

    @Test func acknowledgingAReturnedUnacknowledgedAlarmReturnsItToNormal() throws {
        var rig = try Rig([high("a", point: "p")])
        rig.set("p", 60, at: 0)
        let back = rig.set("p", 40, at: 5)
        #expect(back.transitions.map(\.to) == [.returnedUnacknowledged])
        #expect(rig.engine.activeAlarms.map(\.state) == [.returnedUnacknowledged], "still on the summary")

        let ack = try rig.ack("a", at: 6)
        #expect(ack.transitions.map { [$0.from, $0.to] } == [[.returnedUnacknowledged, .normal]])
        #expect(rig.engine.activeAlarms.isEmpty)
    }

    @Test func aReturnedAlarmThatComesBackIsUnacknowledgedAndSoundsAgain() throws {
        var rig = try Rig([high("a", point: "p")])
        rig.set("p", 60, at: 0)
        rig.set("p", 40, at: 5)
        let again = rig.set("p", 61, at: 6)
        #expect(again.transitions.map { [$0.from, $0.to] } == [[.returnedUnacknowledged, .unacknowledged]])
        #expect(again.annunciated == [.high])
    }

    @Test func acknowledgingWhatNeedsNoAcknowledgementIsRejected() throws {
        var rig = try Rig([high("a", point: "p")])
        #expect(throws: AlarmError.notAllowed(alarm: "a", operation: "acknowledge", state: .normal)) {
            try rig.ack("a", at: 0)
        }
        rig.set("p", 60, at: 1)
        try rig.ack("a", at: 2)
        #expect(throws: AlarmError.notAllowed(alarm: "a", operation: "acknowledge", state: .acknowledged)) {
            try rig.ack("a", at: 3)
        }
    }

    @Test func silenceStopsTheSirenWithoutAcknowledgingAndANewAlarmSoundsAgain() throws {
        var rig = try Rig([high("a", point: "p"), high("b", point: "q", priority: .critical)])
        rig.set("p", 60, at: 0)

        let silence = try rig.engine.silence(user: "li", at: rig.clock.at(1))
        #expect(silence == [.silence(user: "li")])
        #expect(rig.engine.sounding.isEmpty)
        #expect(rig.state("a") == .unacknowledged, "silence is not acknowledgement")
        #expect(rig.engine.activeAlarms.map(\.id) == ["a"])

        let next = rig.set("q", 60, at: 2)
        #expect(next.annunciated == [.critical])
        #expect(rig.engine.sounding == [.critical])
        #expect(rig.state("a") == .unacknowledged)

        #expect(throws: AlarmError.silenceWithoutUser) { try rig.engine.silence(user: " ", at: rig.clock.at(3)) }
    }

    @Test func aShelveExpiresBackToUnacknowledged() throws {
        var rig = try Rig([high("a", point: "p")])
        rig.set("p", 60, at: 0)
        let shelve = try rig.engine.shelve(
            "a", until: rig.clock.at(3600), user: "zhang", reason: "sensor recalibration", at: rig.clock.at(10))
        #expect(shelve.transitions.map { [$0.from, $0.to] } == [[.unacknowledged, .shelved]])
        #expect(shelve.transitions.first?.reason == "sensor recalibration")
        #expect(shelve.contains(.silence(user: nil)), "the only unacknowledged alarm is now hidden")
        #expect(rig.engine.activeAlarms.isEmpty)
        #expect(rig.engine.status(of: "a")?.shelvedUntil == rig.clock.at(3600))

        // While shelved, the condition still moves, silently.
        #expect(rig.set("p", 40, at: 100).isEmpty)
        #expect(rig.set("p", 70, at: 200).isEmpty)
        #expect(rig.engine.status(of: "a")?.conditionActive == true)

        #expect(rig.tick(3599).isEmpty)
        let expiry = rig.tick(3601)
        let t = try #require(expiry.transitions.first)
        #expect((t.from, t.to, t.event) == (.shelved, .unacknowledged, .shelveExpired))
        #expect(rig.clock.seconds(t.at) == 3600)
        #expect(expiry.annunciated == [.high])
    }

    @Test func aShelveThatExpiresOnAClearedConditionReturnsToNormalQuietly() throws {
        var rig = try Rig([high("a", point: "p")])
        rig.set("p", 60, at: 0)
        _ = try rig.engine.shelve(
            "a", until: rig.clock.at(60), user: "zhang", reason: "chattering", at: rig.clock.at(1))
        rig.set("p", 40, at: 30)
        let expiry = rig.tick(60)
        #expect(expiry.transitions.map { [$0.from, $0.to] } == [[.shelved, .normal]])
        #expect(expiry.annunciated.isEmpty)
    }

    @Test func unshelveByHandAndShelveLimits() throws {
        var rig = try Rig([high("a", point: "p")])
        rig.set("p", 60, at: 0)
        #expect(throws: AlarmError.shelveExpiryNotInFuture(alarm: "a")) {
            _ = try rig.engine.shelve("a", until: rig.clock.at(5), user: "z", reason: "r", at: rig.clock.at(5))
        }
        #expect(throws: AlarmError.shelveTooLong(alarm: "a", maximum: .seconds(8 * 3600))) {
            _ = try rig.engine.shelve("a", until: rig.clock.at(9 * 3600), user: "z", reason: "r", at: rig.clock.at(5))
        }
        #expect(throws: AlarmError.notAllowed(alarm: "a", operation: "unshelve", state: .unacknowledged)) {
            try rig.engine.unshelve("a", user: "z", at: rig.clock.at(5))
        }
        _ = try rig.engine.shelve("a", until: rig.clock.at(600), user: "z", reason: "r", at: rig.clock.at(5))
        let un = try rig.engine.unshelve("a", user: "z", at: rig.clock.at(10))
        #expect(un.transitions.map { [$0.from, $0.to] } == [[.shelved, .unacknowledged]])
        #expect(un.transitions.first?.event == .unshelved)
    }

    @Test func outOfServiceHidesTheAlarmAndItReturnsToTheStateItsConditionImplies() throws {
        var rig = try Rig([high("a", point: "p")])
        rig.set("p", 60, at: 0)
        let remove = try rig.engine.removeFromService(
            "a", user: "zhao", reason: "transmitter replaced", at: rig.clock.at(5))
        #expect(remove.transitions.map { [$0.from, $0.to] } == [[.unacknowledged, .outOfService]])
        #expect(rig.engine.activeAlarms.isEmpty)
        let listed = try #require(rig.engine.status(of: "a"))
        #expect(listed.state == .outOfService && listed.user == "zhao" && listed.reason == "transmitter replaced")

        // The instrument is worked on: the value goes everywhere, nothing is announced.
        #expect(rig.set("p", 0, at: 10).isEmpty)
        #expect(rig.set("p", 99, at: 20).isEmpty)
        #expect(rig.tick(30).isEmpty)

        #expect(throws: AlarmError.notAllowed(alarm: "a", operation: "shelve", state: .outOfService)) {
            _ = try rig.engine.shelve("a", until: rig.clock.at(99), user: "z", reason: "r", at: rig.clock.at(31))
        }
        #expect(throws: AlarmError.notAllowed(alarm: "a", operation: "remove from service", state: .outOfService)) {
            _ = try rig.engine.removeFromService("a", user: "z", reason: "r", at: rig.clock.at(31))
        }

        let back = try rig.engine.returnToService("a", user: "zhao", at: rig.clock.at(40))
        #expect(back.transitions.map { [$0.from, $0.to] } == [[.outOfService, .unacknowledged]])
        #expect(back.transitions.first?.event == .returnedToService)
        #expect(back.annunciated == [.high])
        #expect(throws: AlarmError.notAllowed(alarm: "a", operation: "return to service", state: .unacknowledged)) {
            try rig.engine.returnToService("a", user: "zhao", at: rig.clock.at(41))
        }
    }

    @Test func suppressionByDesignHidesLowFlowWhileThePumpIsStoppedAndLiftsAfterItsHoldTime() throws {
        let lowFlow = AlarmDefinition(
            id: "pump-1.flow.L", point: "pump-1.flow", condition: Condition(.low(5), deadband: 1), priority: .medium,
            message: "1号转输泵流量低", suppressedBy: .point("pump-1.running", equals: false, holdAfter: .seconds(10)))
        var rig = try Rig([lowFlow])
        let running = [PointSample(point: "pump-1.running", value: 1, usable: true)]
        let stopped = [PointSample(point: "pump-1.running", value: 0, usable: true)]
        func flow(_ v: Double) -> [PointSample] { [PointSample(point: "pump-1.flow", value: v, usable: true)] }

        #expect(rig.engine.scan(running + flow(20), at: rig.clock.at(0)).isEmpty)

        // The pump stops and the flow drops in the same scan: hidden first, so nothing sounds.
        let stop = rig.engine.scan(stopped + flow(0), at: rig.clock.at(10))
        #expect(stop.transitions.map { [$0.from, $0.to] } == [[.normal, .suppressedByDesign]])
        #expect(stop.transitions.first?.event == .suppressed)
        #expect(stop.annunciated.isEmpty)
        #expect(rig.engine.status(of: "pump-1.flow.L")?.conditionActive == true)
        #expect(rig.engine.activeAlarms.isEmpty)

        // The pump starts but the flow stays at zero: still hidden for the 10 s hold, then it comes in.
        #expect(rig.engine.scan(running + flow(0), at: rig.clock.at(100)).isEmpty)
        #expect(rig.tick(109).isEmpty)
        let lift = rig.tick(110)
        #expect(lift.transitions.map { [$0.from, $0.to] } == [[.suppressedByDesign, .unacknowledged]])
        #expect(lift.transitions.first?.event == .unsuppressed)
        #expect(lift.annunciated == [.medium])
    }

    @Test func aPumpThatStartsAndBuildsFlowWithinTheHoldNeverSounds() throws {
        let lowFlow = AlarmDefinition(
            id: "f.L", point: "f", condition: Condition(.low(5), deadband: 1), priority: .medium, message: "流量低",
            suppressedBy: .point("run", equals: false, holdAfter: .seconds(10)))
        var rig = try Rig([lowFlow])
        rig.set("run", 0, at: 0)
        rig.set("f", 0, at: 0)
        rig.set("run", 1, at: 50)
        rig.set("f", 12, at: 55)
        let lift = rig.tick(60)
        #expect(lift.transitions.map { [$0.from, $0.to] } == [[.suppressedByDesign, .normal]])
        #expect(lift.annunciated.isEmpty)
    }

    @Test func aHighHighAlarmSuppressesItsHighAlarm() throws {
        let h = high("tank.level.H", point: "tank.level", limit: 50, suppressedBy: .alarm("tank.level.HH"))
        let hh = high("tank.level.HH", point: "tank.level", limit: 80, priority: .critical)
        var rig = try Rig([h, hh])

        let both = rig.set("tank.level", 90, at: 0)
        #expect(
            Set(both.transitions.map { "\($0.alarm) \($0.to)" })
                == ["tank.level.H suppressed-by-design", "tank.level.HH unacknowledged"])
        #expect(both.annunciated == [.critical])

        // Back under HH (clears below 78): HH returns, and H, still active, comes in on its own.
        let down = rig.set("tank.level", 70, at: 10)
        #expect(
            down.transitions.map { "\($0.alarm) \($0.to)" }
                == ["tank.level.HH returned-unacknowledged", "tank.level.H unacknowledged"])
        #expect(down.annunciated == [.high])
    }

    @Test func aSuppressionWhoseSourceIsUnknownKeepsItsState() throws {
        let lowFlow = AlarmDefinition(
            id: "f.L", point: "f", condition: Condition(.low(5)), priority: .medium, message: "流量低",
            suppressedBy: .point("run", equals: false))
        var rig = try Rig([lowFlow])
        rig.set("run", 0, at: 0)
        rig.set("f", 0, at: 1)
        // The pump's state becomes unreadable: the alarm stays suppressed (its comm-fail alarm tells why).
        #expect(rig.set("run", nil, usable: false, at: 2).isEmpty)
        #expect(rig.tick(100).isEmpty)
        #expect(rig.state("f.L") == .suppressedByDesign)
    }

    @Test func badQualityNeitherActivatesNorClearsAnAlarm() throws {
        var rig = try Rig([high("a", point: "p"), high("b", point: "q")])
        rig.set("p", 60, at: 0)
        #expect(rig.set("p", 0, usable: false, at: 1).isEmpty)
        #expect(rig.set("q", 99, usable: false, at: 1).isEmpty)
        #expect(rig.tick(600).isEmpty)
        #expect(rig.state("a") == .unacknowledged)
        #expect(rig.state("b") == .normal)
        #expect(rig.engine.status(of: "a")?.value == 60, "the last usable value is kept for context")
    }

    @Test func theSummaryIsSortedByPriorityThenNewestFirst() throws {
        var rig = try Rig([
            high("low", point: "a", priority: .low), high("crit-1", point: "b", priority: .critical),
            high("high", point: "c", priority: .high), high("crit-2", point: "d", priority: .critical),
        ])
        rig.set("a", 60, at: 0)
        rig.set("b", 60, at: 10)
        rig.set("c", 60, at: 20)
        rig.set("d", 60, at: 30)
        let list = rig.engine.activeAlarms
        #expect(list.map(\.id) == ["crit-2", "crit-1", "high", "low"])
        #expect(list.first?.message == "crit-2 高报警" && list.first?.value == 60)
        #expect(list.allSatisfy { $0.state == .unacknowledged })
    }

    enum Operation: String, CaseIterable, Sendable {
        case acknowledge, shelve, removeFromService
    }

    struct Who: Sendable, CustomStringConvertible {
        var user: String
        var reason: String
        var description: String { "user \"\(user)\" reason \"\(reason)\"" }
    }

    @Test(
        arguments: Operation.allCases,
        [
            Who(user: "", reason: "r"), Who(user: "wang", reason: ""), Who(user: "  ", reason: "r"),
            Who(user: "wang", reason: " \n"),
        ])
    func operatorRequestsNeedAUserAndAReasonAndTheErrorNamesTheAlarm(_ op: Operation, _ who: Who) throws {
        var rig = try Rig([high("gas-a1.concentration.HH", point: "p")])
        rig.set("p", 60, at: 0)
        let id = "gas-a1.concentration.HH"
        let now = rig.clock.at(1)
        let error = try #require(throws: AlarmError.self) {
            switch op {
            case .acknowledge: _ = try rig.engine.acknowledge(id, user: who.user, reason: who.reason, at: now)
            case .shelve:
                _ = try rig.engine.shelve(id, until: rig.clock.at(60), user: who.user, reason: who.reason, at: now)
            case .removeFromService:
                _ = try rig.engine.removeFromService(id, user: who.user, reason: who.reason, at: now)
            }
        }
        #expect(error.description.contains("alarm \"gas-a1.concentration.HH\""))
        let missing = who.user.trimmingCharacters(in: .whitespaces).isEmpty ? "needs a user" : "needs a reason"
        #expect(error.description.contains(missing), "\(error)")
        #expect(rig.state(id) == .unacknowledged, "a rejected request changes nothing")
    }

    @Test func anUnknownAlarmIsNamed() throws {
        var rig = try Rig([high("a", point: "p")])
        let error = try #require(throws: AlarmError.self) { try rig.ack("nope", at: 0) }
        #expect(error.description == "alarm \"nope\": no such alarm")
        // The catalogue's words say the same in English, and name the alarm in Chinese.
        #expect(error.text.render(.en) == error.description)
        #expect(error.text.render(.zhCN) == "没有报警“nope”")
        let refused = AlarmError.notAllowed(alarm: "a", operation: "acknowledge", state: .shelved)
        #expect(refused.text.render(.zhCN) == "报警“a”处于“已搁置”状态，不能确认")
        #expect(refused.text.render(.en) == "alarm \"a\": cannot acknowledge while shelved")
    }

    @Test func definitionMistakesAreReportedWithTheAlarm() {
        func problem(_ defs: [AlarmDefinition]) -> String? {
            do {
                _ = try AlarmEngine(definitions: defs)
                return nil
            } catch {
                return "\(error)"
            }
        }
        #expect(problem([high("a", point: "p"), high("a", point: "q")]) == "alarm \"a\": id is used twice")
        #expect(
            problem([high("a", point: "p", suppressedBy: .alarm("ghost"))])
                == "alarm \"a\": suppressedBy names unknown alarm \"ghost\"")
        #expect(problem([high("a", point: "p", suppressedBy: .alarm("a"))])?.contains("itself") == true)
        #expect(problem([high("gas-a1.comm-fail", point: "p")])?.contains("device-health") == true)
        #expect(
            problem([
                high("a", point: "p", frozenAfter: FrozenCheck(after: .seconds(60))),
                high("b", point: "p", frozenAfter: FrozenCheck(after: .seconds(90))),
            ])?.hasPrefix("alarm \"b\": frozenAfter differs") == true)
        var bad = high("a", point: "p")
        bad.condition.deadband = -1
        #expect(problem([bad])?.hasPrefix("alarm \"a\": condition: deadband") == true)
        bad = high("a", point: "p")
        bad.message = ""
        #expect(problem([bad]) == "alarm \"a\": message is empty")
    }
}
