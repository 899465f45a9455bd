/// Where everything sits in the register map Levee serves to the DCS, and the codes it uses. Addresses are 0-based
/// PDU addresses, as on the wire (register 40001 of a DCS's configuration tool is address 0).
///
/// The same registers answer function 03 (holding) and 04 (input): some DCSs read only one of them. They are
/// read-only; only the enabled coils may be written.
///
/// - Plant state: registers 0...99.
/// - Devices: one block of 100 registers per device slot, at 1000 + 100 × slot (slots 0...499). A device keeps its
///   slot for ever: `dcs_address` in the file, or the lock file. Within a block, offsets 0...9 are the device's
///   own state and each point has 8 registers at 10 + 8 × its index in `DCSLayout.points(for:)`, a fixed list per
///   device kind, so adding a point to a device never moves another.
/// - Alarms: one register per alarm slot at 52000 + slot (slots 0...7999), kept in the lock file.
/// - Coils: 0 reset request, 1 acknowledge all alarms, 100 + plan slot a plan's shutoff. Only the enabled ones exist.
public enum DCSLayout {
    /// Changes only when this layout changes in a way that moves something; register 18 holds it.
    public static let version: UInt16 = 1

    public static let plantBase = 0
    public static let plantSize = 100
    public static let deviceBase = 1000
    public static let deviceBlock = 100
    public static let deviceSlots = 0...499
    public static let alarmBase = 52000
    public static let alarmSlots = 0...7999
    public static let planSlots = 0...999

    public static let resetCoil = 0
    public static let ackCoil = 1
    public static let shutoffCoilBase = 100

    /// The first register of a device slot's block.
    public static func deviceAddress(slot: Int) -> Int { deviceBase + deviceBlock * slot }

    /// Offsets within a device block.
    public enum DeviceOffset {
        public static let answering = 0
        public static let valvePosition = 1
        public static let valveMode = 2
        public static let lastStroke = 3
        public static let failedToMove = 4
        public static let valvePending = 5
        public static let firstPoint = 10
        public static let pointSize = 8
    }

    /// Offsets within a point's 8 registers.
    public enum PointOffset {
        public static let float32 = 0
        public static let int32 = 2
        public static let int16 = 4
        public static let quality = 5
        public static let age = 6
    }

    /// The plant-state registers.
    public enum Plant {
        public static let heartbeat = 0
        public static let latched = 1
        public static let planNumber = 2
        public static let tripSource = 3
        public static let escalated = 4
        public static let bypasses = 5
        public static let drill = 6
        public static let historianHealthy = 7
        public static let mqttLink = 8
        public static let uplink = 9
        public static let activeCritical = 10
        public static let activeHigh = 11
        public static let activeMedium = 12
        public static let activeLow = 13
        public static let unacknowledged = 14
        public static let devicesConfigured = 15
        public static let devicesAnswering = 16
        public static let dcsClients = 17
        public static let layoutVersion = 18
    }

    /// The points of each device kind, in their fixed order within the device's block. Every point name a kind may
    /// have (Config's `PointRole`) is here; a test keeps the two in step. New names go at the end of a list.
    public static func points(for kind: String) -> [String] {
        switch kind {
        case "valve": ["open_limit", "closed_limit", "remote", "local", "fault", "torque_trip", "position"]
        case "level": ["level", "fault"]
        case "gas": ["concentration", "fault", "alarm1", "alarm2", "unit_code"]
        case "dust":
            [
                "concentration", "pressure_diff", "hopper_temp", "fault", "fan_running", "water_level", "flow", "spark",
                "oxygen",
            ]
        case "pump": ["running", "fault", "remote"]
        case "water-quality": ["ph", "cod", "conductivity", "phenol", "fault"]
        case "digital-input", "digital-output": ["state"]
        default: []
        }
    }

    /// Most points any kind has: a block must hold them all.
    static let maxPoints = (deviceBlock - DeviceOffset.firstPoint) / DeviceOffset.pointSize
}

/// A point's quality as a code in its quality register.
public enum QualityCode: UInt16, Sendable, Hashable, CaseIterable {
    case good = 0
    case stale = 1
    case commFail = 2
    case outOfRange = 3
    case badConfig = 4
    /// Never read since leveed started: the value registers hold 0, which means nothing.
    case noValue = 5

    /// From the spelling the status API uses ("good", "stale", "comm-fail", "out-of-range", "bad-config",
    /// "initial"); anything else is `noValue`.
    public init(status: String) {
        switch status {
        case "good": self = .good
        case "stale": self = .stale
        case "comm-fail": self = .commFail
        case "out-of-range": self = .outOfRange
        case "bad-config": self = .badConfig
        default: self = .noValue
        }
    }

    public var name: String {
        switch self {
        case .good: "good"
        case .stale: "stale"
        case .commFail: "comm-fail"
        case .outOfRange: "out-of-range"
        case .badConfig: "bad-config"
        case .noValue: "no value yet"
        }
    }
}

/// A valve's measured position as a code.
public enum ValvePositionCode: UInt16, Sendable, Hashable, CaseIterable {
    case unknown = 0
    case open = 1
    case closed = 2
    case travelling = 3
    case fault = 4

    public init(status: String) {
        switch status {
        case "open": self = .open
        case "closed": self = .closed
        case "travelling": self = .travelling
        case "fault": self = .fault
        default: self = .unknown
        }
    }
}

/// A valve's remote/local selector as a code.
public enum ValveModeCode: UInt16, Sendable, Hashable, CaseIterable {
    case unknown = 0
    case remote = 1
    case local = 2

    public init(status: String) {
        switch status {
        case "remote": self = .remote
        case "local": self = .local
        default: self = .unknown
        }
    }
}

/// Who tripped first, as a code in plant register 3.
public enum TripSourceCode: UInt16, Sendable, Hashable, CaseIterable {
    case none = 0
    case button = 1
    case leveectl = 2
    case http = 3
    case park = 4
    case interlock = 5
    case leveed = 6
    case dcs = 7
}

/// A link's state as a code in plant registers 8 and 9.
public enum LinkCode: UInt16, Sendable, Hashable {
    case notConfigured = 0
    case up = 1
    case down = 2
}

/// An alarm's priority as a code in bits 8-10 of its register.
public enum PriorityCode: UInt16, Sendable, Hashable, CaseIterable {
    case critical = 1
    case high = 2
    case medium = 3
    case low = 4

    public init?(status: String) {
        switch status {
        case "critical": self = .critical
        case "high": self = .high
        case "medium": self = .medium
        case "low": self = .low
        default: return nil
        }
    }
}
