import Foundation

/// A toxic gas of the GB/T 50493-2019 table, with its two alarm levels.
///
/// Level 1 is 100 % of the occupational exposure limit (OEL) and level 2 is 200 %, in mg/m³ as the standard
/// gives them. Many detectors report ppm instead (the demo's H2S detector does), so `limits(in:)` converts at
/// the reference conditions of Chinese workplace-air limits (GBZ 159: 20 °C, 101.3 kPa, molar volume
/// 24.04 L/mol): a mg/m³ limit applied to a ppm reading would be wrong by the ratio of molar mass to 24.04.
public struct ToxicGas: Sendable, Hashable, Codable {
    /// The name the table uses: a formula, or "benzene" and "phosgene".
    public var name: String
    public var chineseName: String
    /// Other names accepted by `named(_:)`.
    public var aliases: [String]
    /// Level 1 (100 % OEL), mg/m³.
    public var level1: Double
    /// Level 2 (200 % OEL), mg/m³.
    public var level2: Double
    /// g/mol, for the ppm conversion.
    public var molarMass: Double

    /// The molar volume of a gas at 20 °C and 101.3 kPa, litres per mole.
    public static let molarVolume = 24.04

    /// The table of domain.md, in its order.
    public static let table: [ToxicGas] = [
        ToxicGas(name: "H2S", chineseName: "硫化氢", aliases: [], level1: 10, level2: 20, molarMass: 34.08),
        ToxicGas(name: "CO", chineseName: "一氧化碳", aliases: [], level1: 20, level2: 40, molarMass: 28.01),
        ToxicGas(name: "NH3", chineseName: "氨", aliases: ["氨气"], level1: 20, level2: 40, molarMass: 17.03),
        ToxicGas(name: "Cl2", chineseName: "氯气", aliases: ["氯"], level1: 1, level2: 2, molarMass: 70.90),
        ToxicGas(name: "SO2", chineseName: "二氧化硫", aliases: [], level1: 5, level2: 10, molarMass: 64.07),
        ToxicGas(name: "benzene", chineseName: "苯", aliases: ["C6H6"], level1: 6, level2: 12, molarMass: 78.11),
        ToxicGas(name: "HCN", chineseName: "氰化氢", aliases: [], level1: 1, level2: 2, molarMass: 27.03),
        ToxicGas(name: "HCl", chineseName: "氯化氢", aliases: [], level1: 7.5, level2: 15, molarMass: 36.46),
        ToxicGas(
            name: "phosgene", chineseName: "光气", aliases: ["COCl2", "碳酰氯"], level1: 0.5, level2: 1, molarMass: 98.92),
    ]

    /// The gas with this name, formula alias or Chinese name, ignoring case and surrounding spaces; nil if the
    /// table does not have it.
    public static func named(_ name: String) -> ToxicGas? {
        let key = name.trimmingCharacters(in: .whitespaces).lowercased()
        return table.first { gas in
            ([gas.name, gas.chineseName] + gas.aliases).contains { $0.lowercased() == key }
        }
    }

    /// Level 1 and level 2 in a detector's unit.
    public func limits(in unit: ToxicUnit) -> (level1: Double, level2: Double) {
        switch unit {
        case .milligramsPerCubicMetre: (level1, level2)
        case .ppm: (ppm(level1), ppm(level2))
        }
    }

    private func ppm(_ mgPerCubicMetre: Double) -> Double { mgPerCubicMetre * Self.molarVolume / molarMass }
}

/// The unit a toxic-gas detector reports in.
public enum ToxicUnit: String, Sendable, Hashable, Codable, CaseIterable {
    case milligramsPerCubicMetre = "mg/m3"
    case ppm
}

/// A preset that cannot be built; the description names what was asked for and what exists.
public enum AlarmPresetError: Error, Hashable, Sendable, CustomStringConvertible {
    case unknownGas(String)

    public var description: String {
        switch self {
        case .unknownGas(let name):
            "unknown toxic gas \"\(name)\": the table has \(ToxicGas.table.map(\.name).joined(separator: ", "))"
        }
    }
}

/// Alarm definitions an engineer can take as they are, for the alarms every plant of this kind has.
///
/// Ids are `<point>.H` for level 1 and `<point>.HH` for level 2. Gas alarms have no on-delay, because the
/// transmitter already filters and a gas alarm must not wait; a short off-delay and a deadband of a tenth of
/// level 1 keep a reading that hovers at the limit from chattering. The dust thresholds are site data (the
/// collector's design), so they are parameters.
public enum AlarmPresets {
    /// Combustible gas (GB/T 50493-2019): level 1 at 25 %LEL (high), level 2 at 50 %LEL (critical).
    /// - Parameters:
    ///   - point: the concentration point in %LEL, such as "gas-a1.concentration".
    ///   - label: the detector's display name for the message, such as "罐区A可燃气体探测器".
    ///   - group: the first-out group, usually the area.
    public static func combustibleGas(
        point: String, label: String? = nil, group: String? = nil, deadband: Double = 2.5,
        offDelay: Duration = .seconds(5)
    ) -> [AlarmDefinition] {
        let name = label ?? point
        return [
            AlarmDefinition(
                id: "\(point).H", point: point,
                condition: Condition(.high(25), deadband: deadband, offDelay: offDelay), priority: .high,
                message: "\(name)：可燃气体一级报警 ≥ 25 %LEL", group: group),
            AlarmDefinition(
                id: "\(point).HH", point: point,
                condition: Condition(.high(50), deadband: deadband, offDelay: offDelay), priority: .critical,
                message: "\(name)：可燃气体二级报警 ≥ 50 %LEL", group: group),
        ]
    }

    /// Toxic gas (GB/T 50493-2019): level 1 at 100 % OEL (high), level 2 at 200 % OEL (critical), from the table.
    /// - Parameters:
    ///   - gas: a name `ToxicGas.named(_:)` knows, such as "H2S", "h2s", "benzene" or "硫化氢".
    ///   - unit: what the detector reports; ppm limits are converted from the table's mg/m³.
    ///   - deadband: in `unit`; nil for a tenth of level 1.
    /// - Throws: `AlarmPresetError.unknownGas` for a gas not in the table.
    public static func toxicGas(
        _ gas: String, point: String, unit: ToxicUnit = .milligramsPerCubicMetre, label: String? = nil,
        group: String? = nil, deadband: Double? = nil, offDelay: Duration = .seconds(5)
    ) throws(AlarmPresetError) -> [AlarmDefinition] {
        guard let g = ToxicGas.named(gas) else { throw .unknownGas(gas) }
        let (l1, l2) = g.limits(in: unit)
        let band = deadband ?? l1 / 10
        let name = label ?? point
        func limitText(_ value: Double, _ mg: Double) -> String {
            unit == .ppm ? "\(format(value)) ppm (\(format(mg)) mg/m³)" : "\(format(value)) mg/m³"
        }
        return [
            AlarmDefinition(
                id: "\(point).H", point: point,
                condition: Condition(.high(l1), deadband: band, offDelay: offDelay), priority: .high,
                message: "\(name)：\(g.chineseName) \(g.name) 一级报警 ≥ \(limitText(l1, g.level1))", group: group),
            AlarmDefinition(
                id: "\(point).HH", point: point,
                condition: Condition(.high(l2), deadband: band, offDelay: offDelay), priority: .critical,
                message: "\(name)：\(g.chineseName) \(g.name) 二级报警 ≥ \(limitText(l2, g.level2))", group: group),
        ]
    }

    /// Dry dust collector: inlet/outlet pressure difference high (a clogged or torn filter), at a site limit.
    /// The default on-delay rides through the pressure pulses of bag cleaning.
    public static func dustCollectorPressureDifferenceHigh(
        point: String, limit: Double, unit: String = "Pa", label: String? = nil, group: String? = nil,
        priority: AlarmPriority = .high, deadband: Double? = nil, onDelay: Duration = .seconds(10),
        offDelay: Duration = .seconds(5)
    ) -> AlarmDefinition {
        AlarmDefinition(
            id: "\(point).H", point: point,
            condition: Condition(
                .high(limit), deadband: deadband ?? abs(limit) / 20, onDelay: onDelay, offDelay: offDelay),
            priority: priority, message: "\(label ?? point)：除尘器进出口压差高 ≥ \(format(limit)) \(unit)", group: group)
    }

    /// Dry dust collector: hopper temperature high (smouldering dust, the start of a fire or explosion), at a
    /// site limit.
    public static func dustHopperTemperatureHigh(
        point: String, limit: Double, unit: String = "°C", label: String? = nil, group: String? = nil,
        priority: AlarmPriority = .high, deadband: Double = 2, onDelay: Duration = .seconds(5),
        offDelay: Duration = .seconds(10)
    ) -> AlarmDefinition {
        AlarmDefinition(
            id: "\(point).H", point: point,
            condition: Condition(.high(limit), deadband: deadband, onDelay: onDelay, offDelay: offDelay),
            priority: priority, message: "\(label ?? point)：除尘器灰斗温度高 ≥ \(format(limit)) \(unit)", group: group)
    }

    /// A limit as a person writes it: "10", "7.5", "7.05".
    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        var text = String(format: "%.2f", value)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }
}
