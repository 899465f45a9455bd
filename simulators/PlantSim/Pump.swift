import ModbusWire

/// A transfer pump's starter.
///
/// Register map: discrete inputs 0 running, 1 fault, 2 remote; coils 0 start, 1 stop (write 1; latched and
/// cleared at the next scan, like the valve's pulse inputs). In local mode, with `stuck` or with a fault, remote
/// commands are accepted on the wire and ignored. A fault trips a running pump.
final class Pump: SimDevice {
    let config: PumpSpec
    private(set) var running: Bool
    private var selector: SelectorMode
    private(set) var tripped = false
    private var pendingStart = false
    private var pendingStop = false

    override var tickOrder: Int { 0 }

    init(spec: DeviceSpec, config: PumpSpec) {
        self.config = config
        self.running = config.running
        self.selector = config.mode
        super.init(spec: spec)
        for a: UInt16 in 0...2 { registers.define(.discreteInput, a) }
        for a: UInt16 in 0...1 { registers.define(.coil, a, writable: true) }
        publish()
    }

    var mode: SelectorMode {
        if hasFault("local") { return .local }
        if hasFault("remote") { return .remote }
        return selector
    }

    /// Flow in m³/h while running.
    var flowM3h: Double { running ? config.flowM3h : 0 }

    override func didWrite(_ table: RegisterTable, _ address: UInt16, _ values: [UInt16]) throws(ModbusExceptionCode) {
        for (i, v) in values.enumerated() {
            let a = address + UInt16(i)
            registers[.coil, a] = v
            if v != 0 {
                if a == 0 { pendingStart = true } else { pendingStop = true }
            }
        }
    }

    override func tick(t: Double, dt: Double, plant: PlantModel) {
        if pendingStart || pendingStop {
            registers[.coil, 0] = 0
            registers[.coil, 1] = 0
            if mode == .remote && !hasFault("stuck") && !tripped {
                // Stop wins when both arrive in one scan, as a starter's stop circuit does.
                running = pendingStop ? false : true
            }
            pendingStart = false
            pendingStop = false
        }
        if tripped { running = false }
        publish()
    }

    private func publish() {
        registers.setBit(.discreteInput, 0, running)
        registers.setBit(.discreteInput, 1, tripped)
        registers.setBit(.discreteInput, 2, mode == .remote)
    }

    override func faultsChanged() { publish() }

    override var signalNames: [String] { ["running", "fault", "remote"] }

    override func value(of signal: String) -> Double? {
        switch signal {
        case "running": running ? 1 : 0
        case "fault": tripped ? 1 : 0
        case "remote": mode == .remote ? 1 : 0
        default: nil
        }
    }

    override func setValue(_ value: Double, of signal: String) -> Bool {
        switch signal {
        case "running": running = value != 0
        case "fault":
            tripped = value != 0
            if tripped { running = false }
        case "remote": selector = value != 0 ? .remote : .local
        default: return false
        }
        publish()
        return true
    }

    override var summary: String {
        "pump \(running ? "running" : "stopped") \(mode.rawValue)" + (tripped ? " fault" : "")
    }
}
