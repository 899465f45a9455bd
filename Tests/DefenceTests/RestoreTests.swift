import Config
import Foundation
import Testing

@testable import Defence

/// Restore returns the plant to the line-up measured when the plan latched: not the plan inverted, nothing sent to
/// a device already there, outlets held closed while a live condition forbids water going out.
struct RestoreTests {
    let config = Fixture.config()
    var plan: ResponsePlan { DefaultPlans.plantWide(config: config) }
    let at = Fixture.at

    /// The normal line-up: pool inlet open, bypass closed, transfer pump stopped, bund drains to rain open, to the
    /// accident pipe closed, both outlets open.
    static let normal: [String: ObservedState] = [
        "bund-a-rain": Fixture.open(), "bund-a-accident": Fixture.closed(), "bund-b-rain": Fixture.open(),
        "pool-inlet": Fixture.open(), "pool-bypass": Fixture.closed(), "transfer-1": .pump(running: false),
        "outlet-1": Fixture.open(), "sewage-1": Fixture.open(),
    ]

    /// What the plant-wide plan leaves: everything at its trip target.
    static let tripped: [String: ObservedState] = [
        "bund-a-rain": Fixture.closed(), "bund-a-accident": Fixture.open(), "bund-b-rain": Fixture.closed(),
        "pool-inlet": Fixture.open(), "pool-bypass": Fixture.closed(), "transfer-1": .pump(running: true),
        "outlet-1": Fixture.closed(), "sewage-1": Fixture.closed(),
    ]

    /// A sequencer fed `before`, tripped, settled at every step, and reset: ready to restore.
    static func settled(
        config: LeveeConfig, plan: ResponsePlan, before: [String: ObservedState] = normal
    ) -> ShutoffSequencer {
        var seq = ShutoffSequencer(config: config)
        for (device, state) in before.sorted(by: { $0.key < $1.key }) {
            _ = seq.feedback(device: device, observed: state, at: Fixture.at(0.01))
        }
        _ = seq.trip(Fixture.button, plan: plan, at: Fixture.at(0.1))
        for (device, state) in tripped.sorted(by: { $0.key < $1.key }) {
            _ = seq.feedback(device: device, observed: state, at: Fixture.at(0.2))
        }
        _ = seq.reset(
            by: "op", reason: "contained", activeConditions: [], override: false, isAdmin: false,
            at: Fixture.at(0.3))
        return seq
    }

    /// A sequencer whose restore has started and has had no feedback since.
    static func restoring(config: LeveeConfig, plan: ResponsePlan) -> ShutoffSequencer {
        var seq = settled(config: config, plan: plan)
        _ = seq.restore(by: "op", reason: "all clear", holds: [:], at: Fixture.at(0.4))
        return seq
    }

    func moves(_ actions: [ShutoffAction]) -> [String] { actions.commands.map { "\($0.command) \($0.device)" } }

    @Test func restoreReturnsToTheLineUpAndSendsNothingToADeviceAlreadyThere() throws {
        var seq = Self.settled(config: config, plan: plan)
        #expect(seq.lineUp["pool-inlet"]?.state == .open)
        #expect(seq.lineUp["transfer-1"]?.state == .stopped)
        let actions = try seq.restore(by: "op", reason: "all clear", holds: [:], at: at(10)).get()
        // The pool stays connected: its inlet and bypass were already where they stood before the trip.
        #expect(
            moves(actions).sorted() == [
                "close bund-a-accident", "open bund-a-rain", "open bund-b-rain", "open outlet-1", "open sewage-1",
                "stop transfer-1",
            ])
        #expect(seq.lastRestore?.items.first { $0.device == "pool-inlet" }?.disposition == .alreadyThere)
        #expect(seq.lastRestore?.items.first { $0.device == "pool-bypass" }?.disposition == .alreadyThere)
        // Step names say what the step does.
        #expect(seq.steps.map(\.step.id).contains("restore-open-outlet-1"))
        #expect(seq.steps.map(\.step.id).contains("restore-stop-transfer-1"))
        #expect(seq.plan?.name == "restore:plant-wide")
        // Feedback confirms each move, as on a trip.
        _ = seq.feedback(device: "outlet-1", observed: Fixture.open(), at: at(30))
        #expect(seq.state(ofStep: "restore-open-outlet-1")?.phase == .confirmed)
        // A second restore has nothing to do.
        #expect(seq.restore(by: "op", reason: "again", holds: [:], at: at(40)) == .failure(.nothingToRestore))
    }

    @Test func anOutletFirstFlushHadClosedStaysClosed() throws {
        var before = Self.normal
        before["outlet-1"] = Fixture.closed()
        var seq = Self.settled(config: config, plan: plan, before: before)
        let actions = try seq.restore(by: "op", reason: "all clear", holds: [:], at: at(10)).get()
        #expect(!moves(actions).contains("open outlet-1"))
        #expect(seq.lastRestore?.items.first { $0.device == "outlet-1" }?.disposition == .alreadyThere)
    }

    @Test func anOutletIsHeldClosedWhileItRainsOrItsQualityAlarmIsActive() throws {
        var seq = Self.settled(config: config, plan: plan)
        let holds = ["outlet-1": ["raining", "wq-outlet-1.cod.H active"]]
        let actions = try seq.restore(by: "op", reason: "all clear", holds: holds, at: at(10)).get()
        #expect(!moves(actions).contains("open outlet-1"))
        #expect(moves(actions).contains("open sewage-1"))
        let item = try #require(seq.lastRestore?.items.first { $0.device == "outlet-1" })
        #expect(item.disposition == .heldClosed)
        #expect(item.reasons == ["raining", "wq-outlet-1.cod.H active"])
        #expect(actions.contains(.event(.restoreHeld(device: "outlet-1", reasons: item.reasons))))
        #expect(
            DefenceEvent.restoreHeld(device: "outlet-1", reasons: item.reasons).text
                == "outlet-1 held closed: raining, wq-outlet-1.cod.H active; first flush has it")
        // Holds are for outlets: a pool valve is not held by rain.
        var other = Self.settled(config: config, plan: plan)
        let more = try other.restore(by: "op", reason: "x", holds: ["bund-a-rain": ["raining"]], at: at(10)).get()
        #expect(moves(more).contains("open bund-a-rain"))
    }

    @Test func onlyAnAdministratorOpensAHeldOutletByNameAndItIsJournaled() throws {
        var seq = Self.settled(config: config, plan: plan)
        let holds = ["outlet-1": ["raining"]]
        #expect(
            seq.restore(by: "op", reason: "x", holds: holds, overrides: ["outlet-1"], isAdmin: false, at: at(10))
                == .failure(.overrideNeedsAdmin))
        #expect(
            seq.restore(by: "root", reason: "x", holds: holds, overrides: ["fire-pump"], isAdmin: true, at: at(10))
                == .failure(.notInPlan("fire-pump")))
        let actions = try seq.restore(
            by: "root", reason: "river authority agreed", holds: holds, overrides: ["outlet-1"], isAdmin: true,
            at: at(10)
        ).get()
        #expect(moves(actions).contains("open outlet-1"))
        #expect(
            actions.contains(
                .event(
                    .restoreOverridden(
                        device: "outlet-1", by: "root", reason: "river authority agreed", holds: ["raining"])
                )))
        #expect(seq.lastRestore?.items.first { $0.device == "outlet-1" }?.disposition == .overridden)
    }

    @Test func aDeviceWhoseStateBeforeTheTripWasNotGoodIsLeftForADecision() throws {
        var before = Self.normal
        before["bund-b-rain"] = .valve(position: .travelling, mode: .remote)
        before["transfer-1"] = .pump(running: nil)
        var seq = Self.settled(config: config, plan: plan, before: before)
        let actions = try seq.restore(by: "op", reason: "all clear", holds: [:], at: at(10)).get()
        #expect(!actions.commands.contains { $0.device == "bund-b-rain" || $0.device == "transfer-1" })
        let item = try #require(seq.lastRestore?.items.first { $0.device == "bund-b-rain" })
        #expect(item.disposition == .needsDecision)
        #expect(item.reasons == ["before the trip: travelling"])
        #expect(
            actions.contains(.event(.restoreNeedsDecision(device: "transfer-1", seen: "before the trip: no reading"))))
    }

    @Test func theDryRunShowsTheSameVerdictsAndMovesNothing() throws {
        var seq = Self.settled(config: config, plan: plan)
        let holds = ["outlet-1": ["raining"]]
        let preview = try seq.restorePreview(holds: holds).get()
        #expect(seq.plan?.name == "plant-wide", "a preview changes nothing")
        #expect(seq.lastRestore == nil)
        _ = try seq.restore(by: "op", reason: "all clear", holds: holds, at: at(10)).get()
        #expect(seq.lastRestore == preview)
        #expect(preview.items.first { $0.device == "pool-inlet" }?.now == "open")
        #expect(preview.items.first { $0.device == "outlet-1" }?.target == .open)
    }

    @Test func theLineUpSurvivesARestartAndALaterTripAddsItsDevices() throws {
        var seq = ShutoffSequencer(config: config)
        for (device, state) in Self.normal { _ = seq.feedback(device: device, observed: state, at: at(0)) }
        _ = seq.trip(Fixture.button, plan: DefaultPlans.group("tank-farm-A", config: config), at: at(1))
        #expect(seq.lineUp.keys.sorted() == ["bund-a-accident", "bund-a-rain"])
        _ = seq.trip(Fixture.button, plan: plan, at: at(2))
        #expect(seq.lineUp["outlet-1"]?.state == .open)
        let data = try JSONEncoder().encode(seq.snapshot)
        var again = ShutoffSequencer(config: config)
        _ = again.restore(try JSONDecoder().decode(ShutoffSnapshot.self, from: data), at: at(100))
        #expect(again.lineUp == seq.lineUp)
        for (device, state) in Self.tripped { _ = again.feedback(device: device, observed: state, at: at(101)) }
        _ = again.reset(by: "op", reason: "x", activeConditions: [], override: false, isAdmin: false, at: at(102))
        let actions = try again.restore(by: "op", reason: "x", holds: [:], at: at(103)).get()
        #expect(moves(actions).contains("open outlet-1"))
        #expect(!moves(actions).contains("close pool-inlet"))
    }

    @Test func aRestartDuringARestoreWatchesItToTheEnd() throws {
        let seq = Self.restoring(config: config, plan: plan)
        let data = try JSONEncoder().encode(seq.snapshot)
        var again = ShutoffSequencer(config: config)
        let actions = again.restore(try JSONDecoder().decode(ShutoffSnapshot.self, from: data), at: at(500))
        #expect(actions == [.event(.restarted(latched: false, restoring: true))])
        #expect(again.isRestoring)
        #expect(again.lastRestore == seq.lastRestore)
        // Feedback confirms what completes; the deadline retries what does not, then fails it, alarmed.
        _ = again.feedback(device: "outlet-1", observed: Fixture.open(), at: at(510))
        #expect(again.state(ofStep: "restore-open-outlet-1")?.phase == .confirmed)
        let retry = again.tick(at: at(600))
        #expect(moves(retry).contains("open sewage-1"))
        let failed = again.tick(at: at(700))
        #expect(failed.alarms.contains { if case .stepFailed(_, "sewage-1", _, _) = $0 { true } else { false } })
        for (device, state) in Self.normal { _ = again.feedback(device: device, observed: state, at: at(710)) }
        #expect(!again.isRestoring)
    }
}
