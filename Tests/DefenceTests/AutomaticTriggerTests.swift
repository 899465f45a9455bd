import Alarm
import Config
import Testing

@testable import Defence

struct AutomaticTriggerTests {
    let config = Fixture.config()
    let at = Fixture.at

    /// Bund level ≥ 0.5 m for 10 s trips tank farm A's plan.
    func sequencer() -> ShutoffSequencer {
        let trigger = AutomaticTrigger(
            id: "bund-a-high", condition: Condition(.high(0.5), deadband: 0.05, onDelay: .seconds(10)),
            point: "bund-a-level.level", plan: DefaultPlans.group("tank-farm-A", config: config))
        return ShutoffSequencer(config: config, automaticTriggers: [trigger])
    }

    @Test func onDelayThroughCondition() {
        var seq = sequencer()
        #expect(seq.sample(point: "bund-a-level.level", value: 0.6, usable: true, at: at(0)).isEmpty)
        #expect(seq.tick(at: at(9.9)).isEmpty)
        #expect(!seq.isLatched)
        let actions = seq.tick(at: at(10))
        #expect(seq.isLatched)
        #expect(seq.trips.first?.kind == .automatic("bund-a-high"))
        #expect(actions.commands.map(\.step) == ["close-bund-a-rain", "open-bund-a-accident"])
        // Reset is refused while the condition holds, without the caller having to list it.
        #expect(
            seq.reset(by: "op", reason: "r", activeConditions: [], override: false, isAdmin: false, at: at(20))
                == .failure(.conditionsActive(["bund-a-high"])))
        // Within the deadband it stays active; below it (and past the off-delay of 0) it clears.
        _ = seq.sample(point: "bund-a-level.level", value: 0.47, usable: true, at: at(30))
        #expect(seq.automatic[0].isActive)
        _ = seq.sample(point: "bund-a-level.level", value: 0.4, usable: true, at: at(31))
        #expect(
            seq.reset(by: "op", reason: "level down", activeConditions: [], override: false, isAdmin: false, at: at(32))
                == .success([.event(.reset(by: "op", reason: "level down", overridden: []))]))
    }

    @Test func shortExcursionDoesNotTrip() {
        var seq = sequencer()
        _ = seq.sample(point: "bund-a-level.level", value: 0.6, usable: true, at: at(0))
        _ = seq.sample(point: "bund-a-level.level", value: 0.3, usable: true, at: at(5))
        _ = seq.tick(at: at(20))
        #expect(!seq.isLatched)
    }

    @Test func bypassCappedExpiresAndNeverBlocksManual() throws {
        var seq = sequencer()
        #expect(
            seq.bypass(
                trigger: "bund-a-high", by: "op", reason: "calibration", isAdmin: false, for: .seconds(60), at: at(0))
                == .failure(.notAdmin))
        _ = try seq.bypass(
            trigger: "bund-a-high", by: "admin", reason: "calibration", isAdmin: true, for: .seconds(24 * 3600),
            at: at(0)
        ).get()
        #expect(seq.bypasses.first?.until == at(4 * 3600))
        _ = seq.sample(point: "bund-a-level.level", value: 0.9, usable: true, at: at(1))
        _ = seq.tick(at: at(20))
        #expect(!seq.isLatched)
        // A person's trip is never blocked by a bypass.
        var manual = seq
        #expect(!manual.trip(Fixture.button, plan: DefaultPlans.plantWide(config: config), at: at(30)).commands.isEmpty)
        #expect(manual.isLatched)
        // On expiry the bypass drops, and the still-active condition trips as it would have.
        let expiry = seq.tick(at: at(4 * 3600))
        #expect(seq.bypasses.isEmpty)
        #expect(seq.isLatched)
        #expect(expiry.commands.count == 2)
    }
}
