import Alarm
import Config
import Foundation
import Messages
import Testing

@testable import Defence

struct ShutoffSequencerTests {
    let config = Fixture.config()
    var plan: ResponsePlan { DefaultPlans.plantWide(config: config) }
    let at = Fixture.at

    @Test func tripCommandsEveryLineAtOnce() {
        var seq = ShutoffSequencer(config: config)
        let actions = seq.trip(Fixture.button, plan: plan, at: at(0))
        #expect(seq.isLatched)
        #expect(actions.first == .event(.tripped(Fixture.button, plan: "plant-wide")))
        #expect(
            actions.commands.map { "\($0.command) \($0.device)" } == [
                "close bund-a-rain", "open bund-a-accident", "close bund-b-rain", "open pool-inlet",
                "close pool-bypass", "start transfer-1", "close outlet-1", "close sewage-1",
            ])
        #expect(actions.commands.allSatisfy { $0.attempt == 1 && $0.trigger == Fixture.button && !$0.drill })
        #expect(seq.steps.allSatisfy { $0.phase == .commanded && $0.commandedAt == at(0) })
    }

    @Test func onlyFeedbackConfirms() {
        var seq = ShutoffSequencer(config: config)
        _ = seq.trip(Fixture.button, plan: plan, at: at(0))
        seq.commandResult(step: "close-outlet-1", acknowledged: true, error: nil, at: at(0.1))
        #expect(seq.state(ofStep: "close-outlet-1")?.phase == .commanded)
        _ = seq.feedback(device: "outlet-1", observed: .valve(position: .travelling, mode: .remote), at: at(5))
        #expect(seq.state(ofStep: "close-outlet-1")?.phase == .commanded)
        let actions = seq.feedback(device: "outlet-1", observed: Fixture.closed(), at: at(27.5))
        #expect(actions == [.event(.stepConfirmed(step: "close-outlet-1", device: "outlet-1", seconds: 27.5))])
        let state = seq.state(ofStep: "close-outlet-1")
        #expect(state?.phase == .confirmed)
        #expect(state?.confirmedAt == at(27.5))
        #expect(state?.measuredSeconds == 27.5)
        // A pump is confirmed by its running feedback, not by the start command.
        _ = seq.feedback(device: "transfer-1", observed: .pump(running: false), at: at(3))
        #expect(seq.state(ofStep: "start-transfer-1")?.phase == .commanded)
        _ = seq.feedback(device: "transfer-1", observed: .pump(running: true), at: at(4))
        #expect(seq.state(ofStep: "start-transfer-1")?.phase == .confirmed)
    }

    @Test func afterWaitsForConfirmationNotCommand() {
        let plan = ResponsePlan(
            name: "ordered",
            steps: [
                PlanStep(device: "pool-inlet", operation: .openValve, line: .networkAndPool),
                PlanStep(
                    device: "transfer-1", operation: .startPump, after: ["open-pool-inlet"], line: .networkAndPool),
            ])
        var seq = ShutoffSequencer(config: config)
        let first = seq.trip(Fixture.button, plan: plan, at: at(0))
        #expect(first.commands.map(\.step) == ["open-pool-inlet"])
        #expect(seq.state(ofStep: "start-transfer-1")?.phase == .waiting)
        seq.commandResult(step: "open-pool-inlet", acknowledged: true, error: nil, at: at(0.2))
        #expect(seq.tick(at: at(1)).commands.isEmpty)
        let next = seq.feedback(device: "pool-inlet", observed: Fixture.open(), at: at(12))
        #expect(next.commands.map { "\($0.command) \($0.device)" } == ["start transfer-1"])
        #expect(seq.state(ofStep: "start-transfer-1")?.commandedAt == at(12))
    }

    @Test func retryThenFailWithMeasuredTime() {
        // outlet-1: stroke 30 s × 1.5 = 45 s allowed; one retry by default.
        var seq = ShutoffSequencer(config: config)
        _ = seq.trip(Fixture.button, plan: plan, at: at(0))
        #expect(seq.tick(at: at(44.9)).commands.filter { $0.device == "outlet-1" }.isEmpty)
        let retry = seq.tick(at: at(45)).commands.filter { $0.device == "outlet-1" }
        #expect(retry.map(\.attempt) == [2])
        #expect(seq.state(ofStep: "close-outlet-1")?.attempts == 2)
        let failed = seq.tick(at: at(90))
        let state = seq.state(ofStep: "close-outlet-1")
        #expect(state?.phase == .failed)
        #expect(state?.measuredSeconds == 90)
        #expect(state?.failedReason == "close outlet-1 not confirmed after 90.0 s (2 attempts, 45.0 s allowed each)")
        let alarm = failed.alarms.first { if case .stepFailed("close-outlet-1", _, _, _) = $0 { true } else { false } }
        guard case .stepFailed("close-outlet-1", "outlet-1", let reason, let why?) = alarm else {
            Issue.record("no step-failed alarm with its reason: \(failed.alarms)")
            return
        }
        #expect(reason == state?.failedReason)
        // The reason in the operator's language, from the catalogue.
        #expect(why.render(.zhCN) == "close outlet-1 在 90.0 s 后仍未确认（共 2 次，每次允许 45.0 s）")
        #expect(alarm?.message.render(.zhCN).hasPrefix("关断步骤 close-outlet-1 失败：") == true)
        // A boundary valve that will not close escalates to the park.
        #expect(failed.escalations.map(\.reason).contains("boundary valve outlet-1 failed to close"))
        #expect(seq.isEscalated)
    }

    @Test func stepOwnDeadlineAndConfiguredRetries() {
        let plan = ResponsePlan(
            name: "p",
            steps: [PlanStep(device: "transfer-1", operation: .startPump, deadline: .seconds(5), line: .networkAndPool)]
        )
        var seq = ShutoffSequencer(config: config, options: .init(retries: 0))
        _ = seq.trip(Fixture.button, plan: plan, at: at(0))
        _ = seq.tick(at: at(5))
        #expect(seq.state(ofStep: "start-transfer-1")?.phase == .failed)
        #expect(seq.state(ofStep: "start-transfer-1")?.attempts == 1)
    }

    @Test func localValveNeedsManualActionAndEscalates() {
        var seq = ShutoffSequencer(config: config)
        _ = seq.feedback(device: "outlet-1", observed: Fixture.open(.local), at: at(0))
        _ = seq.feedback(device: "bund-a-rain", observed: Fixture.open(.local), at: at(0))
        let actions = seq.trip(Fixture.button, plan: plan, at: at(1))
        #expect(!actions.commands.contains { $0.device == "outlet-1" || $0.device == "bund-a-rain" })
        #expect(actions.alarms.contains(.manualActionNeeded(valve: "outlet-1", location: "east gate, outlet well 1")))
        #expect(actions.alarms.contains(.manualActionNeeded(valve: "bund-a-rain", location: nil)))
        #expect(DefenceAlarm.manualActionNeeded(valve: "outlet-1", location: nil).priority == .critical)
        #expect(actions.escalations.map(\.reason) == ["boundary valve outlet-1 is in local mode"])
        #expect(seq.state(ofStep: "close-outlet-1")?.phase == .manualActionNeeded)
        // Never commanded while local, not even by the deadline.
        #expect(!seq.tick(at: at(500)).commands.contains { $0.device == "outlet-1" })
        // Closed by hand: confirmed by feedback.
        _ = seq.feedback(device: "outlet-1", observed: Fixture.closed(.local), at: at(600))
        #expect(seq.state(ofStep: "close-outlet-1")?.phase == .confirmed)
        // Back to remote: the sequencer takes the step over again.
        let back = seq.feedback(device: "bund-a-rain", observed: Fixture.open(.remote), at: at(700))
        #expect(back.commands.map(\.step) == ["close-bund-a-rain"])
    }

    @Test func valveSwitchedToLocalMidStroke() {
        var seq = ShutoffSequencer(config: config)
        _ = seq.trip(Fixture.button, plan: plan, at: at(0))
        let actions = seq.feedback(device: "sewage-1", observed: .valve(position: .travelling, mode: .local), at: at(3))
        #expect(actions.alarms == [.manualActionNeeded(valve: "sewage-1", location: nil)])
        #expect(actions.escalations.count == 1)
    }

    @Test func resetRefusedWhileConditionActiveAndNeverReopens() {
        var seq = ShutoffSequencer(config: config)
        _ = seq.trip(Fixture.button, plan: plan, at: at(0))
        #expect(
            seq.reset(
                by: "op", reason: "clear", activeConditions: ["button"], override: false, isAdmin: false, at: at(9))
                == .failure(.conditionsActive(["button"])))
        #expect(
            seq.reset(
                by: "op", reason: "clear", activeConditions: ["button"], override: true, isAdmin: false, at: at(9))
                == .failure(.conditionsActive(["button"])))
        #expect(
            seq.reset(by: "op", reason: "  ", activeConditions: [], override: false, isAdmin: false, at: at(9))
                == .failure(.reasonRequired))
        #expect(seq.isLatched)
        // Reopening is refused while latched.
        #expect(seq.restore(by: "op", reason: "x", holds: [:], at: at(9)) == .failure(.latched))
        let reset = seq.reset(
            by: "admin", reason: "spill contained", activeConditions: ["button"], override: true, isAdmin: true,
            at: at(10))
        #expect(reset == .success([.event(.reset(by: "admin", reason: "spill contained", overridden: ["button"]))]))
        #expect(!seq.isLatched)
        #expect(
            seq.reset(by: "a", reason: "b", activeConditions: [], override: false, isAdmin: true, at: at(11))
                == .failure(.notLatched))
        // A separate restore moves things, and only now; with no feedback before the trip it moves nothing and
        // leaves every device for a decision (RestoreTests has the line-up cases).
        let restore = try? seq.restore(by: "op", reason: "all clear", holds: [:], at: at(20)).get()
        #expect(restore?.commands.isEmpty == true)
        #expect(seq.lastRestore?.items.allSatisfy { $0.disposition == .needsDecision } == true)
    }

    @Test func tripDuringRestoreWins() throws {
        var seq = RestoreTests.restoring(config: config, plan: plan)
        let trip = seq.trip(Fixture.button, plan: plan, at: at(1))
        #expect(trip.commands.first { $0.device == "outlet-1" }?.command == "close")
        #expect(seq.steps.count == plan.steps.count)
    }

    @Test func snapshotRestoreComesBackLatchedAndReasserts() throws {
        var seq = ShutoffSequencer(config: config)
        _ = seq.trip(Fixture.button, plan: plan, at: at(0))
        _ = seq.feedback(device: "pool-bypass", observed: Fixture.closed(), at: at(10))
        let data = try JSONEncoder().encode(seq.snapshot)
        let snapshot = try JSONDecoder().decode(ShutoffSnapshot.self, from: data)

        var again = ShutoffSequencer(config: config)
        let actions = again.restore(snapshot, at: Fixture.at(1000))
        #expect(again.isLatched)
        #expect(again.trips == [Fixture.button])
        #expect(again.state(ofStep: "close-pool-bypass")?.phase == .confirmed)
        let commanded = actions.commands.map { "\($0.command) \($0.device)" }
        #expect(commanded.count == plan.steps.count - 1)
        #expect(!commanded.contains("close pool-bypass"))
        // Only the plan's targets: nothing the plan closes is opened.
        let closes = Set(plan.steps.filter { $0.operation == .closeValve }.map(\.device))
        #expect(!actions.commands.contains { $0.command == "open" && closes.contains($0.device) })
        #expect(commanded.contains("open pool-inlet"))
    }

    /// Issue 14: after a restart the header named only the first plan of a latch that had grown: a risk unit's
    /// interlock plan, though the plant-wide plan had joined it. The name says every plan, and survives a restart.
    @Test func aMergedLatchIsNamedByEveryPlanAcrossARestart() throws {
        var seq = ShutoffSequencer(config: config)
        let unit = DefaultPlans.group("tank-farm-A", config: config)
        _ = seq.trip(Fixture.button, plan: unit, at: at(0))
        #expect(seq.plan?.name == "group:tank-farm-A")
        _ = seq.trip(Fixture.button, plan: plan, at: at(1))
        _ = seq.trip(Fixture.button, plan: unit, at: at(2))
        #expect(seq.plan?.name == "group:tank-farm-A + plant-wide")
        #expect(seq.plan?.planNames == ["group:tank-farm-A", "plant-wide"])
        let data = try JSONEncoder().encode(seq.snapshot)
        var again = ShutoffSequencer(config: config)
        _ = again.restore(try JSONDecoder().decode(ShutoffSnapshot.self, from: data), at: at(100))
        #expect(again.isLatched)
        #expect(again.plan?.name == "group:tank-farm-A + plant-wide")
        // A new latch after a reset is named by its own plan alone.
        _ = again.reset(by: "op", reason: "clear", activeConditions: [], override: false, isAdmin: false, at: at(101))
        _ = again.trip(Fixture.button, plan: unit, at: at(102))
        #expect(again.plan?.name == "group:tank-farm-A")
    }

    /// Issue 14: a step commanded before a restart was timed from the restart's re-command, and understated.
    /// Its first command's time is gone, so it is confirmed without a time; a step first commanded after the
    /// restart is timed as ever.
    @Test func aStepCommandedBeforeARestartHasNoMeasuredTime() throws {
        var seq = ShutoffSequencer(config: config)
        _ = seq.trip(Fixture.button, plan: plan, at: at(0))
        let data = try JSONEncoder().encode(seq.snapshot)
        var again = ShutoffSequencer(config: config)
        _ = again.restore(try JSONDecoder().decode(ShutoffSnapshot.self, from: data), at: at(100))
        let actions = again.feedback(device: "outlet-1", observed: Fixture.closed(), at: at(101))
        #expect(actions.contains(.event(.stepConfirmed(step: "close-outlet-1", device: "outlet-1", seconds: nil))))
        #expect(again.state(ofStep: "close-outlet-1")?.measuredSeconds == nil)
        // A reset and a new trip time their steps again.
        _ = again.reset(by: "op", reason: "clear", activeConditions: [], override: false, isAdmin: false, at: at(102))
        _ = again.trip(Fixture.button, plan: plan, at: at(103))
        _ = again.feedback(device: "outlet-1", observed: Fixture.open(), at: at(103))
        _ = again.feedback(device: "outlet-1", observed: Fixture.closed(), at: at(110))
        #expect(again.state(ofStep: "close-outlet-1")?.measuredSeconds == 7)
    }

    @Test func unlatchedSnapshotReopensNothingNew() throws {
        let seq = RestoreTests.restoring(config: config, plan: plan)
        var again = ShutoffSequencer(config: config)
        #expect(again.restore(seq.snapshot, at: at(500)).commands.isEmpty)
        #expect(!again.isLatched)
    }

    @Test func drillPropagatesToCommandsAndEscalation() {
        var seq = ShutoffSequencer(config: config)
        var drill = Fixture.button
        drill.drill = true
        let actions = seq.trip(drill, plan: plan, at: at(0))
        #expect(seq.isDrill)
        #expect(actions.commands.allSatisfy { $0.drill })
        let up = seq.escalate(by: "op", reason: "exercise park link", at: at(1))
        #expect(up == [.escalate(Escalation(reason: "exercise park link", by: "op", drill: true))])
        // A real trip joining a drill makes it real.
        _ = seq.trip(Fixture.button, plan: plan, at: at(2))
        #expect(!seq.isDrill)
    }

    @Test func poolCriticalEscalatesOnce() {
        var seq = ShutoffSequencer(config: config)
        #expect(seq.poolCritical(pool: "pool", highHigh: false, timeUntilFull: .seconds(3600), at: at(0)).isEmpty)
        let soon = seq.poolCritical(pool: "pool", highHigh: false, timeUntilFull: .seconds(20 * 60), at: at(1))
        #expect(soon.escalations.map(\.reason) == ["accident pool pool full in 20 min"])
        #expect(seq.poolCritical(pool: "pool", highHigh: true, timeUntilFull: nil, at: at(2)).isEmpty)
        #expect(seq.isEscalated)
    }

    @Test func latchedTripAddsOnlyNewSteps() {
        var seq = ShutoffSequencer(config: config)
        let group = DefaultPlans.group("tank-farm-A", config: config)
        #expect(seq.trip(Fixture.button, plan: group, at: at(0)).commands.count == 2)
        let more = seq.trip(Fixture.button, plan: plan, at: at(1))
        #expect(more.commands.count == plan.steps.count - 2)
        #expect(seq.trips.count == 2)
    }
}
