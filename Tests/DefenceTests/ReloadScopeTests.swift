import Alarm
import Config
import Testing

@testable import Defence

/// A reload applies whole or not at all: whatever the alarms, plans, first flush and links were built from must
/// stay as it is, or the daemon would run two configurations at once.
struct ReloadScopeTests {
    static func gas(_ id: String, poll: Int = 1000) -> Device {
        Device(
            id: id, name: id, kind: .gas, bus: "rtu", unit: 9, line: .riskUnit, pollMs: poll, points: [:], commands: [:]
        )
    }

    @Test func aNewDetectorOrAFasterPollOfOneNoSafetyFunctionUsesAppliesLive() {
        let old = Fixture.config(Fixture.plant + [Self.gas("gas-a1")])
        let new = Fixture.config(Fixture.plant + [Self.gas("gas-a1", poll: 500), Self.gas("gas-b1")])
        #expect(ReloadScope.restartRequired(from: old, to: new) == [])
    }

    /// The DCS register map is made at start; a reload must not change the server or its writes under the DCS.
    @Test func aChangedDCSSectionNeedsARestart() {
        var new = Fixture.config()
        new.dcs.enabled = true
        new.dcs.shutoffCoils = ["plant-wide"]
        #expect(ReloadScope.restartRequired(from: Fixture.config(), to: new) == ["[dcs] changed"])
    }

    @Test func aValveStrokeChangeNeedsARestartAndSaysWhich() {
        var devices = Fixture.plant
        devices[0] = Fixture.valve(
            "outlet-1", line: .boundary, role: nil, stroke: 45, location: "east gate, outlet well 1")
        let reasons = ReloadScope.restartRequired(from: Fixture.config(), to: Fixture.config(devices))
        #expect(reasons.contains(#"device "outlet-1" changed, which a safety function uses"#), "\(reasons)")
    }

    @Test func aValveAddedToARiskUnitChangesItsPlansAndNeedsARestart() {
        let added =
            Fixture.plant + [Fixture.valve("bund-c-rain", line: .riskUnit, role: .bundToRain, group: "tank-farm-C")]
        let reasons = ReloadScope.restartRequired(from: Fixture.config(), to: Fixture.config(added))
        #expect(reasons.contains("the shutoff plans derived from the devices changed"), "\(reasons)")
        #expect(reasons.contains(#"device "bund-c-rain" added, which a safety function uses"#), "\(reasons)")
    }

    /// A reload to a file with no devices (the package's unconfigured file, or one emptied by mistake) would stop
    /// the monitoring of the whole plant; it needs a deliberate restart.
    @Test func aReloadThatRemovesEveryDeviceIsRefused() {
        var empty = Fixture.config()
        empty.devices = []
        let reasons = ReloadScope.restartRequired(from: Fixture.config(), to: empty)
        #expect(reasons.first == "the new file has no devices, which would stop monitoring the whole plant")
    }

    @Test func sectionsBuiltOnceAtStartNeedARestart() {
        let old = Fixture.config()
        var new = old
        new.defence.retries = old.defence.retries + 1
        new.alarmSettings.maximumShelveHours = 2
        #expect(ReloadScope.restartRequired(from: old, to: new) == ["[alarm] changed", "[defence] changed"])
    }

    @Test func aDetectorWithAnInterlockOrAlarmIsASafetyDevice() {
        var old = Fixture.config(Fixture.plant + [Self.gas("gas-a1")])
        old.alarms = [
            AlarmDefinition(
                id: "gas-a1.concentration.H", point: "gas-a1.concentration", condition: Condition(.high(25)),
                priority: .high, message: "可燃气体一级报警")
        ]
        var new = old
        new.devices[new.devices.count - 1] = Self.gas("gas-a1", poll: 200)
        #expect(
            ReloadScope.restartRequired(from: old, to: new) == [
                #"device "gas-a1" changed, which a safety function uses"#
            ])
    }
}
