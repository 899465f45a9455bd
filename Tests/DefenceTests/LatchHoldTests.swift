import Config
import Foundation
import Testing

@testable import Defence

/// Latched means held: a plan device that leaves its tripped state while latched re-raises its step, whatever
/// moved it, and after a restart the same check runs against the first readings.
struct LatchHoldTests {
    let config = Fixture.config()
    var plan: ResponsePlan { DefaultPlans.plantWide(config: config) }
    let at = Fixture.at

    func latchedAndSettled() -> ShutoffSequencer {
        var seq = ShutoffSequencer(config: config)
        _ = seq.trip(Fixture.button, plan: plan, at: at(0))
        for (device, state) in RestoreTests.tripped { _ = seq.feedback(device: device, observed: state, at: at(1)) }
        return seq
    }

    @Test func anOutletOpenedInRemoteIsCommandedBackWithACriticalAlarm() {
        var seq = latchedAndSettled()
        #expect(seq.steps.allSatisfy { $0.isConfirmed })
        let actions = seq.feedback(
            device: "outlet-1", observed: .valve(position: .travelling, mode: .remote), at: at(5))
        #expect(actions.commands.map { "\($0.command) \($0.device)" } == ["close outlet-1"])
        let alarm = DefenceAlarm.movedWhileShutOff(
            step: "close-outlet-1", device: "outlet-1", operation: .closeValve,
            how: "travelling, actuator in remote, not commanded by Levee")
        #expect(actions.alarms == [alarm])
        #expect(alarm.priority == .critical)
        #expect(alarm.text.contains("opened while shut off"))
        #expect(seq.state(ofStep: "close-outlet-1")?.phase == .commanded)
        // Back closed: confirmed again.
        _ = seq.feedback(device: "outlet-1", observed: Fixture.closed(), at: at(20))
        #expect(seq.state(ofStep: "close-outlet-1")?.phase == .confirmed)
    }

    @Test func inLocalTheManualActionAlarmApplies() {
        var seq = latchedAndSettled()
        let actions = seq.feedback(device: "sewage-1", observed: Fixture.open(.local), at: at(5))
        #expect(actions.commands.isEmpty)
        #expect(actions.alarms.contains(.manualActionNeeded(valve: "sewage-1", location: nil)))
        #expect(seq.state(ofStep: "close-sewage-1")?.phase == .manualActionNeeded)
    }

    @Test func aStoppedTransferPumpAndAClosedPoolInletAreHeldToo() {
        var seq = latchedAndSettled()
        let pump = seq.feedback(device: "transfer-1", observed: .pump(running: false), at: at(5))
        #expect(pump.commands.map(\.command) == ["start"])
        let inlet = seq.feedback(device: "pool-inlet", observed: Fixture.closed(), at: at(5))
        #expect(inlet.commands.map(\.command) == ["open"])
    }

    @Test func anUnreadableDeviceHasNotLeftAndNothingIsHeldOnceReset() {
        var seq = latchedAndSettled()
        #expect(
            seq.feedback(device: "outlet-1", observed: .valve(position: .unknown, mode: .unknown), at: at(5)).isEmpty)
        _ = seq.feedback(device: "outlet-1", observed: Fixture.closed(), at: at(6))
        _ = seq.reset(by: "op", reason: "x", activeConditions: [], override: false, isAdmin: false, at: at(7))
        #expect(seq.feedback(device: "outlet-1", observed: Fixture.open(), at: at(8)).commands.isEmpty)
    }

    @Test func afterARestartTheFirstReadingsAreChecked() throws {
        let seq = latchedAndSettled()
        var again = ShutoffSequencer(config: config)
        let data = try JSONEncoder().encode(seq.snapshot)
        let restart = again.restore(try JSONDecoder().decode(ShutoffSnapshot.self, from: data), at: at(100))
        #expect(restart.commands.isEmpty, "every step was confirmed")
        let actions = again.feedback(device: "outlet-1", observed: Fixture.open(), at: at(101))
        #expect(actions.commands.map { "\($0.command) \($0.device)" } == ["close outlet-1"])
        #expect(actions.alarms.count == 1)
    }
}
