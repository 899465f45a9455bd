import Alarm
import Testing

@testable import Config

struct AlarmConfigTests {
    static let h2s = Fixture.with(
        Fixture.gas,
        [
            "id": #""h2s-a1""#, "unit": "6", "gas_kind": #""toxic""#, "gas": #""H2S""#,
            "points.concentration": #"{ function = "input", address = 0, type = "int16", scale = 0.1, unit = "ppm" }"#,
        ])

    static func text(_ alarms: String, devices: [Fixture.Device] = [Fixture.gas, h2s, Fixture.siren]) -> String {
        Fixture.config(site: Fixture.site, buses: Fixture.buses) + devices.map(Fixture.toml).joined(separator: "\n\n")
            + "\n\n" + alarms
    }

    @Test func presetsExpandToGBT50493LimitsAndPriorities() throws {
        let config = try ConfigLoader.parse(
            Self.text(
                """
                [[alarms]]
                point = "gas-a1.concentration"
                preset = "combustible"

                [[alarms]]
                point = "h2s-a1.concentration"
                preset = "toxic"
                group = "tank-farm-A"
                """), file: "levee.toml")
        let ids = config.alarms.map(\.id)
        #expect(
            ids == [
                "gas-a1.concentration.H", "gas-a1.concentration.HH", "h2s-a1.concentration.H",
                "h2s-a1.concentration.HH",
            ])
        #expect(config.alarms[0].condition.kind == .high(25))
        #expect(config.alarms[1].condition.kind == .high(50))
        #expect(config.alarms[1].priority == .critical)
        // H2S 10/20 mg/m³ converted to the detector's ppm at 20 °C.
        guard case .high(let l1) = config.alarms[2].condition.kind else {
            Issue.record("expected a high limit")
            return
        }
        #expect(abs(l1 - 7.05) < 0.05)
        #expect(config.alarms[2].group == "tank-farm-A")
        #expect(config.alarms[3].message.contains("硫化氢"))
    }

    @Test func aConfiguredAlarmTakesItsKindLimitDelaysAndSuppression() throws {
        let config = try ConfigLoader.parse(
            Self.text(
                """
                [[alarms]]
                id = "gas-a1.low-signal"
                point = "gas-a1.concentration"
                kind = "low"
                limit = -1
                deadband = 0.5
                on_delay_s = 5
                off_delay_s = 10
                priority = "low"
                message = "信号偏低"
                suppressed_by = { point = "siren.state", equals = true }
                frozen_after_s = 600
                frozen_band = 0.1
                """), file: "levee.toml")
        let a = try #require(config.alarms.first)
        #expect(a.id == "gas-a1.low-signal")
        #expect(a.condition.kind == .low(-1))
        #expect(a.condition.onDelay == .seconds(5))
        #expect(a.condition.offDelay == .seconds(10))
        #expect(a.priority == .low)
        #expect(a.message == "信号偏低")
        #expect(a.suppressedBy == .point("siren.state", equals: true))
        #expect(a.frozenAfter == FrozenCheck(after: .seconds(600), noiseBand: 0.1))
    }

    @Test(arguments: [
        (
            "[[alarms]]\npoint = \"gas-a2.concentration\"\npreset = \"combustible\"",
            #"levee.toml: alarms[0].point "gas-a2.concentration" must be <device>.<point> of a device above (did you mean "gas-a1"?)"#
        ),
        (
            "[[alarms]]\npoint = \"gas-a1.concentraton\"\npreset = \"combustible\"",
            #"levee.toml: alarms[0].point device "gas-a1" has no point "concentraton" (did you mean "concentration"?)"#
        ),
        (
            "[[alarms]]\npoint = \"gas-a1.concentration\"\npreset = \"toxic\"",
            #"levee.toml: alarms[0]: preset "toxic" needs a gas device with gas_kind = "toxic""#
        ),
        (
            "[[alarms]]\npoint = \"gas-a1.concentration\"\nkind = \"high\"",
            "levee.toml: alarms[0].limit is required"
        ),
        (
            "[[alarms]]\npoint = \"gas-a1.concentration\"\nkind = \"hihg\"\nlimit = 3",
            #"levee.toml: alarms[0].kind "hihg" must be one of high, low, state, rate-of-rise, rate-of-fall (did you mean "high"?)"#
        ),
        (
            "[alarm]\nannunciation = { critical = [\"gas-a1\"] }",
            #"levee.toml: alarm.annunciation.critical[0] "gas-a1" must be a digital-output with on and off commands"#
        ),
    ])
    func mistakesNameTheAlarmAndTheRule(toml: String, message: String) {
        let issues = Fixture.issues(Self.text(toml))
        #expect(issues.contains(message), "\(issues)")
    }

    @Test func anUnknownToxicGasIsRefusedWithItsName() {
        let devices = [Fixture.with(Self.h2s, ["gas": #""XYZ""#])]
        let issues = Fixture.issues(
            Self.text("[[alarms]]\npoint = \"h2s-a1.concentration\"\npreset = \"toxic\"", devices: devices))
        #expect(issues.count == 1)
        #expect(issues.first?.hasPrefix(#"levee.toml: alarms[0]: preset "toxic": "#) == true, "\(issues)")
        #expect(issues.first?.contains("XYZ") == true)
    }

    @Test func twoAlarmsWithOneIdAreRefused() {
        let issues = Fixture.issues(
            Self.text(
                """
                [[alarms]]
                point = "gas-a1.concentration"
                preset = "combustible"

                [[alarms]]
                id = "gas-a1.concentration.H"
                point = "gas-a1.concentration"
                kind = "high"
                limit = 10
                """))
        #expect(
            issues == [#"levee.toml: alarms[1]: alarm id "gas-a1.concentration.H" is already defined by alarms[0]"#])
    }
}
