import ModbusWire

/// A simulated plant as data: the Modbus servers, the devices behind them, the GPIO chip and the scripted faults.
///
/// Read from TOML with `Scenario.parse(_:source:)`; `simulators/README.md` documents every key. All fields are
/// public and mutable so a test can adjust a scenario (stroke time, ports, paths) before starting a `Plant`.
public struct Scenario: Sendable {
    /// File name (or other label) used in error messages.
    public var source: String
    public var name: String
    /// Where `levee-sim run` listens for control commands.
    public var controlSocketPath: String
    public var servers: [ServerSpec]
    public var devices: [DeviceSpec]
    public var gpio: GPIOSpec?
    public var faults: [ScriptedFault]

    public static let defaultControlSocketPath = "/tmp/levee-sim/control.sock"

    public init(
        source: String = "scenario", name: String = "plant", controlSocketPath: String = defaultControlSocketPath,
        servers: [ServerSpec] = [], devices: [DeviceSpec] = [], gpio: GPIOSpec? = nil, faults: [ScriptedFault] = []
    ) {
        self.source = source
        self.name = name
        self.controlSocketPath = controlSocketPath
        self.servers = servers
        self.devices = devices
        self.gpio = gpio
        self.faults = faults
    }

    /// Moves everything that could collide with another running plant into `directory`: TCP ports become 0
    /// (the kernel picks free ones; ask `Plant.tcpPort(server:)`), RTU links, the GPIO socket and the control
    /// socket get paths inside `directory`. Parallel tests call this on the same scenario text.
    public mutating func isolate(in directory: String) {
        for i in servers.indices {
            switch servers[i].transport {
            case .tcp(var tcp):
                tcp.port = 0
                servers[i].transport = .tcp(tcp)
            case .rtu(var rtu):
                rtu.link = directory + "/tty-" + servers[i].name
                servers[i].transport = .rtu(rtu)
            }
        }
        gpio?.socketPath = directory + "/gpio.sock"
        controlSocketPath = directory + "/control.sock"
    }

    /// Adds `offset` to every non-zero TCP port (`levee-sim run --port-offset`).
    public mutating func offsetPorts(by offset: Int) {
        for i in servers.indices {
            if case .tcp(var tcp) = servers[i].transport, tcp.port != 0 {
                tcp.port += offset
                servers[i].transport = .tcp(tcp)
            }
        }
    }
}

/// One Modbus server: a TCP port or an RTU line.
public struct ServerSpec: Sendable, Hashable {
    public var name: String
    public var transport: Transport

    public enum Transport: Sendable, Hashable {
        case tcp(TCPSpec)
        case rtu(RTUSpec)
    }

    public init(name: String, transport: Transport) {
        self.name = name
        self.transport = transport
    }
}

public struct TCPSpec: Sendable, Hashable {
    public var host: String
    /// 0 lets the kernel pick a free port.
    public var port: Int
    /// A gateway answers a unit id it does not have with exception 0x0B; a plain server stays silent.
    public var gateway: Bool

    public init(host: String = "127.0.0.1", port: Int, gateway: Bool = false) {
        self.host = host
        self.port = port
        self.gateway = gateway
    }
}

public struct RTUSpec: Sendable, Hashable {
    /// The stable path clients open: a symbolic link to the pseudo-terminal's slave side.
    public var link: String
    public var baud: Int
    public var dataBits: Int
    public var parity: Parity
    public var stopBits: Int

    public enum Parity: String, Sendable, Hashable, CaseIterable {
        case none, even, odd
    }

    public init(link: String, baud: Int = 9600, dataBits: Int = 8, parity: Parity = .none, stopBits: Int = 1) {
        self.link = link
        self.baud = baud
        self.dataBits = dataBits
        self.parity = parity
        self.stopBits = stopBits
    }

    public var timing: SerialTiming {
        SerialTiming(baud: baud, dataBits: dataBits, parity: parity != .none, stopBits: stopBits)
    }
}

/// One simulated field device on a Modbus server.
public struct DeviceSpec: Sendable {
    public var id: String
    /// Display name (the scenario files use Chinese names, as the plant's own drawings do).
    public var name: String?
    /// The risk unit or area the device belongs to; informational.
    public var area: String?
    public var server: String
    public var unitID: UInt8
    public var model: DeviceModelSpec

    public init(
        id: String, name: String? = nil, area: String? = nil, server: String, unitID: UInt8,
        model: DeviceModelSpec
    ) {
        self.id = id
        self.name = name
        self.area = area
        self.server = server
        self.unitID = unitID
        self.model = model
    }
}

/// The device model and its parameters. Register maps are fixed per model (see simulators/README.md).
public enum DeviceModelSpec: Sendable {
    case valveActuator(ValveSpec)
    case pump(PumpSpec)
    case levelTransmitter(LevelSpec)
    case gasTransmitter(GasSpec)
    case toxicTransmitterInt(GasSpec)
    case dustMonitor(DustSpec)
    case waterQuality(WaterQualitySpec)
    case registerBank

    /// The scenario spelling of the model name.
    public var modelName: String {
        switch self {
        case .valveActuator: "valve-actuator"
        case .pump: "pump"
        case .levelTransmitter: "level-transmitter"
        case .gasTransmitter: "gas-transmitter"
        case .toxicTransmitterInt: "toxic-transmitter-int"
        case .dustMonitor: "dust-monitor"
        case .waterQuality: "water-quality"
        case .registerBank: "register-bank"
        }
    }

    public static let modelNames = [
        "valve-actuator", "pump", "level-transmitter", "gas-transmitter", "toxic-transmitter-int", "dust-monitor",
        "water-quality", "register-bank",
    ]
}

/// The hand/auto selector of an actuator or a pump starter.
public enum SelectorMode: String, Sendable, Hashable {
    case remote, local
}

public struct ValveSpec: Sendable, Hashable {
    /// Full travel time, closed to open, in seconds.
    public var strokeSeconds: Double
    /// Starting position, 0 (closed) ... 100 (open).
    public var initialPercent: Double
    public var mode: SelectorMode

    public init(strokeSeconds: Double, initialPercent: Double = 0, mode: SelectorMode = .remote) {
        self.strokeSeconds = strokeSeconds
        self.initialPercent = initialPercent
        self.mode = mode
    }
}

public struct PumpSpec: Sendable, Hashable {
    public var flowM3h: Double
    public var running: Bool
    public var mode: SelectorMode

    public init(flowM3h: Double, running: Bool = false, mode: SelectorMode = .remote) {
        self.flowM3h = flowM3h
        self.running = running
        self.mode = mode
    }
}

public struct LevelSpec: Sendable, Hashable {
    public var areaM2: Double
    public var depthM: Double
    public var initialM: Double
    /// Flow arriving at the pool inlet, m³/h; it enters in proportion to the inlet valve's opening.
    public var inflowM3h: Double
    /// Extra flow arriving at the inlet while the rain line reads 1.
    public var rainInflowM3h: Double
    /// GPIO offset of the rain contact that switches `rainInflowM3h` on.
    public var rainLine: Int?
    /// Device id of the pool inlet valve; without one the inlet is always open.
    public var inletValve: String?
    /// Device ids of the pumps that empty the pool.
    public var pumps: [String]

    public init(
        areaM2: Double, depthM: Double, initialM: Double = 0, inflowM3h: Double = 0,
        rainInflowM3h: Double = 0, rainLine: Int? = nil, inletValve: String? = nil, pumps: [String] = []
    ) {
        self.areaM2 = areaM2
        self.depthM = depthM
        self.initialM = initialM
        self.inflowM3h = inflowM3h
        self.rainInflowM3h = rainInflowM3h
        self.rainLine = rainLine
        self.inletValve = inletValve
        self.pumps = pumps
    }
}

public struct GasSpec: Sendable, Hashable {
    public var unit: GasUnit
    /// The device's own level-1 and level-2 thresholds, in `unit`.
    public var alarm1: Double
    public var alarm2: Double
    public var profile: Profile

    public init(unit: GasUnit, alarm1: Double, alarm2: Double, profile: Profile = .constant(0)) {
        self.unit = unit
        self.alarm1 = alarm1
        self.alarm2 = alarm2
        self.profile = profile
    }
}

public enum GasUnit: String, Sendable, Hashable, CaseIterable {
    case lel = "%LEL"
    case ppm = "ppm"
    case mgPerM3 = "mg/m3"

    /// The unit code in input register 3.
    public var code: UInt16 {
        switch self {
        case .lel: 1
        case .ppm: 2
        case .mgPerM3: 3
        }
    }
}

public struct DustSpec: Sendable, Hashable {
    public var concentration: Profile
    public var filterDP: Profile
    public var hopperTemperature: Profile
    public var runHours: Double
    /// Bool signals: true where the profile is 0.5 or more.
    public var fanRunning: Profile
    public var collectorFault: Profile
    public var airlockFault: Profile

    public init(
        concentration: Profile = .constant(0), filterDP: Profile = .constant(0),
        hopperTemperature: Profile = .constant(20), runHours: Double = 0, fanRunning: Profile = .constant(1),
        collectorFault: Profile = .constant(0), airlockFault: Profile = .constant(0)
    ) {
        self.concentration = concentration
        self.filterDP = filterDP
        self.hopperTemperature = hopperTemperature
        self.runHours = runHours
        self.fanRunning = fanRunning
        self.collectorFault = collectorFault
        self.airlockFault = airlockFault
    }
}

public struct WaterQualitySpec: Sendable, Hashable {
    public var pH: Profile
    public var cod: Profile
    public var conductivity: Profile
    public var fault: Profile

    public init(
        pH: Profile = .constant(7), cod: Profile = .constant(20), conductivity: Profile = .constant(500),
        fault: Profile = .constant(0)
    ) {
        self.pH = pH
        self.cod = cod
        self.conductivity = conductivity
        self.fault = fault
    }
}

/// A scripted signal: points `(t, value)` in simulation seconds, linear in between, the first value held before
/// the first point and the last held after the last.
public struct Profile: Sendable, Hashable {
    public struct Point: Sendable, Hashable {
        public var t: Double
        public var value: Double
        public init(t: Double, value: Double) {
            self.t = t
            self.value = value
        }
    }

    /// Sorted by `t`.
    public var points: [Point]

    public init(_ points: [Point]) {
        self.points = points.sorted { $0.t < $1.t }
    }

    public static func constant(_ value: Double) -> Profile { Profile([Point(t: 0, value: value)]) }

    public func value(at t: Double) -> Double {
        guard let first = points.first else { return 0 }
        if t <= first.t { return first.value }
        for i in 1..<max(points.count, 1) where t < points[i].t {
            let a = points[i - 1]
            let b = points[i]
            return a.value + (b.value - a.value) * (t - a.t) / (b.t - a.t)
        }
        return points[points.count - 1].value
    }
}

/// The simulated GPIO chip, served on a Unix socket.
public struct GPIOSpec: Sendable, Hashable {
    public var socketPath: String
    /// The chip name `INFO` reports.
    public var chipName: String
    public var lineCount: Int
    public var lines: [GPIOLineSpec]

    public init(socketPath: String, chipName: String = "levee-sim", lineCount: Int = 8, lines: [GPIOLineSpec] = []) {
        self.socketPath = socketPath
        self.chipName = chipName
        self.lineCount = lineCount
        self.lines = lines
    }
}

public struct GPIOLineSpec: Sendable, Hashable {
    public var offset: Int
    public var name: String
    public var role: Role

    public enum Role: Sendable, Hashable {
        /// A push button. Normally closed (the default) idles at level 1 and reads 0 when pressed or cut.
        case button(normallyClosed: Bool)
        /// A rain contact, level 1 while raining. `pattern` steps the level over time: each point holds from its
        /// `t` until the next; with `repeatSeconds` the pattern restarts every that many seconds.
        case rain(raining: Bool, pattern: [Profile.Point], repeatSeconds: Double?)
        /// A relay output (siren, beacon) the client drives with `SET`.
        case output(initial: Int)
    }

    public init(offset: Int, name: String, role: Role) {
        self.offset = offset
        self.name = name
        self.role = role
    }
}

/// A fault the scenario injects at a simulation time.
public struct ScriptedFault: Sendable, Hashable {
    public var atSeconds: Double
    public var device: String
    public var fault: Fault
    /// The fault is cleared this long after it starts; for `drop`, new connections are refused for this long.
    public var durationSeconds: Double?

    public init(atSeconds: Double, device: String, fault: Fault, durationSeconds: Double? = nil) {
        self.atSeconds = atSeconds
        self.device = device
        self.fault = fault
        self.durationSeconds = durationSeconds
    }
}
