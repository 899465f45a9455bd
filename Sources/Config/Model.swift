import Alarm
import ModbusWire

/// The whole of one Levee configuration file, validated.
///
/// Every type here is a plain value: the loader in `ConfigLoader` builds it from TOML and reports every
/// mistake it finds with the key path at fault. Nothing here does I/O.
public struct LeveeConfig: Sendable, Hashable {
    public var site: Site
    /// Buses by id, in file order.
    public var buses: [Bus]
    /// Devices in file order.
    public var devices: [Device]
    /// `[historian]`: where and how readings, events and commands are stored.
    public var historian: HistorianSettings
    /// `[daemon]`: how leveed itself is reached.
    public var daemon: DaemonSettings
    /// `[[alarms]]`: every configured alarm, presets expanded, validated against the devices.
    public var alarms: [AlarmDefinition]
    /// `[alarm]`: engine options and annunciation outputs.
    public var alarmSettings: AlarmSettings
    /// `[defence]`: retries, bypass cap, park escalation.
    public var defence: DefenceSettings
    /// `[[plans]]`: named response plans besides the derived plant-wide and per-group ones.
    public var plans: [PlanDefinition]
    /// `[[interlocks]]`: automatic trips.
    public var interlocks: [InterlockDefinition]
    /// `[[first_flush]]`: first-flush diversion per rain outlet.
    public var firstFlush: [FirstFlushDefinition]
    /// `[http]`: where the HTTP API listens and how it guards logins.
    public var http: HTTPSettings
    /// `[[users]]`: who may use the HTTP API, and in which role.
    public var users: [User]
    /// `[mqtt]`: the link to the park; nil when the plant has none.
    public var mqtt: MQTTSettings?
    /// `[park]`: present on a park instance.
    public var park: ParkSettings?
    /// `[uplink]`: the HJ 212 link to the bureau; nil when there is none.
    public var uplink: UplinkSettings?
    /// `[dcs]`: the Modbus TCP server for the plant's DCS; off unless enabled.
    public var dcs: DCSSettings = DCSSettings()
    /// `[notify]`: alarm notifications to the on-call ladder, sent by levee-notify; off unless enabled.
    public var notify: NotifySettings = NotifySettings()

    public init(
        site: Site, buses: [Bus], devices: [Device], historian: HistorianSettings = HistorianSettings(),
        daemon: DaemonSettings = DaemonSettings(), alarms: [AlarmDefinition] = [],
        alarmSettings: AlarmSettings = AlarmSettings(), defence: DefenceSettings = DefenceSettings(),
        plans: [PlanDefinition] = [], interlocks: [InterlockDefinition] = [], firstFlush: [FirstFlushDefinition] = [],
        http: HTTPSettings = HTTPSettings(), users: [User] = [], mqtt: MQTTSettings? = nil, park: ParkSettings? = nil,
        uplink: UplinkSettings? = nil
    ) {
        self.mqtt = mqtt
        self.park = park
        self.uplink = uplink
        self.http = http
        self.users = users
        self.defence = defence
        self.plans = plans
        self.interlocks = interlocks
        self.firstFlush = firstFlush
        self.site = site
        self.buses = buses
        self.devices = devices
        self.historian = historian
        self.daemon = daemon
        self.alarms = alarms
        self.alarmSettings = alarmSettings
    }

    public func bus(_ id: String) -> Bus? { buses.first { $0.id == id } }
    public func device(_ id: String) -> Device? { devices.first { $0.id == id } }
    public func devices(onBus id: String) -> [Device] { devices.filter { $0.bus == id } }
}

/// `[historian]`: the SQLite database of readings, events and commands. Every key is optional.
public struct HistorianSettings: Sendable, Hashable {
    /// `path`: the database file; relative paths are taken from the configuration file's folder. Default
    /// `/var/lib/levee/levee.db` (systemd's `StateDirectory=levee`).
    public var path: String
    /// `heartbeat_s`: an unchanged value is still stored at least this often, seconds (1...86400; default 60).
    public var heartbeatSeconds: Double
    /// `buffer_limit`: readings held in memory while the database cannot be written (1000...10000000; default
    /// 100000). Beyond it the oldest are dropped and counted.
    public var bufferLimit: Int
    /// `retention_days = { readings = 90, events = 3650, commands = 3650 }`: days kept per table (1...36500).
    public var retentionDays: Retention

    public struct Retention: Sendable, Hashable {
        public var readings: Int
        public var events: Int
        public var commands: Int
        public init(readings: Int = 90, events: Int = 3650, commands: Int = 3650) {
            self.readings = readings
            self.events = events
            self.commands = commands
        }
    }

    public init(
        path: String = "/var/lib/levee/levee.db", heartbeatSeconds: Double = 60, bufferLimit: Int = 100_000,
        retentionDays: Retention = Retention()
    ) {
        self.path = path
        self.heartbeatSeconds = heartbeatSeconds
        self.bufferLimit = bufferLimit
        self.retentionDays = retentionDays
    }
}

/// `[alarm]`: how the alarm engine runs and what it sounds. Every key is optional.
public struct AlarmSettings: Sendable, Hashable {
    /// `max_shelve_h`: the longest an alarm may be shelved, hours (default 8).
    public var maximumShelveHours: Double
    /// `annunciation = { critical = ["siren", "beacon"], high = ["beacon"] }`: digital-output devices switched on
    /// while an alarm of that priority sounds, and off on silence.
    public var annunciation: [AlarmPriority: [String]]

    public init(maximumShelveHours: Double = 8, annunciation: [AlarmPriority: [String]] = [:]) {
        self.maximumShelveHours = maximumShelveHours
        self.annunciation = annunciation
    }

    /// The engine options these settings give.
    public var engineOptions: AlarmEngine.Options {
        var options = AlarmEngine.Options()
        options.maximumShelve = .milliseconds(Int(maximumShelveHours * 3_600_000))
        return options
    }
}

/// `[daemon]`: how leveed is reached. Every key is optional.
public struct DaemonSettings: Sendable, Hashable {
    /// `control_socket`: the Unix socket leveectl talks to; relative paths are taken from the configuration
    /// file's folder. Default `/run/levee/leveed.sock` (systemd's `RuntimeDirectory=levee`).
    public var controlSocket: String

    public init(controlSocket: String = "/run/levee/leveed.sock") {
        self.controlSocket = controlSocket
    }
}

/// `[site]`: who this plant is.
public struct Site: Sendable, Hashable {
    /// `site.id`: short ASCII identifier, used in topics and file names (letters, digits, `-`, `_`).
    public var id: String
    /// `site.name`: display name; any Unicode, Chinese included.
    public var name: String
    /// `site.time_zone`: an IANA zone such as `Asia/Shanghai`; used for reports and local-time display.
    public var timeZone: String

    public init(id: String, name: String, timeZone: String) {
        self.id = id
        self.name = name
        self.timeZone = timeZone
    }
}

/// `[buses.<id>]`: one field bus. Each bus gets its own I/O thread in the daemon.
public struct Bus: Sendable, Hashable {
    public var id: String
    public var kind: Kind
    /// `timeout_ms`: response timeout of one transaction, 1...60000 (Modbus only). Default 500 for TCP, 300 for RTU;
    /// 0 on GPIO buses, which have no transactions.
    public var timeoutMs: Int
    /// `max_gap`: the largest run of unused registers (or bits) a coalesced read may span. Default 8; 0 reads
    /// only contiguous points together. Applies to devices on this bus unless a device overrides it.
    public var maxGap: Int
    /// `fail_cycles_before_backoff`: consecutive failed poll cycles before a device is only probed, 1...1000.
    /// Default 3.
    public var failCyclesBeforeBackoff: Int
    /// `backoff_max_s`: the longest interval between probes of a dead device, above 0 and at most 3600. Default 30.
    public var backoffMaxSeconds: Double

    public enum Kind: Sendable, Hashable {
        /// `type = "modbus-tcp"`: `host`, `port` (default 502).
        case modbusTCP(host: String, port: Int)
        /// `type = "modbus-rtu"`: `device` (a path such as /dev/ttyUSB0), `baud` (default 9600),
        /// `parity` ("none", "even", "odd"; default "none"), `data_bits` (7 or 8; default 8),
        /// `stop_bits` (1 or 2; default 1), `frame_gap_ms` (silence between frames, above 0 and at most 1000;
        /// default 3.5 characters).
        case modbusRTU(RTUSettings)
        /// `type = "gpio"`: `chip` is a name (`gpiochip0`), a path (`/dev/gpiochip0`), or `sim:<socket path>`
        /// for the simulated chip served by levee-sim.
        case gpio(chip: String)
    }

    public init(
        id: String, kind: Kind, timeoutMs: Int, maxGap: Int = 8, failCyclesBeforeBackoff: Int = 3,
        backoffMaxSeconds: Double = 30
    ) {
        self.id = id
        self.kind = kind
        self.timeoutMs = timeoutMs
        self.maxGap = maxGap
        self.failCyclesBeforeBackoff = failCyclesBeforeBackoff
        self.backoffMaxSeconds = backoffMaxSeconds
    }

    public var isModbus: Bool {
        if case .gpio = kind { return false }
        return true
    }
}

public struct RTUSettings: Sendable, Hashable {
    public enum Parity: String, Sendable, Hashable, CaseIterable {
        case none, even, odd
        /// The character libmodbus expects: 'N', 'E' or 'O'.
        public var letter: Character {
            switch self {
            case .none: "N"
            case .even: "E"
            case .odd: "O"
            }
        }
    }

    public var device: String
    public var baud: Int
    public var parity: Parity
    public var dataBits: Int
    public var stopBits: Int
    /// Silence kept between frames, in milliseconds. Nil: 3.5 character times (1.75 ms above 19200 baud).
    public var frameGapMs: Double?

    public init(
        device: String, baud: Int = 9600, parity: Parity = .none, dataBits: Int = 8, stopBits: Int = 1,
        frameGapMs: Double? = nil
    ) {
        self.device = device
        self.baud = baud
        self.parity = parity
        self.dataBits = dataBits
        self.stopBits = stopBits
        self.frameGapMs = frameGapMs
    }

    public var timing: SerialTiming {
        SerialTiming(baud: baud, dataBits: dataBits, parity: parity != .none, stopBits: stopBits)
    }
}

/// Which of the three lines of defence (plus the park above them) a device belongs to.
public enum DefenceLine: String, Sendable, Hashable, CaseIterable {
    /// Line 1: a risk unit inside its bund (tank farm, warehouse, process unit).
    case riskUnit = "risk-unit"
    /// Line 2: the rain/sewage pipe network and the accident pool.
    case networkAndPool = "network-pool"
    /// Line 3: the plant boundary (rain outlet, sewage outlet).
    case boundary = "boundary"
    /// Above the plant: the park's public rain network gates and river sluices.
    case park = "park"
}

public enum DeviceKind: String, Sendable, Hashable, CaseIterable {
    case valve
    case level
    case gas
    case dust
    case pump
    case waterQuality = "water-quality"
    case digitalInput = "digital-input"
    case digitalOutput = "digital-output"
}

/// `[[devices]]`: one field device.
public struct Device: Sendable, Hashable {
    /// `id`: unique across the file (letters, digits, `-`, `_`).
    public var id: String
    /// `name`: display name, any Unicode; required, because alarms on phones and the big screen show it.
    public var name: String
    /// `type`: the device kind.
    public var kind: DeviceKind
    /// `bus`: the id of a bus in `[buses]`.
    public var bus: String
    /// `unit`: Modbus unit (slave) id, 1...247 (0 is broadcast; 255 is accepted on TCP only). Nil on GPIO buses.
    public var unit: Int?
    /// `line`: the line of defence.
    public var line: DefenceLine
    /// `group`: optional grouping within the line, e.g. the risk unit "tank-farm-A" a detector and valves share.
    public var group: String?
    /// `location`: optional free text telling a person where to find the device in the field.
    public var location: String?
    /// `poll_ms`: poll interval in milliseconds. Default 1000.
    public var pollMs: Int
    /// `max_gap`: overrides the bus's coalescing gap for this device, 0...125 (Modbus only).
    public var maxGap: Int?
    /// `[devices.points]`: named points; which names a kind needs is in `PointRole`.
    public var points: [String: Point]
    /// `[devices.commands]`: named commands (`open`, `close`, `stop`, `start`, `on`, `off`).
    public var commands: [String: Command]
    /// Kind-specific settings.
    public var settings: Settings
    /// `dcs_address`: the device's slot in the DCS register map, 0...499 (its block starts at register
    /// 1000 + 100 × slot). Optional: without it the `[dcs]` lock file keeps the slot the device was first given.
    public var dcsAddress: Int?

    public init(
        id: String, name: String, kind: DeviceKind, bus: String, unit: Int?, line: DefenceLine,
        group: String? = nil, location: String? = nil, pollMs: Int = 1000, maxGap: Int? = nil,
        points: [String: Point], commands: [String: Command] = [:], settings: Settings = .none
    ) {
        self.id = id
        self.name = name
        self.kind = kind
        self.bus = bus
        self.unit = unit
        self.line = line
        self.group = group
        self.location = location
        self.pollMs = pollMs
        self.maxGap = maxGap
        self.points = points
        self.commands = commands
        self.settings = settings
    }

    /// Kind-specific settings, each documented on its type.
    public enum Settings: Sendable, Hashable {
        case none
        case valve(ValveSettings)
        case level(LevelSettings)
        case gas(GasSettings)
        case digitalInput(DigitalInputSettings)
    }

    public var valveSettings: ValveSettings? {
        if case .valve(let s) = settings { return s }
        return nil
    }
    public var levelSettings: LevelSettings? {
        if case .level(let s) = settings { return s }
        return nil
    }
    public var gasSettings: GasSettings? {
        if case .gas(let s) = settings { return s }
        return nil
    }
    public var digitalInputSettings: DigitalInputSettings? {
        if case .digitalInput(let s) = settings { return s }
        return nil
    }
}

/// Valve keys, on the device table: `stroke_s` (required: configured full stroke time, seconds, above 0 and at
/// most 3600), `stroke_margin` (factor allowed over the stroke time before "failed to move", >= 1; default 1.5),
/// `role` (what the valve does in the plan, see `ValveRole`; default `rain-outlet` on the boundary line).
public struct ValveSettings: Sendable, Hashable {
    public var strokeSeconds: Double
    public var strokeMargin: Double
    public var role: ValveRole?

    public init(strokeSeconds: Double, strokeMargin: Double = 1.5, role: ValveRole? = nil) {
        self.strokeSeconds = strokeSeconds
        self.strokeMargin = strokeMargin
        self.role = role
    }

    /// How long a movement may take before it is a fault.
    public var deadlineSeconds: Double { strokeSeconds * strokeMargin }
}

/// What a valve is for; the default shutoff plan is derived from it.
public enum ValveRole: String, Sendable, Hashable, CaseIterable {
    /// Line 1: the bund drain to the clean rain network (closes on a trip).
    case bundToRain = "bund-to-rain"
    /// Line 1: the bund drain to the accident-water pipe (opens on a trip).
    case bundToAccident = "bund-to-accident"
    /// Line 2: the accident pool inlet gate (opens on a trip).
    case poolInlet = "pool-inlet"
    /// Line 2: the rain network bypass around the pool (closes on a trip).
    case poolBypass = "pool-bypass"
    /// Line 3: a rain outlet (closes on a trip).
    case rainOutlet = "rain-outlet"
    /// Line 3: a sewage outlet (closes on a trip where configured).
    case sewageOutlet = "sewage-outlet"
    /// Park: a public rain network gate or a river sluice.
    case parkGate = "park-gate"
}

/// Level keys: `pool` (true for an accident or first-flush pool), `area_m2` (pool floor area, for a prismatic pool)
/// or `volume_table` (pairs `[level, m³]` in rising order, for any shape), `design_volume_m3` (optional).
/// A pool needs `area_m2` above 0 or a `volume_table` of at least two rows, level strictly rising and volume
/// never falling, since its free volume is what the alarms are about.
public struct LevelSettings: Sendable, Hashable {
    public var isPool: Bool
    public var areaSquareMetres: Double?
    /// Pairs of (level in the point's unit, volume in m³), strictly rising in level.
    public var volumeTable: [VolumePoint]
    public var designVolumeCubicMetres: Double?

    public struct VolumePoint: Sendable, Hashable {
        public var level: Double
        public var volume: Double
        public init(level: Double, volume: Double) {
            self.level = level
            self.volume = volume
        }
    }

    public init(
        isPool: Bool = false, areaSquareMetres: Double? = nil, volumeTable: [VolumePoint] = [],
        designVolumeCubicMetres: Double? = nil
    ) {
        self.isPool = isPool
        self.areaSquareMetres = areaSquareMetres
        self.volumeTable = volumeTable
        self.designVolumeCubicMetres = designVolumeCubicMetres
    }

    /// The volume in m³ held at `level`, by linear interpolation in the table, or level × area.
    /// Nil when neither is configured.
    public func volume(atLevel level: Double) -> Double? {
        if volumeTable.count >= 2 {
            if level <= volumeTable[0].level { return volumeTable[0].volume }
            for i in 1..<volumeTable.count where level <= volumeTable[i].level {
                let a = volumeTable[i - 1]
                let b = volumeTable[i]
                return a.volume + (b.volume - a.volume) * (level - a.level) / (b.level - a.level)
            }
            return volumeTable[volumeTable.count - 1].volume
        }
        if let area = areaSquareMetres { return max(0, level) * area }
        return nil
    }
}

/// Gas keys: `gas_kind` ("combustible" or "toxic"), `gas` (name such as "CH4", "H2S"), and the unit on the
/// concentration point (`%LEL` for combustible; `mg/m3` or `ppm` for toxic).
public struct GasSettings: Sendable, Hashable {
    public enum GasKind: String, Sendable, Hashable, CaseIterable {
        case combustible, toxic
    }
    public var gasKind: GasKind
    public var gas: String

    public init(gasKind: GasKind, gas: String) {
        self.gasKind = gasKind
        self.gas = gas
    }
}

/// Digital input keys: `role` ("button", "rain", "fire", "contact"; default "contact").
public struct DigitalInputSettings: Sendable, Hashable {
    public enum Role: String, Sendable, Hashable, CaseIterable {
        case button, rain, fire, contact
    }
    public var role: Role
    public init(role: Role = .contact) { self.role = role }
}

/// One point of a device's register map (`[devices.points.<name>]`), or a GPIO line.
public struct Point: Sendable, Hashable {
    public var name: String
    public var source: Source
    /// `unit`: engineering unit shown to people, e.g. "m", "%LEL", "mg/m3", "kPa". Empty for states.
    public var unit: String
    /// `range = [min, max]`: valid engineering range; a value outside it has quality out-of-range.
    public var range: ClosedRange<Double>?
    /// `deadband`: change that counts as a new value for storage (used by the historian). Default 0.
    public var deadband: Double

    public enum Source: Sendable, Hashable {
        case modbus(ModbusPoint)
        case gpio(GPIOLine)
    }

    public init(
        name: String, source: Source, unit: String = "", range: ClosedRange<Double>? = nil, deadband: Double = 0
    ) {
        self.name = name
        self.source = source
        self.unit = unit
        self.range = range
        self.deadband = deadband
    }

    public var modbus: ModbusPoint? {
        if case .modbus(let m) = source { return m }
        return nil
    }
    public var gpio: GPIOLine? {
        if case .gpio(let g) = source { return g }
        return nil
    }

    /// True when the point carries a state (bool or bit), not a measurement.
    public var isDigital: Bool {
        switch source {
        case .gpio: return true
        case .modbus(let m):
            switch m.type {
            case .bool, .bit: return true
            default: return false
            }
        }
    }

    /// The decimal places a reading of this point carries when its register holds an integer that `scale` and
    /// `offset` turn into a decimal (scale 0.1 gives 1, 0.25 gives 2), so a file can write `12.3` rather than the
    /// double `12.300000000000001`. Nil when the value is not such a decimal (float32, or a scale like 1/3 no
    /// number of places up to 6 writes exactly); 0 for integers and states.
    public var decimals: Int? {
        guard case .modbus(let m) = source else { return 0 }
        switch m.type {
        case .float32: return nil
        case .bool, .bit: return 0
        case .int16, .uint16, .int32, .uint32:
            var (scale, offset) = (m.scaling.scale, m.scaling.offset)
            for places in 0...6 {
                let whole = [scale, offset].allSatisfy { abs($0 - $0.rounded()) <= 1e-9 * max(1, abs($0)) }
                if whole { return places }
                (scale, offset) = (scale * 10, offset * 10)
            }
            return nil
        }
    }
}

/// A Modbus point: `function` ("coil", "discrete-input", "holding", "input"), `address` (0-based PDU address
/// as on the wire: holding register 40001 is `address = 0`), `type` ("bool", "bit", "int16", "uint16", "int32",
/// "uint32", "float32"; default "bool" on bit tables and "uint16" on registers), `bit` (0-15, with `type = "bit"`),
/// `word_order` ("ABCD", "CDAB", "BADC", "DCBA"; required for 32-bit types), `scale` (default 1), `offset`
/// (default 0), `invert` (bool and bit points only: true swaps on/off; default false).
///
/// The whole value must fit below 65536 (a float32 starts at 65534 at most). `word_order` is refused on 16-bit
/// types and never guessed for 32-bit ones: vendors differ, and a wrong order reads plausible garbage. `scale` must
/// not be 0, because commands divide by it.
public struct ModbusPoint: Sendable, Hashable {
    public var table: RegisterTable
    public var address: Int
    public var type: ValueType
    public var wordOrder: WordOrder?
    public var scaling: Scaling
    public var invert: Bool

    public init(
        table: RegisterTable, address: Int, type: ValueType, wordOrder: WordOrder? = nil,
        scaling: Scaling = .identity, invert: Bool = false
    ) {
        self.table = table
        self.address = address
        self.type = type
        self.wordOrder = wordOrder
        self.scaling = scaling
        self.invert = invert
    }

    /// Addresses this point occupies in its table: one bit, or one or two registers.
    public var addresses: ClosedRange<Int> { address...(address + (table.isBitTable ? 1 : type.registerCount) - 1) }
}

/// A GPIO line: `line` (offset on the chip, >= 0), `direction` ("input" or "output"; default "output" for a
/// digital-output's `state` and "input" elsewhere: only a digital-output drives a line through a point),
/// `active_low` (default false), `normally_closed` (inputs only: the contact is closed in the normal state, so an
/// open circuit reads as active, e.g. a shutoff button or a cut wire; default false), `debounce_ms` (inputs only,
/// 0...60000; default 20), `initial` (outputs only: the state held from start; default false).
public struct GPIOLine: Sendable, Hashable {
    public enum Direction: String, Sendable, Hashable { case input, output }
    public var offset: Int
    public var direction: Direction
    public var activeLow: Bool
    public var normallyClosed: Bool
    public var debounceMs: Int
    public var initial: Bool

    public init(
        offset: Int, direction: Direction, activeLow: Bool = false, normallyClosed: Bool = false,
        debounceMs: Int = 20, initial: Bool = false
    ) {
        self.offset = offset
        self.direction = direction
        self.activeLow = activeLow
        self.normallyClosed = normallyClosed
        self.debounceMs = debounceMs
        self.initial = initial
    }
}

/// One command (`[devices.commands.<name>]`): a write to a coil, a holding register (whole or one bit), or a GPIO
/// output line. Keys: `function` ("coil" or "holding"; or omit and give `line` for GPIO), `address`, `value`
/// (default 1/true), `bit` (write one bit of a holding register by read-modify-write), `pulse_ms` (optional:
/// write `value`, then after this many ms write `release_value`), `release_value` (default 0/false; only with
/// `pulse_ms`). Values are 0 or 1 on a coil, a register bit or a GPIO line, and 0...65535 on a whole register.
///
/// A valve needs `open` and `close`; a digital-output needs `on` and `off`, except on a GPIO bus, where they are
/// derived from an output `state` line when no commands are given. No two devices may write one coil or register
/// (a bit write is a read-modify-write of the whole register), nor share a GPIO line.
public struct Command: Sendable, Hashable {
    public var name: String
    public var target: Target
    public var value: Int
    public var pulseMs: Int?
    public var releaseValue: Int

    public enum Target: Sendable, Hashable {
        case coil(address: Int)
        case register(address: Int)
        case registerBit(address: Int, bit: Int)
        case gpio(offset: Int)
    }

    public init(name: String, target: Target, value: Int = 1, pulseMs: Int? = nil, releaseValue: Int = 0) {
        self.name = name
        self.target = target
        self.value = value
        self.pulseMs = pulseMs
        self.releaseValue = releaseValue
    }
}

/// Point names each device kind knows. Required ones must be present; others are optional; a name not listed for
/// a kind is a configuration error.
public enum PointRole {
    public static func required(for kind: DeviceKind) -> Set<String> {
        switch kind {
        case .valve: ["open_limit", "closed_limit"]
        case .level: ["level"]
        case .gas: ["concentration"]
        case .dust: []  // at least one of `optional`, checked separately
        case .pump: ["running"]
        case .waterQuality: []  // at least one of ph, cod, conductivity
        case .digitalInput: ["state"]
        case .digitalOutput: []
        }
    }

    public static func optional(for kind: DeviceKind) -> Set<String> {
        switch kind {
        case .valve: ["remote", "local", "fault", "torque_trip", "position"]
        case .level: ["fault"]
        case .gas: ["fault", "alarm1", "alarm2", "unit_code"]
        case .dust:
            [
                "concentration", "pressure_diff", "hopper_temp", "fault", "fan_running", "water_level", "flow",
                "spark", "oxygen",
            ]
        case .pump: ["fault", "remote"]
        case .waterQuality: ["ph", "cod", "conductivity", "phenol", "fault"]
        case .digitalInput: []
        case .digitalOutput: ["state"]
        }
    }

    /// Command names each kind accepts.
    public static func commands(for kind: DeviceKind) -> Set<String> {
        switch kind {
        case .valve: ["open", "close", "stop"]
        case .pump: ["start", "stop"]
        case .digitalOutput: ["on", "off"]
        default: []
        }
    }
}
