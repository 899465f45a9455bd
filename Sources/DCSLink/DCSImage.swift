import ModbusWire

/// What the register image is built from: the live state as the status API shows it, in plain values. The daemon
/// fills it; this module never sees a device or a service.
public struct PlantFacts: Sendable, Hashable {
    public var uptimeSeconds: Int = 0
    public var latched = false
    /// The running plan's id (nil when none).
    public var plan: String?
    public var tripSource: TripSourceCode = .none
    public var escalated = false
    public var bypasses = 0
    public var drill = false
    public var historianHealthy = false
    public var mqtt: LinkCode = .notConfigured
    public var uplink: LinkCode = .notConfigured
    public var dcsClients = 0
    public var devices: [String: DeviceFacts] = [:]
    /// Alarms not in the normal state, by id.
    public var alarms: [String: AlarmFacts] = [:]

    public init() {}

    public struct DeviceFacts: Sendable, Hashable {
        public var answering: Bool
        public var points: [String: PointFacts]
        public var valve: ValveFacts?
        public init(answering: Bool, points: [String: PointFacts], valve: ValveFacts? = nil) {
            self.answering = answering
            self.points = points
            self.valve = valve
        }
    }

    public struct PointFacts: Sendable, Hashable {
        /// Nil when there is no value: never read, or unusable.
        public var value: Double?
        public var quality: QualityCode
        /// Seconds since the value was read; nil when never.
        public var ageSeconds: Double?
        public init(value: Double?, quality: QualityCode, ageSeconds: Double?) {
            self.value = value
            self.quality = quality
            self.ageSeconds = ageSeconds
        }
    }

    public struct ValveFacts: Sendable, Hashable {
        public var position: ValvePositionCode
        public var mode: ValveModeCode
        public var lastStrokeSeconds: Double?
        public var failedToMove: Bool
        /// 0 none, 1 opening, 2 closing.
        public var pending: UInt16
        public init(
            position: ValvePositionCode, mode: ValveModeCode, lastStrokeSeconds: Double?, failedToMove: Bool,
            pending: UInt16
        ) {
            self.position = position
            self.mode = mode
            self.lastStrokeSeconds = lastStrokeSeconds
            self.failedToMove = failedToMove
            self.pending = pending
        }
    }

    public struct AlarmFacts: Sendable, Hashable {
        public var active: Bool
        public var unacknowledged: Bool
        public var hidden: Bool
        public var priority: PriorityCode
        public init(active: Bool, unacknowledged: Bool, hidden: Bool, priority: PriorityCode) {
            self.active = active
            self.unacknowledged = unacknowledged
            self.hidden = hidden
            self.priority = priority
        }
    }
}

/// The registers the server answers from: 65536 words and which of them exist. A value: the server takes a copy
/// (the arrays are shared, not copied) and reads it without holding any lock.
public struct DCSImage: Sendable {
    public var registers: [UInt16]
    public var exists: [Bool]

    public init(map: DCSMap) {
        registers = [UInt16](repeating: 0, count: 65536)
        exists = [Bool](repeating: false, count: 65536)
        for range in map.registerRanges { for a in range where a < 65536 { exists[a] = true } }
    }

    /// The registers `address..<address+count`, or the exception a server answers when any of them does not exist.
    public func read(_ address: Int, count: Int) -> Result<[UInt16], ModbusExceptionCode> {
        guard address >= 0, count > 0, address + count <= 65536 else { return .failure(.illegalDataAddress) }
        for a in address..<(address + count) where !exists[a] { return .failure(.illegalDataAddress) }
        return .success(Array(registers[address..<(address + count)]))
    }

    /// Writes `facts` into the image. Addresses `map` does not give are left alone.
    public mutating func update(_ facts: PlantFacts, map: DCSMap) {
        let s = map.settings
        func put(_ a: Int, _ v: UInt16) { registers[a] = v }
        func flag(_ b: Bool) -> UInt16 { b ? 1 : 0 }
        func count(_ n: Int) -> UInt16 { UInt16(clamping: n) }
        typealias P = DCSLayout.Plant
        put(P.heartbeat, UInt16(truncatingIfNeeded: facts.uptimeSeconds))
        put(P.latched, flag(facts.latched))
        let plan: UInt16 = facts.plan.map { map.planNumbers[$0].map { UInt16(clamping: $0) } ?? 0xFFFF } ?? 0
        put(P.planNumber, plan)
        put(P.tripSource, facts.tripSource.rawValue)
        put(P.escalated, flag(facts.escalated))
        put(P.bypasses, count(facts.bypasses))
        put(P.drill, flag(facts.drill))
        put(P.historianHealthy, flag(facts.historianHealthy))
        put(P.mqttLink, facts.mqtt.rawValue)
        put(P.uplink, facts.uplink.rawValue)
        let active = facts.alarms.values.filter(\.active)
        put(P.activeCritical, count(active.filter { $0.priority == .critical }.count))
        put(P.activeHigh, count(active.filter { $0.priority == .high }.count))
        put(P.activeMedium, count(active.filter { $0.priority == .medium }.count))
        put(P.activeLow, count(active.filter { $0.priority == .low }.count))
        put(P.unacknowledged, count(facts.alarms.values.filter(\.unacknowledged).count))
        put(P.devicesConfigured, count(map.devices.count))
        put(P.devicesAnswering, count(map.devices.filter { facts.devices[$0.device.id]?.answering == true }.count))
        put(P.dcsClients, count(facts.dcsClients))
        put(P.layoutVersion, DCSLayout.version)

        typealias D = DCSLayout.DeviceOffset
        typealias Q = DCSLayout.PointOffset
        for (device, slot) in map.devices {
            let base = DCSLayout.deviceAddress(slot: slot)
            let f = facts.devices[device.id]
            put(base + D.answering, flag(f?.answering == true))
            if device.kind == .valve {
                let v = f?.valve
                put(base + D.valvePosition, (v?.position ?? .unknown).rawValue)
                put(base + D.valveMode, (v?.mode ?? .unknown).rawValue)
                put(base + D.lastStroke, v?.lastStrokeSeconds.map { UInt16(clamping: Int(($0 * 10).rounded())) } ?? 0)
                put(base + D.failedToMove, flag(v?.failedToMove == true))
                put(base + D.valvePending, v?.pending ?? 0)
            }
            for (k, name) in DCSLayout.points(for: device.kind.rawValue).enumerated() {
                guard let point = device.points[name] else { continue }
                let at = base + D.firstPoint + D.pointSize * k
                let p = f?.points[name]
                // A point with no value reads 0 everywhere, and its quality register says why: never a stale number.
                let value = p?.value
                let scale = point.isDigital ? 1 : Double(s.intScale)
                let float = value.map { RegisterCodec.encodeRaw($0, as: .float32, order: s.wordOrder) } ?? [0, 0]
                let int32 = value.map { RegisterCodec.encodeRaw($0 * scale, as: .int32, order: s.wordOrder) } ?? [0, 0]
                let int16 = value.map { RegisterCodec.encodeRaw($0 * scale, as: .int16, order: nil)[0] } ?? 0
                put(at + Q.float32, float[0])
                put(at + Q.float32 + 1, float[1])
                put(at + Q.int32, int32[0])
                put(at + Q.int32 + 1, int32[1])
                put(at + Q.int16, int16)
                let quality: QualityCode = value == nil && p?.quality == .good ? .noValue : (p?.quality ?? .noValue)
                put(at + Q.quality, quality.rawValue)
                put(at + Q.age, p?.ageSeconds.map { UInt16(clamping: Int($0.rounded(.down))) } ?? 0xFFFF)
            }
        }
        for alarm in map.alarms {
            let f = facts.alarms[alarm.id]
            var word: UInt16 = alarm.priority.rawValue << 8
            if f?.active == true { word |= 1 }
            if f?.unacknowledged == true { word |= 2 }
            if f?.hidden == true { word |= 4 }
            put(DCSLayout.alarmBase + alarm.slot, word)
        }
    }
}
