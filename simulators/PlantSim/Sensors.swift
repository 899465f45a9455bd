import Foundation
import ModbusWire

/// A scripted signal that `setValue` can pin to a constant.
struct ScriptedSignal {
    var profile: Profile
    var pinned: Double?

    init(_ profile: Profile) { self.profile = profile }

    func value(at t: Double) -> Double { pinned ?? profile.value(at: t) }
}

/// A model whose signals are scripted profiles; `value` and `setValue` work on them by name.
class ProfiledSensor: SimDevice {
    var signals: [String: ScriptedSignal] = [:]
    var signalOrder: [String] = []
    /// The signal `out-of-range` without a `signal` key applies to.
    var mainSignal: String { signalOrder.first ?? "" }
    private(set) var now: Double = 0

    func addSignal(_ name: String, _ profile: Profile) {
        signals[name] = ScriptedSignal(profile)
        signalOrder.append(name)
    }

    /// The reading of `name` at the current time, after faults.
    func reading(_ name: String) -> Double {
        reported(name, live: signals[name]?.value(at: now) ?? 0, main: name == mainSignal)
    }

    override func tick(t: Double, dt: Double, plant: PlantModel) {
        now = t
        publish()
    }

    override func faultsChanged() { publish() }

    /// Writes the readings into the register map.
    func publish() {}

    override var signalNames: [String] { signalOrder }

    override func value(of signal: String) -> Double? { signals[signal]?.value(at: now) }

    override func setValue(_ value: Double, of signal: String) -> Bool {
        guard signals[signal] != nil else { return false }
        signals[signal]!.pinned = value
        publish()
        return true
    }

    override var summary: String {
        signalOrder.map { "\($0)=\(String(format: "%g", (reading($0) * 1000).rounded() / 1000))" }
            .joined(separator: " ")
    }
}

/// Accident-pool level transmitter.
///
/// Register map: input 0-1 float32 level in metres, word order CDAB; input 2 uint16 level in millimetres;
/// discrete input 0 fault. The pool fills with `inflow_m3h` (plus `rain_inflow_m3h` while the rain line reads 1)
/// in proportion to the inlet valve's opening, empties through its running pumps, and is clamped to 0...depth.
final class LevelTransmitter: SimDevice {
    let config: LevelSpec
    private(set) var level: Double
    private var fault = false

    init(spec: DeviceSpec, config: LevelSpec) {
        self.config = config
        self.level = config.initialM
        super.init(spec: spec)
        for a: UInt16 in 0...2 { registers.define(.inputRegister, a) }
        registers.define(.discreteInput, 0)
        publish()
    }

    override func tick(t: Double, dt: Double, plant: PlantModel) {
        let opening = config.inletValve.map { (plant.valve($0)?.position ?? 0) / 100 } ?? 1
        let raining = config.rainLine.map { plant.gpioLevel($0) == 1 } ?? false
        let inflow = (config.inflowM3h + (raining ? config.rainInflowM3h : 0)) * opening
        let outflow = config.pumps.reduce(0) { $0 + (plant.pump($1)?.flowM3h ?? 0) }
        level += (inflow - outflow) / 3600 * dt / config.areaM2
        level = min(max(level, 0), config.depthM)
        publish()
    }

    override func faultsChanged() { publish() }

    private func publish() {
        let reading = reported("level", live: level, main: true)
        registers.set32(.inputRegister, 0, reading, as: .float32, order: .cdab)
        registers[.inputRegister, 2] = RegisterCodec.encodeRaw(reading * 1000, as: .uint16, order: nil)[0]
        registers.setBit(.discreteInput, 0, fault)
    }

    override var signalNames: [String] { ["level", "fault"] }

    override func value(of signal: String) -> Double? {
        switch signal {
        case "level": level
        case "fault": fault ? 1 : 0
        default: nil
        }
    }

    override func setValue(_ value: Double, of signal: String) -> Bool {
        switch signal {
        case "level": level = min(max(value, 0), config.depthM)
        case "fault": fault = value != 0
        default: return false
        }
        publish()
        return true
    }

    override var summary: String {
        let reading = reported("level", live: level, main: true)
        return String(format: "level %.3f m (%.0f m3)", reading, reading * config.areaM2) + (fault ? " fault" : "")
    }
}

/// Status word shared by the gas models: bit0 fault, bit1 level-1 alarm, bit2 level-2 alarm.
private func gasStatus(value: Double, fault: Bool, alarm1: Double, alarm2: Double) -> UInt16 {
    (fault ? 1 : 0) | (value >= alarm1 ? 2 : 0) | (value >= alarm2 ? 4 : 0)
}

/// Combustible or toxic gas transmitter with a float reading.
///
/// Register map: input 0-1 float32 concentration, word order ABCD; input 2 status (bit0 fault, bit1 level-1
/// alarm, bit2 level-2 alarm, against the device's own thresholds); input 3 unit code (1 %LEL, 2 ppm, 3 mg/m3);
/// holding 10 and 11 the level-1 and level-2 thresholds ×10 (int16, writable).
final class GasTransmitter: ProfiledSensor {
    let config: GasSpec

    init(spec: DeviceSpec, config: GasSpec) {
        self.config = config
        super.init(spec: spec)
        addSignal("value", config.profile)
        addSignal("fault", .constant(0))
        for a: UInt16 in 0...3 { registers.define(.inputRegister, a) }
        registers.define(.holdingRegister, 10, value: Self.tenths(config.alarm1), writable: true)
        registers.define(.holdingRegister, 11, value: Self.tenths(config.alarm2), writable: true)
        publish()
    }

    static func tenths(_ v: Double) -> UInt16 { RegisterCodec.encodeRaw(v * 10, as: .int16, order: nil)[0] }

    var alarm1: Double { Double(Int16(bitPattern: registers[.holdingRegister, 10])) / 10 }
    var alarm2: Double { Double(Int16(bitPattern: registers[.holdingRegister, 11])) / 10 }

    override func didWrite(_ table: RegisterTable, _ address: UInt16, _ values: [UInt16]) throws(ModbusExceptionCode) {
        try super.didWrite(table, address, values)
        publish()
    }

    override func publish() {
        let v = reading("value")
        registers.set32(.inputRegister, 0, v, as: .float32, order: .abcd)
        registers[.inputRegister, 2] = gasStatus(
            value: v, fault: reading("fault") >= 0.5, alarm1: alarm1, alarm2: alarm2)
        registers[.inputRegister, 3] = config.unit.code
    }

    override var signalNames: [String] { ["value", "fault"] }

    override func value(of signal: String) -> Double? { super.value(of: signal == "concentration" ? "value" : signal) }

    override func setValue(_ value: Double, of signal: String) -> Bool {
        super.setValue(value, of: signal == "concentration" ? "value" : signal)
    }

    override var summary: String { super.summary + " " + config.unit.rawValue }
}

/// Toxic gas transmitter with an integer reading.
///
/// Register map: input 0 int16 concentration ×10 (scale 0.1); input 1 status (bit0 fault, bit1 level-1 alarm,
/// bit2 level-2 alarm, against the thresholds in its parameters).
final class ToxicTransmitterInt: ProfiledSensor {
    let config: GasSpec

    init(spec: DeviceSpec, config: GasSpec) {
        self.config = config
        super.init(spec: spec)
        addSignal("value", config.profile)
        addSignal("fault", .constant(0))
        for a: UInt16 in 0...1 { registers.define(.inputRegister, a) }
        publish()
    }

    override func publish() {
        let v = reading("value")
        registers[.inputRegister, 0] = RegisterCodec.encodeRaw(v * 10, as: .int16, order: nil)[0]
        registers[.inputRegister, 1] = gasStatus(
            value: v, fault: reading("fault") >= 0.5, alarm1: config.alarm1, alarm2: config.alarm2)
    }

    override func value(of signal: String) -> Double? { super.value(of: signal == "concentration" ? "value" : signal) }

    override func setValue(_ value: Double, of signal: String) -> Bool {
        super.setValue(value, of: signal == "concentration" ? "value" : signal)
    }

    override var summary: String { super.summary + " " + config.unit.rawValue }
}

/// Dust collector monitor.
///
/// Register map: input 0 uint16 concentration ×10 mg/m3; input 1 int16 filter pressure difference, Pa; input 2
/// int16 hopper temperature ×10 °C; input 3-4 uint32 run hours, word order CDAB (counts while the fan runs);
/// discrete inputs 0 collector fault, 1 fan running, 2 airlock fault.
final class DustMonitor: ProfiledSensor {
    private var runHours: Double

    init(spec: DeviceSpec, config: DustSpec) {
        self.runHours = config.runHours
        super.init(spec: spec)
        addSignal("concentration", config.concentration)
        addSignal("filter_dp", config.filterDP)
        addSignal("hopper_temp", config.hopperTemperature)
        addSignal("fan_running", config.fanRunning)
        addSignal("collector_fault", config.collectorFault)
        addSignal("airlock_fault", config.airlockFault)
        for a: UInt16 in 0...4 { registers.define(.inputRegister, a) }
        for a: UInt16 in 0...2 { registers.define(.discreteInput, a) }
        publish()
    }

    override func tick(t: Double, dt: Double, plant: PlantModel) {
        if (signals["fan_running"]?.value(at: t) ?? 0) >= 0.5 { runHours += dt / 3600 }
        super.tick(t: t, dt: dt, plant: plant)
    }

    override func publish() {
        registers[.inputRegister, 0] =
            RegisterCodec.encodeRaw(reading("concentration") * 10, as: .uint16, order: nil)[0]
        registers[.inputRegister, 1] = RegisterCodec.encodeRaw(reading("filter_dp"), as: .int16, order: nil)[0]
        registers[.inputRegister, 2] = RegisterCodec.encodeRaw(reading("hopper_temp") * 10, as: .int16, order: nil)[0]
        let hours = reported("run_hours", live: runHours.rounded(.down), main: false)
        registers.set32(.inputRegister, 3, hours, as: .uint32, order: .cdab)
        registers.setBit(.discreteInput, 0, reading("collector_fault") >= 0.5)
        registers.setBit(.discreteInput, 1, reading("fan_running") >= 0.5)
        registers.setBit(.discreteInput, 2, reading("airlock_fault") >= 0.5)
    }

    override var signalNames: [String] { signalOrder + ["run_hours"] }

    override func value(of signal: String) -> Double? {
        signal == "run_hours" ? runHours : super.value(of: signal)
    }

    override func setValue(_ value: Double, of signal: String) -> Bool {
        guard signal == "run_hours" else { return super.setValue(value, of: signal) }
        runHours = max(value, 0)
        publish()
        return true
    }
}

/// Rain-outlet water-quality analyser.
///
/// Register map: input 0-1 float32 pH, word order DCBA; input 2-3 float32 COD mg/L, word order BADC; input 4-5
/// uint32 conductivity µS/cm, word order CDAB; input 6 uint16 status (bit0 fault).
final class WaterQuality: ProfiledSensor {
    init(spec: DeviceSpec, config: WaterQualitySpec) {
        super.init(spec: spec)
        addSignal("ph", config.pH)
        addSignal("cod", config.cod)
        addSignal("conductivity", config.conductivity)
        addSignal("fault", config.fault)
        for a: UInt16 in 0...6 { registers.define(.inputRegister, a) }
        publish()
    }

    override func publish() {
        registers.set32(.inputRegister, 0, reading("ph"), as: .float32, order: .dcba)
        registers.set32(.inputRegister, 2, reading("cod"), as: .float32, order: .badc)
        registers.set32(.inputRegister, 4, reading("conductivity"), as: .uint32, order: .cdab)
        registers[.inputRegister, 6] = reading("fault") >= 0.5 ? 1 : 0
    }
}

/// A test device: every table holds addresses 0...999, all readable, coils and holding registers writable, and
/// the API sets any of them. Values stay as written; nothing moves on its own.
final class RegisterBank: SimDevice {
    static let size: UInt16 = 1000

    override init(spec: DeviceSpec) {
        super.init(spec: spec)
        for table in RegisterTable.allCases {
            for a in 0..<Self.size { registers.define(table, a, writable: table.isWritable) }
        }
    }

    override var summary: String { "register-bank 0...\(Self.size - 1)" }
}
