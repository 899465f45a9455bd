import ModbusWire

/// What a server sends back for one request.
enum Reply {
    /// Nothing: a dead device, an unknown unit behind a plain server, a broadcast.
    case silent
    /// This PDU, after `extraDelay` seconds on top of any wire time (the `slow` fault).
    case pdu([UInt8], extraDelay: Double)
}

/// The whole simulated plant state: devices, GPIO chip, faults, counters and the write log.
/// Not thread-safe: `Plant` and the servers use it only under the plant lock.
final class PlantModel {
    let scenario: Scenario
    private(set) var time: Double = 0
    /// In tick order: actuators first, then the instruments that read them.
    let devices: [SimDevice]
    let byID: [String: SimDevice]
    private let byAddress: [String: [UInt8: SimDevice]]
    private let gateways: Set<String>
    let gpio: GPIOChip?

    private(set) var counters: [RequestKey: Int] = [:]
    private(set) var writeLog: [WriteRecord] = []
    /// A long demo run must not grow without bound.
    static let writeLogLimit = 100_000

    private var scripted: [ScriptedFault]
    private var expiries: [(at: Double, device: String, kind: String)] = []
    /// `drop` faults waiting for the caller to act on them outside the lock.
    var pendingDrops: [(server: String, refuseSeconds: Double?)] = []

    init(scenario: Scenario) throws {
        try scenario.validate()
        self.scenario = scenario
        var list: [SimDevice] = []
        for d in scenario.devices {
            switch d.model {
            case .valveActuator(let c): list.append(ValveActuator(spec: d, config: c))
            case .pump(let c): list.append(Pump(spec: d, config: c))
            case .levelTransmitter(let c): list.append(LevelTransmitter(spec: d, config: c))
            case .gasTransmitter(let c): list.append(GasTransmitter(spec: d, config: c))
            case .toxicTransmitterInt(let c): list.append(ToxicTransmitterInt(spec: d, config: c))
            case .dustMonitor(let c): list.append(DustMonitor(spec: d, config: c))
            case .waterQuality(let c): list.append(WaterQuality(spec: d, config: c))
            case .registerBank: list.append(RegisterBank(spec: d))
            }
        }
        devices = list.enumerated().sorted { ($0.element.tickOrder, $0.offset) < ($1.element.tickOrder, $1.offset) }
            .map(\.element)
        byID = Dictionary(uniqueKeysWithValues: list.map { ($0.id, $0) })
        var addresses: [String: [UInt8: SimDevice]] = [:]
        for d in list { addresses[d.spec.server, default: [:]][d.spec.unitID] = d }
        byAddress = addresses
        gateways = Set(
            scenario.servers.compactMap { s in
                if case .tcp(let tcp) = s.transport, tcp.gateway { return s.name }
                return nil
            })
        gpio = scenario.gpio.map(GPIOChip.init)
        scripted = scenario.faults.sorted { $0.atSeconds < $1.atSeconds }
        tick(to: 0)
    }

    func valve(_ id: String) -> ValveActuator? { byID[id] as? ValveActuator }
    func pump(_ id: String) -> Pump? { byID[id] as? Pump }
    func gpioLevel(_ offset: Int) -> Int? { gpio?.level(offset) }

    func units(on server: String) -> [UInt8] { byAddress[server].map { Array($0.keys).sorted() } ?? [] }

    // MARK: Requests

    /// Handles one request PDU addressed to `unit` on `server`.
    func handle(server: String, unit: UInt8, pdu: [UInt8], receivedAt: ContinuousClock.Instant) -> Reply {
        let function = pdu.first ?? 0
        counters[RequestKey(server: server, unit: unit, function: function), default: 0] += 1
        guard let device = byAddress[server]?[unit] else {
            if gateways.contains(server) {
                return .pdu(
                    ModbusResponse.exception(function: function, .gatewayTargetFailedToRespond).pdu, extraDelay: 0)
            }
            return .silent
        }
        let request: ModbusRequest
        do {
            request = try ModbusRequest.parse(pdu: pdu)
        } catch {
            if device.hasFault("dead") { return .silent }
            return .pdu(ModbusResponse.exception(function: function, error).pdu, extraDelay: delay(device))
        }
        if request.isWrite { log(server: server, unit: unit, device: device.id, request, receivedAt) }
        if device.hasFault("dead") { return .silent }
        if case .exception(let code)? = device.faults["exception"] {
            return .pdu(ModbusResponse.exception(function: function, code).pdu, extraDelay: delay(device))
        }
        do {
            let values = try device.execute(request)
            return .pdu(ModbusResponse.success(to: request, readValues: values).pdu, extraDelay: delay(device))
        } catch {
            return .pdu(ModbusResponse.exception(function: function, error).pdu, extraDelay: delay(device))
        }
    }

    /// Executes an RTU broadcast (unit 0) on every device of `server`: writes only, and nobody replies.
    func broadcast(server: String, pdu: [UInt8], receivedAt: ContinuousClock.Instant) {
        let function = pdu.first ?? 0
        counters[RequestKey(server: server, unit: 0, function: function), default: 0] += 1
        guard let request = try? ModbusRequest.parse(pdu: pdu), request.isWrite else { return }
        log(server: server, unit: 0, device: nil, request, receivedAt)
        for device in byAddress[server]?.values.sorted(by: { $0.spec.unitID < $1.spec.unitID }) ?? []
        where !device.hasFault("dead") && !device.hasFault("exception") {
            _ = try? device.execute(request)
        }
    }

    private func delay(_ device: SimDevice) -> Double {
        if case .slow(let ms)? = device.faults["slow"] { return Double(ms) / 1000 }
        return 0
    }

    private func log(
        server: String, unit: UInt8, device: String?, _ request: ModbusRequest,
        _ at: ContinuousClock.Instant
    ) {
        let values: [UInt16]
        switch request {
        case .read: return
        case .writeSingleCoil(_, let v): values = [v ? 1 : 0]
        case .writeSingleRegister(_, let v): values = [v]
        case .writeMultipleCoils(_, let v): values = v.map { $0 ? 1 : 0 }
        case .writeMultipleRegisters(_, let v): values = v
        }
        writeLog.append(
            WriteRecord(
                server: server, unit: unit, device: device, function: request.functionCode,
                address: request.address, values: values, receivedAt: at))
        if writeLog.count > Self.writeLogLimit { writeLog.removeFirst(writeLog.count - Self.writeLogLimit) }
    }

    func requestCount(server: String, unit: UInt8?, function: UInt8?) -> Int {
        counters.reduce(0) { sum, entry in
            let k = entry.key
            guard k.server == server, unit.map({ $0 == k.unit }) ?? true, function.map({ $0 == k.function }) ?? true
            else { return sum }
            return sum + entry.value
        }
    }

    func resetObservations() {
        counters = [:]
        writeLog = []
    }

    // MARK: Time

    /// Advances the plant to simulation time `t`: scripted faults, expiries, GPIO patterns, then device physics.
    func tick(to t: Double) {
        let dt = max(t - time, 0)
        time = t
        while let next = scripted.first, next.atSeconds <= t {
            scripted.removeFirst()
            try? inject(next.fault, device: next.device, duration: next.durationSeconds)
        }
        let due = expiries.filter { $0.at <= t }
        expiries.removeAll { $0.at <= t }
        for e in due { byID[e.device]?.clearFault(kind: e.kind) }
        gpio?.tick(t: t)
        for d in devices { d.tick(t: t, dt: dt, plant: self) }
    }

    // MARK: Faults

    /// Injects `fault`; with a duration it is cleared again that many simulation seconds later (for `drop`, new
    /// connections are refused that long).
    func inject(_ fault: Fault, device id: String, duration: Double?) throws {
        guard let device = byID[id] else { throw PlantError.unknownDevice(id) }
        let server = scenario.servers.first { $0.name == device.spec.server }
        if let reason = device.spec.model.rejects(fault, on: server) { throw PlantError.faultNotApplicable(reason) }
        if case .drop = fault {
            pendingDrops.append((device.spec.server, duration))
            return
        }
        expiries.removeAll { $0.device == id && $0.kind == fault.kind }
        device.inject(fault)
        if let duration { expiries.append((time + duration, id, fault.kind)) }
    }

    func clear(device id: String) throws {
        guard let device = byID[id] else { throw PlantError.unknownDevice(id) }
        expiries.removeAll { $0.device == id }
        device.clearAllFaults()
    }
}

/// A misuse of the plant API: an unknown device, server or line, or a fault a device cannot take.
public enum PlantError: Error, Sendable, Hashable, CustomStringConvertible {
    case unknownDevice(String)
    case unknownServer(String)
    case unknownSignal(device: String, signal: String, known: [String])
    case unknownLine(Int)
    case notAButton(Int)
    case faultNotApplicable(String)
    case addressNotDefined(device: String, table: RegisterTable, address: UInt16)
    case notStarted

    public var description: String {
        switch self {
        case .unknownDevice(let id): "no device \"\(id)\""
        case .unknownServer(let name): "no server \"\(name)\""
        case .unknownSignal(let device, let signal, let known):
            "device \"\(device)\" has no signal \"\(signal)\" (signals: \(known.joined(separator: ", ")))"
        case .unknownLine(let n): "no GPIO line \(n)"
        case .notAButton(let n): "GPIO line \(n) is not a button"
        case .faultNotApplicable(let reason): reason
        case .addressNotDefined(let device, let table, let address):
            "device \"\(device)\" has no \(table.rawValue) address \(address)"
        case .notStarted: "the plant is not running"
        }
    }
}
