import Alarm
import Config
import Testing

@testable import Defence

/// The plans and automatic triggers a configuration gives.
struct PlanBookTests {
    @Test func byLineOrderMakesEachLineWaitForTheLineBefore() throws {
        var config = Fixture.config()
        config.defence.plantWideOrder = .byLine
        let plan = PlanBook(config: config).plantWide
        let line1 = ["close-bund-a-rain", "open-bund-a-accident", "close-bund-b-rain"]
        let line2 = ["open-pool-inlet", "close-pool-bypass", "start-transfer-1"]
        #expect(line1.allSatisfy { plan.step($0)?.after == [] })
        #expect(line2.allSatisfy { plan.step($0)?.after == line1 })
        #expect(plan.step("close-outlet-1")?.after == line2)

        // In the sequencer: line 1 is commanded first, line 2 only once all of line 1 is confirmed.
        var seq = ShutoffSequencer(config: config)
        let first = seq.trip(Fixture.button, plan: plan, at: Fixture.at(0)).commands.map(\.step)
        #expect(first == line1)
        _ = seq.feedback(device: "bund-a-rain", observed: Fixture.closed(), at: Fixture.at(5))
        _ = seq.feedback(device: "bund-a-accident", observed: Fixture.open(), at: Fixture.at(5))
        let next = seq.feedback(device: "bund-b-rain", observed: Fixture.closed(), at: Fixture.at(6)).commands
        #expect(next.map(\.step) == line2)
    }

    @Test func configuredPlansJoinDerivedAndExplicitSteps() throws {
        var config = Fixture.config()
        config.plans = [
            PlanDefinition(
                id: "tank-farm-a-fire", groups: ["tank-farm-A"],
                steps: [
                    StepDefinition(
                        device: "transfer-1", action: "start-pump", after: ["open-bund-a-accident"],
                        deadlineSeconds: 12)
                ])
        ]
        config.interlocks = [
            InterlockDefinition(
                id: "gas-a", point: "gas-a1.concentration", condition: Condition(.high(50)), plan: "tank-farm-a-fire"),
            InterlockDefinition(id: "ghost", point: "x.y", condition: Condition(.high(1)), plan: "no-such-plan"),
        ]
        let book = PlanBook(config: config)
        #expect(book.names.first == "plant-wide")
        #expect(book.names.contains("group:tank-farm-A") && book.names.contains("group:tank-farm-B"))
        let plan = try #require(book.plan("tank-farm-a-fire"))
        #expect(plan.steps.map(\.id) == ["close-bund-a-rain", "open-bund-a-accident", "start-transfer-1"])
        #expect(plan.step("start-transfer-1")?.deadline == .seconds(12))
        #expect(plan.step("start-transfer-1")?.line == .networkAndPool)
        #expect(book.automaticTriggers.map(\.id) == ["gas-a"])
        #expect(book.automaticTriggers.first?.plan == plan)
        #expect(book.unresolved == ["interlock \"ghost\": no plan \"no-such-plan\""])
        #expect(
            PlanReadiness.problems(config, file: "/etc/levee/levee.toml").last
                == "levee.toml: plans: interlock \"ghost\": no plan \"no-such-plan\"")
    }

    @Test func resetEndsAnEscalationEvenWithoutALatch() throws {
        var seq = ShutoffSequencer(config: Fixture.config())
        _ = seq.escalate(by: "operator", reason: "pool nearly full", at: Fixture.at(0))
        #expect(seq.isEscalated && !seq.isLatched)
        let result = seq.reset(
            by: "operator", reason: "park acknowledged, pool emptied", activeConditions: [], override: false,
            isAdmin: false, at: Fixture.at(10))
        #expect((try? result.get()) != nil)
        #expect(!seq.isEscalated)
    }

    @Test func optionsFollowTheDefenceSettings() {
        let options = ShutoffSequencer.Options(
            settings: DefenceSettings(
                retries: 3, defaultDeadlineSeconds: 12, maximumBypassHours: 2, escalatePoolFullWithinMinutes: 45))
        #expect(options.retries == 3)
        #expect(options.defaultDeadline == .seconds(12))
        #expect(options.maximumBypass == .seconds(7200))
        #expect(options.escalateWhenPoolFullWithin == .seconds(2700))
    }
}
