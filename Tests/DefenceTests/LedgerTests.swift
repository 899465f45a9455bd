import Config
import Foundation
import Testing

@testable import Defence

/// One ledger per command: each command carries the action that caused its step's run, not the first-out trip.
struct LedgerTests {
    let config = Fixture.config()
    let at = Fixture.at

    @Test func aLaterTripsCommandsCarryItsOwnInitiator() {
        var seq = ShutoffSequencer(config: config)
        let interlock = Trigger(
            kind: .automatic("gas-a"), who: "interlock gas-a", from: "gas-a1.concentration", why: "HH", action: "a1")
        _ = seq.trip(interlock, plan: DefaultPlans.group("tank-farm-A", config: config), at: at(0))
        let operatorTrip = Trigger(
            kind: .leveectl, who: "wang", from: "control socket (pid 7)", why: "plant-wide now", action: "b2")
        let actions = seq.trip(operatorTrip, plan: DefaultPlans.plantWide(config: config), at: at(1))
        #expect(!actions.commands.isEmpty)
        #expect(actions.commands.allSatisfy { $0.trigger == operatorTrip })
        #expect(seq.state(ofStep: "close-bund-a-rain")?.cause == interlock)
    }

    @Test func restoreReraiseAndRestartEachNameTheirOwnCause() throws {
        var seq = RestoreTests.settled(config: config, plan: DefaultPlans.plantWide(config: config))
        let restore = try seq.restore(
            by: "li", reason: "all clear", holds: [:], kind: .http, from: "http 10.0.0.5", action: "c3", at: at(10)
        ).get()
        #expect(
            restore.commands.allSatisfy {
                $0.trigger?.who == "li" && $0.trigger?.from == "http 10.0.0.5" && $0.trigger?.action == "c3"
                    && $0.trigger?.why == "restore: all clear"
            })

        var held = ShutoffSequencer(config: config)
        _ = held.trip(Fixture.button, plan: DefaultPlans.plantWide(config: config), at: at(0))
        _ = held.feedback(device: "outlet-1", observed: Fixture.closed(), at: at(1))
        let moved = held.feedback(device: "outlet-1", observed: Fixture.open(), at: at(2))
        let reasserted = try #require(moved.commands.first?.trigger)
        #expect(reasserted.who == Trigger.daemonUser && reasserted.kind == .daemon)
        #expect(reasserted.why == "re-asserted: outlet-1 moved while shut off")

        var again = ShutoffSequencer(config: config)
        let restart = again.restore(held.snapshot, at: at(100))
        let cause = try #require(restart.commands.first { $0.device == "sewage-1" }?.trigger)
        #expect(cause.who == Trigger.daemonUser && cause.from == "restart")
        #expect(cause.why.hasPrefix("re-asserted after restart (operator from control room"))
    }

    @Test func theRestoreAfterADrillIsPartOfTheDrill() throws {
        var seq = ShutoffSequencer(config: config)
        for (device, state) in RestoreTests.normal { _ = seq.feedback(device: device, observed: state, at: at(0)) }
        var drill = Fixture.button
        drill.drill = true
        _ = seq.trip(drill, plan: DefaultPlans.plantWide(config: config), at: at(1))
        for (device, state) in RestoreTests.tripped { _ = seq.feedback(device: device, observed: state, at: at(2)) }
        _ = seq.reset(by: "op", reason: "drill over", activeConditions: [], override: false, isAdmin: false, at: at(3))
        let restore = try seq.restore(by: "op", reason: "drill over", holds: [:], at: at(4)).get()
        #expect(!restore.commands.isEmpty)
        #expect(restore.commands.allSatisfy { $0.drill && $0.trigger?.drill == true })
    }
}
