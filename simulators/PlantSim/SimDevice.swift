import ModbusWire

/// The registers of one unit: four sparse tables of 0-based PDU addresses. An address not in a table does not
/// exist on the device, and reading it gives exception 02, as real devices answer.
struct RegisterSpace {
    private var values: [RegisterTable: [UInt16: UInt16]] = [:]
    private var writable: [RegisterTable: Set<UInt16>] = [:]

    /// Makes `address` exist in `table`; `writable` lets a master write it (coils and holding registers only).
    mutating func define(_ table: RegisterTable, _ address: UInt16, value: UInt16 = 0, writable canWrite: Bool = false)
    {
        values[table, default: [:]][address] = value
        if canWrite { writable[table, default: []].insert(address) }
    }

    func isDefined(_ table: RegisterTable, _ address: UInt16) -> Bool { values[table]?[address] != nil }
    func isWritable(_ table: RegisterTable, _ address: UInt16) -> Bool { writable[table]?.contains(address) == true }

    subscript(_ table: RegisterTable, _ address: UInt16) -> UInt16 {
        get { values[table]?[address] ?? 0 }
        set {
            guard isDefined(table, address) else { return }
            values[table]![address] = newValue
        }
    }

    /// Stores a bit table value as 0 or 1.
    mutating func setBit(_ table: RegisterTable, _ address: UInt16, _ on: Bool) { self[table, address] = on ? 1 : 0 }

    /// Stores a 32-bit value in two registers in `order`.
    mutating func set32(
        _ table: RegisterTable, _ address: UInt16, _ value: Double, as type: ValueType, order: WordOrder
    ) {
        let words = RegisterCodec.encodeRaw(value, as: type, order: order)
        for (i, w) in words.enumerated() { self[table, address + UInt16(i)] = w }
    }
}

/// One simulated unit behind a server. Subclasses hold a device model: they define their register map in `init`,
/// react to writes in `didWrite`, and update their registers in `tick`. All access happens under the plant lock.
class SimDevice {
    let spec: DeviceSpec
    var registers = RegisterSpace()
    /// Active faults by kind.
    private(set) var faults: [String: Fault] = [:]
    /// Readings captured when `frozen` began, by signal name.
    private var frozenReadings: [String: Double] = [:]

    var id: String { spec.id }

    /// Devices whose state others read (valves, pumps) tick first.
    var tickOrder: Int { 1 }

    init(spec: DeviceSpec) {
        self.spec = spec
    }

    // MARK: Wire

    /// Executes a request against the register map.
    /// - Returns: for a read, the values (bits as 0/1).
    /// - Throws: the exception code to answer with.
    func execute(_ request: ModbusRequest) throws(ModbusExceptionCode) -> [UInt16] {
        switch request {
        case .read(let table, let address, let count):
            var out: [UInt16] = []
            out.reserveCapacity(Int(count))
            for i in 0..<Int(count) {
                let a = address &+ UInt16(i)
                guard registers.isDefined(table, a) else { throw .illegalDataAddress }
                out.append(registers[table, a])
            }
            return out
        case .writeSingleCoil(let address, let value):
            try write(.coil, address, [value ? 1 : 0])
        case .writeSingleRegister(let address, let value):
            try write(.holdingRegister, address, [value])
        case .writeMultipleCoils(let address, let values):
            try write(.coil, address, values.map { $0 ? 1 : 0 })
        case .writeMultipleRegisters(let address, let values):
            try write(.holdingRegister, address, values)
        }
        return []
    }

    private func write(_ table: RegisterTable, _ address: UInt16, _ values: [UInt16]) throws(ModbusExceptionCode) {
        for i in values.indices where !registers.isWritable(table, address &+ UInt16(i)) {
            throw .illegalDataAddress
        }
        try didWrite(table, address, values)
    }

    /// Stores a write from the wire; models override to validate values (throw 03) and latch commands.
    func didWrite(_ table: RegisterTable, _ address: UInt16, _ values: [UInt16]) throws(ModbusExceptionCode) {
        for (i, v) in values.enumerated() { registers[table, address + UInt16(i)] = v }
    }

    // MARK: Model

    /// Advances the model to simulation time `t` (seconds), `dt` seconds after the previous tick.
    func tick(t: Double, dt: Double, plant: PlantModel) {}

    /// Signal names `setValue` and `value` accept.
    var signalNames: [String] { [] }

    /// The model's current value of `signal` (engineering units; bools as 0/1), before faults.
    func value(of signal: String) -> Double? { nil }

    /// Sets a signal directly; it then stays at that value (a profile is replaced by a constant).
    func setValue(_ value: Double, of signal: String) -> Bool { false }

    /// A short human summary for `status`.
    var summary: String { spec.model.modelName }

    // MARK: Faults

    func inject(_ fault: Fault) {
        if case .frozen = fault { frozenReadings = [:] }
        faults[fault.kind] = fault
        if fault.kind == "local" { faults["remote"] = nil }
        if fault.kind == "remote" { faults["local"] = nil }
        faultsChanged()
    }

    func clearFault(kind: String) {
        faults[kind] = nil
        if kind == "frozen" { frozenReadings = [:] }
        faultsChanged()
    }

    func clearAllFaults() {
        faults = [:]
        frozenReadings = [:]
        faultsChanged()
    }

    /// Called after the set of faults changed.
    func faultsChanged() {}

    func hasFault(_ kind: String) -> Bool { faults[kind] != nil }

    /// The reading a sensor reports for `signal` given its live value, after `frozen` and `out-of-range`.
    /// - Parameter main: whether `signal` is the one `out-of-range` without a `signal` key applies to.
    func reported(_ signal: String, live: Double, main: Bool) -> Double {
        if case .outOfRange(let value, let target)? = faults["out-of-range"],
            target == signal || (target == nil && main)
        {
            return value
        }
        if faults["frozen"] != nil {
            if let held = frozenReadings[signal] { return held }
            frozenReadings[signal] = live
        }
        return live
    }
}
