import Foundation
import ModbusWire

/// An electric rain-outlet or gate valve actuator with a hand/auto selector.
///
/// Register map (0-based PDU addresses):
/// - discrete inputs 0 open limit, 1 closed limit, 2 remote selected, 3 fault (torque trip)
/// - coils 0 open, 1 close, 2 stop: write 1; the actuator latches the command and clears the coil at its next
///   scan (within one 50 ms tick), like a pulse input
/// - holding 0 command register: 1 open, 2 close, 3 stop, reads back 0 once accepted; other values give 03
/// - holding 1 status word (read only): bit0 open limit, bit1 closed limit, bit2 remote, bit3 fault, bit4 moving
/// - input 0 position 0...1000 (0.1 %)
///
/// Travel is linear over the stroke time. A limit is on only at its end of travel. In local mode remote commands
/// are accepted on the wire and ignored, and switching to local stops a remote-driven travel.
final class ValveActuator: SimDevice {
    enum Command { case open, close, stop }

    let config: ValveSpec
    /// 0 closed ... 100 open.
    private(set) var position: Double
    /// 0 or 100 while travelling.
    private(set) var target: Double?
    private var selector: SelectorMode
    private var torqueTrip = false
    private var pending: Command?
    /// Reached the `halfway` fault's position; stays until the fault is cleared.
    private var jammed = false

    override var tickOrder: Int { 0 }

    init(spec: DeviceSpec, config: ValveSpec) {
        self.config = config
        self.position = config.initialPercent
        self.selector = config.mode
        super.init(spec: spec)
        for a: UInt16 in 0...3 { registers.define(.discreteInput, a) }
        for a: UInt16 in 0...2 { registers.define(.coil, a, writable: true) }
        registers.define(.holdingRegister, 0, writable: true)
        registers.define(.holdingRegister, 1)
        registers.define(.inputRegister, 0)
        publish()
    }

    /// The selector as the plant sees it: a `local`/`remote` fault overrides the configured position.
    var mode: SelectorMode {
        if hasFault("local") { return .local }
        if hasFault("remote") { return .remote }
        return selector
    }

    var openLimit: Bool { position >= 100 }
    var closedLimit: Bool { position <= 0 }
    var moving: Bool { target != nil }
    var fault: Bool { torqueTrip }

    override func didWrite(_ table: RegisterTable, _ address: UInt16, _ values: [UInt16]) throws(ModbusExceptionCode) {
        if table == .holdingRegister {
            // Only holding 0 is writable; validate before storing anything.
            guard let v = values.first, v <= 3 else { throw .illegalDataValue }
            registers[.holdingRegister, 0] = v
            if v != 0 { latch([.open, .close, .stop][Int(v) - 1]) }
            return
        }
        for (i, v) in values.enumerated() {
            let a = address + UInt16(i)
            registers[.coil, a] = v
            if v != 0 { latch([.open, .close, .stop][Int(a)]) }
        }
    }

    /// Keeps the strongest command written in one scan: stop over close over open.
    private func latch(_ command: Command) {
        switch (pending, command) {
        case (.stop?, _), (.close?, .open): break
        default: pending = command
        }
    }

    override func tick(t: Double, dt: Double, plant: PlantModel) {
        if let command = pending {
            pending = nil
            for a: UInt16 in 0...2 { registers[.coil, a] = 0 }
            registers[.holdingRegister, 0] = 0
            if mode == .remote && !hasFault("stuck") && !jammed && !torqueTrip {
                switch command {
                case .open: target = position < 100 ? 100 : nil
                case .close: target = position > 0 ? 0 : nil
                case .stop: target = nil
                }
            }
        }
        if mode == .local || hasFault("stuck") || torqueTrip { target = nil }
        if let target, dt > 0 {
            let step = 100 / config.strokeSeconds * dt
            var next = target > position ? min(position + step, target) : max(position - step, target)
            if case .halfway(let p)? = faults["halfway"], min(position, next) <= p, p <= max(position, next) {
                next = p
                jammed = true
                self.target = nil
            }
            position = next
            if position == target { self.target = nil }
        }
        publish()
    }

    override func faultsChanged() {
        if case .halfway(let p)? = faults["halfway"] {
            if position == p {
                jammed = true
                target = nil
            }
        } else {
            jammed = false
        }
        if hasFault("stuck") || mode == .local { target = nil }
        publish()
    }

    private func publish() {
        registers.setBit(.discreteInput, 0, openLimit)
        registers.setBit(.discreteInput, 1, closedLimit)
        registers.setBit(.discreteInput, 2, mode == .remote)
        registers.setBit(.discreteInput, 3, torqueTrip)
        var status: UInt16 = 0
        if openLimit { status |= 1 }
        if closedLimit { status |= 2 }
        if mode == .remote { status |= 4 }
        if torqueTrip { status |= 8 }
        if moving { status |= 16 }
        registers[.holdingRegister, 1] = status
        registers[.inputRegister, 0] = UInt16((position * 10).rounded())
    }

    override var signalNames: [String] { ["position", "fault", "remote"] }

    override func value(of signal: String) -> Double? {
        switch signal {
        case "position": position
        case "fault": torqueTrip ? 1 : 0
        case "remote": mode == .remote ? 1 : 0
        default: nil
        }
    }

    override func setValue(_ value: Double, of signal: String) -> Bool {
        switch signal {
        case "position":
            position = min(max(value, 0), 100)
            target = nil
        case "fault":
            torqueTrip = value != 0
            if torqueTrip { target = nil }
        case "remote":
            selector = value != 0 ? .remote : .local
            if selector == .local { target = nil }
        default:
            return false
        }
        publish()
        return true
    }

    override var summary: String {
        let state =
            openLimit ? "open" : closedLimit ? "closed" : moving ? (target == 100 ? "opening" : "closing") : "stopped"
        return "valve \(String(format: "%.1f", position))% \(state) \(mode.rawValue)"
            + (torqueTrip ? " torque-trip" : "")
    }
}
