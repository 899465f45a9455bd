import Config
import ModbusWire

/// One line of the register map, as the DCS engineer reads it.
public struct DCSMapEntry: Sendable, Hashable, Codable {
    /// "register" (function 03 or 04, read-only) or "coil" (function 01 to read, 05 or 15 to write).
    public var table: String
    /// The 0-based PDU address.
    public var address: Int
    /// "uint16", "int16", "int32", "float32", "bits" (a word of flags) or "bool" (a coil).
    public var type: String
    /// For the two-register types: "ABCD", "CDAB", "BADC" or "DCBA".
    public var wordOrder: String?
    /// The register holds round(value × scale); nil when there is no scaling.
    public var scale: Int?
    public var unit: String
    public var meaning: String
    /// "plant", a device id, "<device>/<point>", "alarm <id>" or "plan <id>".
    public var source: String
}

/// The register map of one configuration: its entries for the document, and which addresses exist.
public struct DCSMap: Sendable {
    public let settings: DCSSettings
    public let book: DCSAddressBook
    /// Devices with their slot, in slot order.
    public let devices: [(device: Device, slot: Int)]
    /// Configured alarms with their slot and priority code, in slot order.
    public let alarms: [(id: String, slot: Int, priority: PriorityCode, message: String)]
    /// Plan numbers (slot + 1, so 0 can mean "none") by plan id.
    public let planNumbers: [String: Int]
    /// Coils that exist, and what each does.
    public let coils: [Int: CoilAction]
    public let entries: [DCSMapEntry]

    /// What writing a coil asks for.
    public enum CoilAction: Sendable, Hashable {
        case reset
        case acknowledgeAll
        case shutoff(plan: String)

        /// The coil's name: the reason the journal gives for what it did.
        public var name: String {
            switch self {
            case .reset: "reset coil"
            case .acknowledgeAll: "acknowledge-all coil"
            case .shutoff(let plan): "shutoff coil \(plan)"
            }
        }
    }

    public init(config: LeveeConfig, book: DCSAddressBook) {
        let s = config.dcs
        settings = s
        self.book = book
        devices = config.devices.compactMap { d in book.devices[d.id].map { (d, $0) } }.sorted { $0.1 < $1.1 }
        alarms = config.alarms.compactMap { a in
            book.alarms[a.id].map { (a.id, $0, PriorityCode(status: a.priority.rawValue) ?? .low, a.message) }
        }.sorted { $0.1 < $1.1 }
        planNumbers = book.plans.mapValues { $0 + 1 }
        var coils: [Int: CoilAction] = [:]
        if s.resetCoil { coils[DCSLayout.resetCoil] = .reset }
        if s.ackCoil { coils[DCSLayout.ackCoil] = .acknowledgeAll }
        for plan in s.shutoffCoils {
            if let slot = book.plans[plan] { coils[DCSLayout.shutoffCoilBase + slot] = .shutoff(plan: plan) }
        }
        self.coils = coils
        entries = Self.entries(settings: s, devices: devices, alarms: alarms, book: book, coils: coils)
    }

    /// Whether register `address` exists: the plant area, an assigned device's block, an assigned alarm.
    public func registerExists(_ address: Int) -> Bool {
        if (0..<DCSLayout.plantSize).contains(address) { return true }
        return registerRanges.contains { $0.contains(address) }
    }

    /// Every range of registers that exists, plant area included.
    public var registerRanges: [Range<Int>] {
        [0..<DCSLayout.plantSize]
            + devices.map { DCSLayout.deviceAddress(slot: $0.slot)..<DCSLayout.deviceAddress(slot: $0.slot + 1) }
            + alarms.map { DCSLayout.alarmBase + $0.slot..<DCSLayout.alarmBase + $0.slot + 1 }
    }

    static func entries(
        settings s: DCSSettings, devices: [(device: Device, slot: Int)],
        alarms: [(id: String, slot: Int, priority: PriorityCode, message: String)], book: DCSAddressBook,
        coils: [Int: CoilAction]
    ) -> [DCSMapEntry] {
        var out: [DCSMapEntry] = []
        func reg(
            _ address: Int, _ type: String, _ meaning: String, source: String, unit: String = "",
            scale: Int? = nil
        ) {
            let order = (type == "float32" || type == "int32") ? s.wordOrder.rawValue : nil
            out.append(
                DCSMapEntry(
                    table: "register", address: address, type: type, wordOrder: order, scale: scale, unit: unit,
                    meaning: meaning, source: source))
        }
        typealias P = DCSLayout.Plant
        reg(
            P.heartbeat, "uint16", "heartbeat: +1 every second while Levee runs (wraps at 65535); alarm if frozen",
            source: "plant", unit: "s")
        reg(P.latched, "uint16", "shutoff latched: 1 yes, 0 no", source: "plant")
        reg(
            P.planNumber, "uint16", "latched plan number (see the plan rows); 0 none, 65535 several or a restore",
            source: "plant")
        reg(
            P.tripSource, "uint16",
            "first trip source: 0 none, 1 button, 2 leveectl, 3 HTTP, 4 park, 5 interlock, 6 leveed, 7 DCS",
            source: "plant")
        reg(P.escalated, "uint16", "escalated to the park: 1 yes, 0 no", source: "plant")
        reg(P.bypasses, "uint16", "interlocks bypassed now (count)", source: "plant")
        reg(P.drill, "uint16", "verification drill in progress: 1 yes, 0 no", source: "plant")
        reg(P.historianHealthy, "uint16", "historian: 1 healthy, 0 fault", source: "plant")
        reg(P.mqttLink, "uint16", "park MQTT link: 0 not configured, 1 connected, 2 down", source: "plant")
        reg(P.uplink, "uint16", "HJ 212 uplink: 0 not configured, 1 connected, 2 down", source: "plant")
        reg(P.activeCritical, "uint16", "active alarms, critical (count)", source: "plant")
        reg(P.activeHigh, "uint16", "active alarms, high (count)", source: "plant")
        reg(P.activeMedium, "uint16", "active alarms, medium (count)", source: "plant")
        reg(P.activeLow, "uint16", "active alarms, low (count)", source: "plant")
        reg(P.unacknowledged, "uint16", "unacknowledged alarms (count)", source: "plant")
        reg(P.devicesConfigured, "uint16", "devices configured (count)", source: "plant")
        reg(P.devicesAnswering, "uint16", "devices answering (count)", source: "plant")
        reg(P.dcsClients, "uint16", "DCS clients connected to this server (count)", source: "plant")
        reg(P.layoutVersion, "uint16", "map layout version (\(DCSLayout.version))", source: "plant")
        for (plan, slot) in book.plans.sorted(by: { $0.value < $1.value }) {
            out.append(
                DCSMapEntry(
                    table: "plan", address: slot + 1, type: "number", wordOrder: nil, scale: nil, unit: "",
                    meaning: "plan number \(slot + 1) in register \(P.planNumber)", source: "plan \(plan)"))
        }
        typealias D = DCSLayout.DeviceOffset
        typealias Q = DCSLayout.PointOffset
        for (device, slot) in devices {
            let base = DCSLayout.deviceAddress(slot: slot)
            reg(base + D.answering, "uint16", "\(device.name): 1 answering, 0 not answering", source: device.id)
            if device.kind == .valve {
                reg(
                    base + D.valvePosition, "uint16",
                    "\(device.name): position 0 unknown, 1 open, 2 closed, 3 travelling, 4 fault", source: device.id)
                reg(base + D.valveMode, "uint16", "\(device.name): 0 unknown, 1 remote, 2 local", source: device.id)
                reg(
                    base + D.lastStroke, "uint16", "\(device.name): last stroke time; 0 none yet", source: device.id,
                    unit: "s", scale: 10)
                reg(base + D.failedToMove, "uint16", "\(device.name): failed to move: 1 yes, 0 no", source: device.id)
                reg(
                    base + D.valvePending, "uint16", "\(device.name): movement awaited: 0 none, 1 opening, 2 closing",
                    source: device.id)
            }
            for (k, name) in DCSLayout.points(for: device.kind.rawValue).enumerated() {
                guard let point = device.points[name] else { continue }
                let at = base + D.firstPoint + D.pointSize * k
                let src = "\(device.id)/\(name)"
                let label = "\(device.name) \(name)"
                let scale = point.isDigital ? nil : s.intScale
                reg(at + Q.float32, "float32", "\(label)", source: src, unit: point.unit)
                reg(at + Q.int32, "int32", "\(label)", source: src, unit: point.unit, scale: scale)
                reg(
                    at + Q.int16, "int16", "\(label) (clamped to -32768...32767)", source: src, unit: point.unit,
                    scale: scale)
                reg(
                    at + Q.quality, "uint16",
                    "\(label) quality: 0 good, 1 stale, 2 comm-fail, 3 out-of-range, 4 bad-config, 5 no value yet",
                    source: src)
                reg(
                    at + Q.age, "uint16", "\(label) age of the value; 65535 never read or older", source: src, unit: "s"
                )
            }
        }
        for alarm in alarms {
            reg(
                DCSLayout.alarmBase + alarm.slot, "bits",
                "alarm \(alarm.message): bit 0 active, bit 1 unacknowledged, bit 2 shelved or out of service; bits 8-10 priority (1 critical, 2 high, 3 medium, 4 low) = \(alarm.priority.rawValue)",
                source: "alarm \(alarm.id)")
        }
        for (address, action) in coils.sorted(by: { $0.key < $1.key }) {
            let meaning: String
            switch action {
            case .reset: meaning = "request a reset of the shutoff latch (never reopens anything)"
            case .acknowledgeAll: meaning = "acknowledge every unacknowledged alarm"
            case .shutoff(let plan): meaning = "trip plan \(plan)"
            }
            out.append(
                DCSMapEntry(
                    table: "coil", address: address, type: "bool", wordOrder: nil, scale: nil, unit: "",
                    meaning: "\(meaning): write 1 and hold it \(s.writeHoldMs) ms, then write 0",
                    source: action.name))
        }
        return out
    }
}
