import Foundation
import ModbusWire

/// A running simulated plant: its Modbus TCP and RTU servers, the GPIO chip socket and the physics clock.
///
/// ```swift
/// var scenario = try Scenario.parse(tomlText)
/// scenario.isolate(in: temporaryDirectory)      // port 0 and private paths, for parallel tests
/// let plant = try Plant(scenario: scenario)
/// try plant.start()
/// defer { plant.stop() }
/// let port = plant.tcpPort(server: "plc")!
/// ```
///
/// Every server runs on its own Foundation thread and the physics on another, ticking every 50 ms of wall time
/// (simulation time 0 is `start()`), so a plant never blocks Swift's cooperative pool. All methods are safe to
/// call from any thread or task.
public final class Plant: @unchecked Sendable {  // server handles are guarded by `lock`, the model by `core`'s lock
    public let scenario: Scenario
    let core: PlantCore  // internal, not private: the `Plant+...` extensions reach the model through it
    private let lock = NSLock()
    private var tcp: [String: TCPServer] = [:]
    private var rtu: [String: RTUServer] = [:]
    private var gpioServer: LineServer?
    private var running = false
    private var clockStop = false
    private let clockThreads = ThreadGroup()

    /// The physics clock period.
    public static let tickInterval: Duration = .milliseconds(50)

    /// Builds the plant in its state at time 0; nothing listens until `start()`.
    /// - Throws: `ScenarioError` if the scenario's references do not check out.
    public init(scenario: Scenario) throws {
        self.scenario = scenario
        core = PlantCore(model: try PlantModel(scenario: scenario))
    }

    deinit {
        stop()
    }

    // MARK: Life cycle

    /// Opens every server, then starts the clock. On failure, whatever had started is stopped again. A stopped
    /// plant can be started again; its state and simulation time carry on.
    /// - Throws: `SystemError` naming the call that failed (a port in use, a path that cannot be created).
    public func start() throws {
        let started: Bool = try lock.withLock {
            guard !running else { return false }
            var tcp: [String: TCPServer] = [:]
            var rtu: [String: RTUServer] = [:]
            var gpio: LineServer?
            do {
                for server in scenario.servers {
                    switch server.transport {
                    case .tcp(let spec):
                        let s = TCPServer(name: server.name, spec: spec, core: core)
                        try s.start()
                        tcp[server.name] = s
                    case .rtu(let spec):
                        let s = RTUServer(name: server.name, spec: spec, core: core)
                        try s.start()
                        rtu[server.name] = s
                    }
                }
                if let spec = scenario.gpio {
                    let core = self.core
                    let server = LineServer(
                        path: spec.socketPath, label: "gpio",
                        onConnect: { core.with { $0.gpio!.connect() } },
                        onLine: { line, id in [core.with { $0.gpio!.command(line, connection: id) }] },
                        onDisconnect: { id in core.with { $0.gpio!.disconnect(id) } })
                    try server.start()
                    gpio = server
                }
            } catch {
                for server in tcp.values { server.stop() }
                for server in rtu.values { server.stop() }
                gpio?.stop()
                throw error
            }
            self.tcp = tcp
            self.rtu = rtu
            gpioServer = gpio
            core.register(tcp: tcp)
            running = true
            clockStop = false
            return true
        }
        guard started else { return }
        // After a stop(), simulation time carries on from where it stopped.
        let resume = core.with { $0.time }
        let start = ContinuousClock.now - .nanoseconds(Int64(resume * 1e9))
        clockThreads.spawn("levee-sim clock") { [self] in clockLoop(start: start) }
    }

    /// Stops the clock and every server, and removes the RTU links and the GPIO socket. Idempotent.
    public func stop() {
        let (tcp, rtu, gpio): ([TCPServer], [RTUServer], LineServer?) = lock.withLock {
            guard running else { return ([], [], nil) }
            running = false
            clockStop = true
            defer {
                self.tcp = [:]
                self.rtu = [:]
                gpioServer = nil
            }
            return (Array(self.tcp.values), Array(self.rtu.values), gpioServer)
        }
        clockThreads.wait(timeout: 5)
        for server in tcp { server.stop() }
        for server in rtu { server.stop() }
        gpio?.stop()
        core.register(tcp: [:])
    }

    public var isRunning: Bool { lock.withLock { running } }

    private func clockLoop(start: ContinuousClock.Instant) {
        var next = start
        while !lock.withLock({ clockStop }) {
            next += Self.tickInterval
            let now = ContinuousClock.now
            if now > next + .seconds(1) { next = now }  // the machine stalled: do not replay a burst of ticks
            POSIX.sleep(until: next)
            let t = start.duration(to: .now).seconds
            core.with { $0.tick(to: t) }
        }
    }

    /// Answers a request PDU as a server would, without a socket; nil where the server would stay silent.
    /// Counted and logged like a request from the wire.
    func handleForTesting(server: String, unit: UInt8, pdu: [UInt8]) -> [UInt8]? {
        let now = ContinuousClock.now
        guard case .pdu(let reply, _) = core.with({ $0.handle(server: server, unit: unit, pdu: pdu, receivedAt: now) })
        else { return nil }
        return reply
    }

    // MARK: Where the servers are

    /// The port a TCP server listens on (the kernel's pick if the scenario said 0), or nil if not running.
    public func tcpPort(server: String) -> Int? { lock.withLock { tcp[server]?.port } }

    /// The symbolic link clients open for an RTU server.
    public func rtuLinkPath(server: String) -> String? {
        for s in scenario.servers where s.name == server {
            if case .rtu(let spec) = s.transport { return spec.link }
        }
        return nil
    }

    /// The pty slave (`/dev/pts/N`) behind an RTU server's link, or nil if not running.
    public func rtuDevicePath(server: String) -> String? { lock.withLock { rtu[server]?.slavePath } }

    /// The Unix socket of the simulated GPIO chip.
    public var gpioSocketPath: String? { scenario.gpio?.socketPath }

    /// Open client connections on a TCP server.
    public func tcpConnectionCount(server: String) -> Int { lock.withLock { tcp[server]?.connectionCount ?? 0 } }

    /// Seconds of simulation time since `start()`.
    public var simulationTime: Double { core.with { $0.time } }

    // MARK: Faults

    /// Injects a fault now. With `duration` (simulation seconds) it clears itself; for `drop`, new connections
    /// are refused that long.
    /// - Throws: `PlantError` for an unknown device or a fault the device's model cannot have.
    public func inject(_ fault: Fault, device: String, duration: Double? = nil) throws {
        try core.with { try $0.inject(fault, device: device, duration: duration) }
    }

    /// Removes every fault of a device; a `local`/`remote` fault's removal returns the selector to its own setting.
    public func clear(device: String) throws {
        try core.with { try $0.clear(device: device) }
    }

    /// Removes one kind of fault from a device.
    public func clear(_ kind: String, device: String) throws {
        try core.with { model in
            guard let d = model.byID[device] else { throw PlantError.unknownDevice(device) }
            d.clearFault(kind: kind)
        }
    }

    /// The faults active on a device, sorted by kind.
    public func faults(device: String) -> [Fault] {
        core.with { $0.byID[device].map { $0.faults.sorted { $0.key < $1.key }.map(\.value) } ?? [] }
    }

    // MARK: Observation

    /// Requests received by a server, optionally only for one unit and/or function code. Counts every frame that
    /// arrived whole, whether or not it was answered (dead devices and unknown units included).
    public func requestCount(server: String, unit: UInt8? = nil, function: UInt8? = nil) -> Int {
        core.with { $0.requestCount(server: server, unit: unit, function: function) }
    }

    /// Write requests as they arrived, oldest first, optionally for one server only.
    public func writeLog(server: String? = nil) -> [WriteRecord] {
        core.with { model in server.map { s in model.writeLog.filter { $0.server == s } } ?? model.writeLog }
    }

    /// Zeroes the request counters and empties the write log.
    public func resetObservations() { core.with { $0.resetObservations() } }

    public func valve(_ id: String) -> ValveState? {
        core.with { model in
            model.valve(id).map {
                ValveState(
                    positionPercent: $0.position, openLimit: $0.openLimit, closedLimit: $0.closedLimit,
                    moving: $0.moving, mode: $0.mode, fault: $0.fault)
            }
        }
    }

    public func pump(_ id: String) -> PumpState? {
        core.with { model in model.pump(id).map { PumpState(running: $0.running, fault: $0.tripped, mode: $0.mode) } }
    }

    /// A device signal in engineering units (bools 0/1), before sensor faults: e.g. `("pool-level", "level")`
    /// in metres, `("gas-a1", "value")`, `("rain-valve-1", "position")`. Signal names are listed in the README.
    public func value(device: String, signal: String) -> Double? {
        core.with { $0.byID[device]?.value(of: signal) }
    }

    /// Sets a signal directly. A scripted profile is replaced by this constant; a valve position stops travel;
    /// a pool level continues its physics from the new level.
    public func setValue(_ value: Double, device: String, signal: String) throws {
        try core.with { model in
            guard let d = model.byID[device] else { throw PlantError.unknownDevice(device) }
            guard d.setValue(value, of: signal) else {
                throw PlantError.unknownSignal(device: device, signal: signal, known: d.signalNames)
            }
        }
    }

    /// The raw value at an address of a device's register map, or nil if the address does not exist.
    public func register(_ table: RegisterTable, address: UInt16, device: String) -> UInt16? {
        core.with { model in
            guard let d = model.byID[device], d.registers.isDefined(table, address) else { return nil }
            return d.registers[table, address]
        }
    }

    /// Sets raw values at consecutive addresses. Meant for `register-bank`; on a modelled device the model
    /// overwrites its own registers again at its next tick.
    /// - Throws: `PlantError.addressNotDefined` if any address does not exist on the device.
    public func setRegisters(_ table: RegisterTable, address: UInt16, values: [UInt16], device: String) throws {
        try core.with { model in
            guard let d = model.byID[device] else { throw PlantError.unknownDevice(device) }
            for i in values.indices where !d.registers.isDefined(table, address &+ UInt16(i)) {
                throw PlantError.addressNotDefined(device: device, table: table, address: address &+ UInt16(i))
            }
            for (i, v) in values.enumerated() { d.registers[table, address + UInt16(i)] = v }
        }
    }

    public func setCoil(device: String, address: UInt16, _ value: Bool) throws {
        try setRegisters(.coil, address: address, values: [value ? 1 : 0], device: device)
    }

    public func setDiscreteInput(device: String, address: UInt16, _ value: Bool) throws {
        try setRegisters(.discreteInput, address: address, values: [value ? 1 : 0], device: device)
    }

    public func setHoldingRegister(device: String, address: UInt16, _ value: UInt16) throws {
        try setRegisters(.holdingRegister, address: address, values: [value], device: device)
    }

    public func setInputRegister(device: String, address: UInt16, _ value: UInt16) throws {
        try setRegisters(.inputRegister, address: address, values: [value], device: device)
    }

    /// Encodes an engineering value with `RegisterCodec` (type, word order, scaling) and stores its registers.
    public func setEncoded(
        _ value: Double, as type: ValueType, order: WordOrder? = nil, scaling: Scaling = .identity,
        table: RegisterTable, address: UInt16, device: String
    ) throws {
        let words = RegisterCodec.encodeRaw(scaling.raw(fromEngineering: value), as: type, order: order)
        try setRegisters(table, address: address, values: words, device: device)
    }

    // MARK: GPIO

    /// Presses a button: a normally-closed contact opens (level 0).
    public func pressButton(line: Int) throws { try button(line, down: true) }

    /// Releases a button: a normally-closed contact closes again (level 1).
    public func releaseButton(line: Int) throws { try button(line, down: false) }

    private func button(_ line: Int, down: Bool) throws {
        try core.with { model in
            guard let gpio = model.gpio, gpio.isValid(line) else { throw PlantError.unknownLine(line) }
            guard case .button? = gpio.role(line) else { throw PlantError.notAButton(line) }
            gpio.press(line, down)
        }
    }

    /// Forces an input line to a physical level (a cut wire reads 0; a rain contact switched by hand), or with
    /// nil returns it to its model. On an output line this drives it, as a client's `SET` would.
    public func setLineLevel(line: Int, level: Int?) throws {
        try core.with { model in
            guard let gpio = model.gpio, gpio.isValid(line) else { throw PlantError.unknownLine(line) }
            gpio.force(line, level.map { $0 != 0 ? 1 : 0 })
        }
    }

    /// The physical level of a GPIO line (an output as the client drove it), or nil if there is no such line.
    public func gpioLevel(line: Int) -> Int? { core.with { $0.gpioLevel(line) } }

    // MARK: Status

    /// A human-readable snapshot: servers, devices with their state and faults, GPIO lines.
    public func status() -> String {
        let ports: [String: String] = lock.withLock {
            var out: [String: String] = [:]
            for (name, s) in tcp { out[name] = "\(s.spec.host):\(s.port)" }
            for (name, s) in rtu { out[name] = "\(s.spec.link) -> \(s.slavePath)" }
            return out
        }
        return core.with { model in
            var lines = [String(format: "plant %@ t=%.1f s", scenario.name, model.time)]
            for s in scenario.servers {
                let units = model.units(on: s.name).map(String.init).joined(separator: ",")
                switch s.transport {
                case .tcp(let spec):
                    lines.append(
                        "server \(s.name) tcp \(ports[s.name] ?? "\(spec.host):\(spec.port) (stopped)")"
                            + (spec.gateway ? " gateway" : "") + " units \(units)")
                case .rtu(let spec):
                    let parity = spec.parity == .none ? "N" : spec.parity == .even ? "E" : "O"
                    lines.append(
                        "server \(s.name) rtu \(ports[s.name] ?? "\(spec.link) (stopped)") "
                            + "\(spec.baud) \(spec.dataBits)\(parity)\(spec.stopBits) units \(units)")
                }
            }
            for d in scenario.devices {
                guard let device = model.byID[d.id] else { continue }
                let faults = device.faults.values.map(\.description).sorted()
                lines.append(
                    "device \(d.id) \(d.server)/\(d.unitID) \(device.summary)"
                        + (faults.isEmpty ? "" : " FAULTS: " + faults.joined(separator: ", ")))
            }
            if let gpio = model.gpio {
                lines.append("gpio \(gpio.spec.chipName) \(gpio.spec.socketPath)")
                for l in gpio.spec.lines.sorted(by: { $0.offset < $1.offset }) {
                    let role: String
                    switch l.role {
                    case .button(let nc): role = nc ? "button(nc)" : "button(no)"
                    case .rain: role = "rain"
                    case .output: role = "output"
                    }
                    lines.append("line \(l.offset) \(l.name) \(role) level \(gpio.level(l.offset) ?? 0)")
                }
            }
            return lines.joined(separator: "\n")
        }
    }
}
