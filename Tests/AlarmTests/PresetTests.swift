import Foundation
import Testing

@testable import Alarm

struct PresetTests {
    func limit(_ d: AlarmDefinition) -> Double? {
        if case .high(let l) = d.condition.kind { return l }
        return nil
    }

    @Test func combustibleGasAlarmsAt25And50PercentLEL() throws {
        let defs = AlarmPresets.combustibleGas(point: "gas-a1.concentration", label: "罐区A可燃气体探测器", group: "tank-A")
        #expect(defs.map(\.id) == ["gas-a1.concentration.H", "gas-a1.concentration.HH"])
        #expect(defs.map(limit) == [25, 50])
        #expect(defs.map(\.priority) == [.high, .critical])
        #expect(defs.map(\.condition.onDelay) == [.zero, .zero], "a gas alarm does not wait")
        #expect(defs[0].message == "罐区A可燃气体探测器：可燃气体一级报警 ≥ 25 %LEL")
        #expect(defs.allSatisfy { $0.group == "tank-A" && $0.point == "gas-a1.concentration" })
        #expect(defs.allSatisfy { $0.condition.problem == nil })
    }

    /// The GB/T 50493-2019 table as domain.md gives it, mg/m³.
    @Test(arguments: [
        ("H2S", 10.0, 20.0), ("CO", 20, 40), ("NH3", 20, 40), ("Cl2", 1, 2), ("SO2", 5, 10), ("benzene", 6, 12),
        ("HCN", 1, 2), ("HCl", 7.5, 15), ("phosgene", 0.5, 1),
    ])
    func toxicGasAlarmsAt100And200PercentOEL(_ gas: String, _ level1: Double, _ level2: Double) throws {
        let defs = try AlarmPresets.toxicGas(gas, point: "tox.concentration")
        #expect(defs.map(limit) == [level1, level2])
        #expect(defs.map(\.priority) == [.high, .critical])
        #expect(defs.map(\.id) == ["tox.concentration.H", "tox.concentration.HH"])
        #expect(defs[0].message.contains("一级报警 ≥ \(AlarmPresets.format(level1)) mg/m³"))
        #expect(defs[1].message.contains("二级报警 ≥ \(AlarmPresets.format(level2)) mg/m³"))
        #expect(defs.allSatisfy { $0.condition.deadband == level1 / 10 && $0.condition.problem == nil })
    }

    @Test func theTableHasExactlyTheNineGases() {
        #expect(ToxicGas.table.map(\.name) == ["H2S", "CO", "NH3", "Cl2", "SO2", "benzene", "HCN", "HCl", "phosgene"])
        #expect(ToxicGas.table.allSatisfy { $0.level2 == 2 * $0.level1 })
    }

    @Test(arguments: [
        ("h2s", "H2S"), ("H2s", "H2S"), (" co ", "CO"), ("BENZENE", "benzene"), ("c6h6", "benzene"), ("hcl", "HCl"),
        ("CL2", "Cl2"), ("Phosgene", "phosgene"), ("COCL2", "phosgene"), ("硫化氢", "H2S"), ("光气", "phosgene"),
    ])
    func lookupIgnoresCase(_ asked: String, _ found: String) {
        #expect(ToxicGas.named(asked)?.name == found)
    }

    @Test func anUnknownGasIsAClearError() throws {
        #expect(ToxicGas.named("CH4") == nil)
        #expect(ToxicGas.named("") == nil)
        let error = try #require(throws: AlarmPresetError.self) {
            try AlarmPresets.toxicGas("CH4", point: "p")
        }
        #expect(error == .unknownGas("CH4"))
        #expect(
            error.description
                == "unknown toxic gas \"CH4\": the table has H2S, CO, NH3, Cl2, SO2, benzene, HCN, HCl, phosgene")
    }

    @Test func aPpmDetectorGetsItsLimitsConverted() throws {
        // 10 mg/m³ of H2S at 20 °C: 10 × 24.04 / 34.08 ≈ 7.05 ppm.
        let defs = try AlarmPresets.toxicGas("H2S", point: "h2s-a1.concentration", unit: .ppm, label: "罐区A硫化氢探测器")
        let l1 = try #require(limit(defs[0]))
        let l2 = try #require(limit(defs[1]))
        #expect(abs(l1 - 7.054) < 0.001)
        #expect(abs(l2 - 14.108) < 0.001)
        #expect(defs[0].message == "罐区A硫化氢探测器：硫化氢 H2S 一级报警 ≥ 7.05 ppm (10 mg/m³)")
        #expect(abs(defs[0].condition.deadband - l1 / 10) < 1e-12)
    }

    @Test func dustPresetsTakeTheSiteLimits() {
        let dp = AlarmPresets.dustCollectorPressureDifferenceHigh(point: "dust-1.dp", limit: 1500, label: "1号除尘器")
        #expect(limit(dp) == 1500)
        #expect(dp.id == "dust-1.dp.H" && dp.priority == .high)
        #expect(dp.condition.onDelay == .seconds(10) && dp.condition.deadband == 75)
        #expect(dp.message == "1号除尘器：除尘器进出口压差高 ≥ 1500 Pa")

        let temp = AlarmPresets.dustHopperTemperatureHigh(point: "dust-1.hopper-temp", limit: 70, priority: .critical)
        #expect(limit(temp) == 70)
        #expect(temp.priority == .critical)
        #expect(temp.message == "dust-1.hopper-temp：除尘器灰斗温度高 ≥ 70 °C")
    }

    @Test func aPresetWorksInTheEngineEndToEnd() throws {
        var rig = try Rig(AlarmPresets.combustibleGas(point: "gas-a1.concentration", group: "tank-A"))
        let l1 = rig.set("gas-a1.concentration", 30, at: 0)
        #expect(l1.transitions.map(\.alarm) == ["gas-a1.concentration.H"])
        #expect(l1.transitions.first?.firstOut == true)
        let l2 = rig.set("gas-a1.concentration", 55, at: 1)
        #expect(l2.transitions.map(\.alarm) == ["gas-a1.concentration.HH"])
        #expect(l2.annunciated == [.critical])
        #expect(rig.engine.activeAlarms.map(\.id) == ["gas-a1.concentration.HH", "gas-a1.concentration.H"])
        // Falling to 24 is inside the 2.5 %LEL deadband of level 1: it holds; 20 starts its 5 s off-delay.
        rig.set("gas-a1.concentration", 24, at: 10)
        #expect(rig.state("gas-a1.concentration.H") == .unacknowledged)
        rig.set("gas-a1.concentration", 20, at: 11)
        #expect(rig.tick(16).transitions.map(\.alarm) == ["gas-a1.concentration.HH", "gas-a1.concentration.H"])
    }
}
