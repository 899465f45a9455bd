/// One `[[devices]]` entry as far as it could be read, kept even when it has mistakes so that the checks across
/// devices (duplicate ids, shared write targets) still run on what is known.
struct DeviceDraft: Sendable {
    var index: Int
    /// `devices[3] "rain-outlet-1"`, or `devices[3]` when the id is unknown.
    var owner: String
    var id: String?
    var busID: String?
    var family: BusFamily?
    var unit: Int?
    /// Points and commands that are valid on their own.
    var points: [String: Point] = [:]
    var commands: [String: Command] = [:]
    /// The finished device; nil when the entry has mistakes.
    var device: Device?
}

extension ConfigValidator {
    static let commonDeviceKeys: Set<String> = [
        "id", "name", "type", "bus", "unit", "line", "group", "location", "poll_ms", "max_gap", "points", "commands",
        "dcs_address",
    ]

    /// Kind-specific keys, written on the device table and documented on each settings type.
    static func settingsKeys(for kind: DeviceKind) -> Set<String> {
        switch kind {
        case .valve: ["stroke_s", "stroke_margin", "role"]
        case .level: ["pool", "area_m2", "volume_table", "design_volume_m3"]
        case .gas: ["gas_kind", "gas"]
        case .digitalInput: ["role"]
        case .dust, .pump, .waterQuality, .digitalOutput: []
        }
    }

    /// `[[devices]]`, in file order; also rejects duplicate ids.
    mutating func validateDevices(_ top: ConfigTable, buses: [DefinedBus]) -> [DeviceDraft] {
        let path = KeyPath(keys: ["devices"])
        guard let node = top["devices"] else {
            report(path, "is required: add at least one [[devices]] table")
            return []
        }
        guard case .array(let items) = node else {
            report(path, "must be an array of tables ([[devices]]), got \(node.typeName)")
            return []
        }
        if items.isEmpty { report(path, "must hold at least one device") }
        let busesByID = Dictionary(buses.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var drafts: [DeviceDraft] = []
        var firstIndexByID: [String: Int] = [:]
        for (i, item) in items.enumerated() {
            guard case .table(let entries) = item else {
                report(path.indexed(i), "must be a table, got \(item.typeName)")
                continue
            }
            let draft = validateDevice(index: i, entries, buses: busesByID, busOrder: buses.map(\.id))
            if let id = draft.id {
                if let first = firstIndexByID[id] {
                    report(
                        KeyPath(owner: draft.owner, keys: ["id"]), "\(quoted(id)) is already used by devices[\(first)]")
                } else {
                    firstIndexByID[id] = i
                }
            }
            drafts.append(draft)
        }
        return drafts
    }

    /// One device: common keys, then the bus-dependent `unit`, the kind's settings, points and commands.
    mutating func validateDevice(
        index: Int, _ entries: [String: TOMLNode], buses: [String: DefinedBus], busOrder: [String]
    ) -> DeviceDraft {
        var t = ConfigTable(path: KeyPath(owner: "devices[\(index)]"), entries: entries)
        var draft = DeviceDraft(index: index, owner: t.path.owner)
        if case .string(let raw)? = entries["id"] {
            draft.owner = "devices[\(index)] \(quoted(raw))"
            t.path.owner = draft.owner
        }
        draft.id = identifier(t, "id", required: true)
        let kind = choice(t, "type", DeviceKind.self, required: true)

        var allowed = Self.commonDeviceKeys
        var elsewhere: [String: String] = [:]
        if let kind {
            allowed.formUnion(Self.settingsKeys(for: kind))
            for key in Set(DeviceKind.allCases.flatMap(Self.settingsKeys(for:))) where !allowed.contains(key) {
                let owners = DeviceKind.allCases.filter { Self.settingsKeys(for: $0).contains(key) }
                elsewhere[key] = "applies only to \(owners.map(\.rawValue).joined(separator: " and ")) devices"
            }
        } else {
            allowed.formUnion(DeviceKind.allCases.flatMap(Self.settingsKeys(for:)))
        }
        checkKeys(t, allowed: allowed, elsewhere: elsewhere)

        let name = nonEmptyString(t, "name", required: true)
        if let busID = string(t, "bus", required: true) {
            if let bus = buses[busID] {
                draft.busID = busID
                draft.family = bus.family
            } else {
                let list = busOrder.isEmpty ? "none" : busOrder.map(quoted).joined(separator: ", ")
                report(
                    t.path.appending("bus"),
                    "\(quoted(busID)) is not defined (defined buses: \(list))"
                        + Suggestion.hint(for: busID, in: busOrder)
                )
            }
        }
        draft.unit = unit(t, family: draft.family)
        if draft.family == .gpio, t.has("max_gap") {
            report(t.path.appending("max_gap"), "does not apply to a device on a gpio bus")
        }
        let line = choice(t, "line", DefenceLine.self, required: true)
        let group = nonEmptyString(t, "group")
        let location = nonEmptyString(t, "location")
        let pollMs = integer(t, "poll_ms", in: 10...3_600_000) ?? 1000
        let maxGap = draft.family == .gpio ? nil : integer(t, "max_gap", in: 0...125)
        let dcsAddress = integer(t, "dcs_address", in: Self.dcsDeviceSlots)

        let settings = kind.map { deviceSettings(t, kind: $0, line: line) } ?? Device.Settings.none
        let bus = draft.busID.map { BusRef(id: $0, family: draft.family) }
        draft.points = validatePoints(t, kind: kind, bus: bus)
        draft.commands = validateCommands(t, kind: kind, bus: bus)
        if let kind {
            checkRoles(t, kind: kind, draft: &draft)
        }

        guard let id = draft.id, let name, let kind, let busID = draft.busID, let line else { return draft }
        if draft.family?.isModbus == true, draft.unit == nil { return draft }
        draft.device = Device(
            id: id, name: name, kind: kind, bus: busID, unit: draft.unit, line: line, group: group,
            location: location, pollMs: pollMs, maxGap: maxGap, points: draft.points, commands: draft.commands,
            settings: settings
        )
        draft.device?.dcsAddress = dcsAddress
        return draft
    }

    /// `unit`: required on Modbus buses (1...247, or 255 on TCP, where gateways often expect it), refused on GPIO.
    private mutating func unit(_ t: ConfigTable, family: BusFamily?) -> Int? {
        let path = t.path.appending("unit")
        switch family {
        case .gpio:
            if t.has("unit") { report(path, "must not be set on a device on a gpio bus (it is a Modbus unit id)") }
            return nil
        case .modbusTCP, .modbusRTU:
            guard t.has("unit") else {
                report(path, "is required on a \(family!.rawValue) bus (the Modbus unit id, 1...247)")
                return nil
            }
            guard let n = integer(t, "unit", in: 0...255) else { return nil }
            if n == 0 {
                report(path, "0 is the broadcast address, which gets no reply; use 1...247")
                return nil
            }
            if n == 255 && family == .modbusTCP { return n }
            if !(1...247).contains(n) {
                let tcpNote = family == .modbusRTU && n == 255 ? " (255 is accepted on modbus-tcp buses only)" : ""
                report(path, "\(n) is outside 1...247\(tcpNote)")
                return nil
            }
            return n
        case nil:
            return integer(t, "unit", in: 0...255)
        }
    }

    // MARK: Kind-specific settings

    private mutating func deviceSettings(_ t: ConfigTable, kind: DeviceKind, line: DefenceLine?) -> Device.Settings {
        switch kind {
        case .valve:
            let stroke = positiveNumber(t, "stroke_s", required: true, atMost: 3600)
            // The fault deadline is stroke_s × stroke_margin, built into a Duration: both are bounded so it is too.
            let margin = number(t, "stroke_margin", in: 1...10) ?? 1.5
            let role = choice(t, "role", ValveRole.self) ?? (line == .boundary ? .rainOutlet : nil)
            return .valve(ValveSettings(strokeSeconds: stroke ?? 0, strokeMargin: margin, role: role))
        case .level:
            let pool = boolean(t, "pool") ?? false
            let area = positiveNumber(t, "area_m2", atMost: 1e6)
            let table = volumeTable(t)
            let design = positiveNumber(t, "design_volume_m3", atMost: 1e8)
            if pool, !t.has("area_m2"), !t.has("volume_table") {
                reportTable(t.path, "a pool (pool = true) needs area_m2 or volume_table to compute its volume")
            }
            return .level(
                LevelSettings(isPool: pool, areaSquareMetres: area, volumeTable: table, designVolumeCubicMetres: design)
            )
        case .gas:
            let gasKind = choice(t, "gas_kind", GasSettings.GasKind.self, required: true)
            let gas = nonEmptyString(t, "gas", required: true)
            return .gas(GasSettings(gasKind: gasKind ?? .combustible, gas: gas ?? ""))
        case .digitalInput:
            return .digitalInput(
                DigitalInputSettings(role: choice(t, "role", DigitalInputSettings.Role.self) ?? .contact))
        case .dust, .pump, .waterQuality, .digitalOutput:
            return .none
        }
    }

    /// `volume_table = [[level, m³], ...]`: at least two rows, level strictly rising, volume never falling, so
    /// that interpolation is well defined and a rising level never reads as a shrinking volume.
    private mutating func volumeTable(_ t: ConfigTable) -> [LevelSettings.VolumePoint] {
        guard let rows = array(t, "volume_table") else { return [] }
        let path = t.path.appending("volume_table")
        var result: [LevelSettings.VolumePoint] = []
        for (i, row) in rows.enumerated() {
            guard case .array(let pair) = row, pair.count == 2, let level = pair[0].finiteNumber,
                let volume = pair[1].finiteNumber
            else {
                let bounds = ConfigValidator.engineeringValues
                report(
                    path.indexed(i),
                    "must be a pair [level, m³] such as [1.5, 300], each within "
                        + "\(formatted(bounds.lowerBound))...\(formatted(bounds.upperBound))")
                continue
            }
            if volume < 0 { report(path.indexed(i), "volume \(formatted(volume)) must be >= 0") }
            if let last = result.last {
                if level <= last.level {
                    report(
                        path.indexed(i),
                        "level \(formatted(level)) must be above the previous row's level \(formatted(last.level))"
                    )
                }
                if volume < last.volume {
                    report(
                        path.indexed(i),
                        "volume \(formatted(volume)) must not be below the previous row's volume "
                            + formatted(last.volume)
                    )
                }
            }
            result.append(LevelSettings.VolumePoint(level: level, volume: volume))
        }
        if rows.count < 2 {
            report(path, "has \(rows.count) row\(rows.count == 1 ? "" : "s"); it needs at least 2 to interpolate")
        }
        return result
    }

    // MARK: Points and commands each kind needs

    /// Required points, the "at least one of" rules, and the commands a valve or an output cannot work without.
    private mutating func checkRoles(_ t: ConfigTable, kind: DeviceKind, draft: inout DeviceDraft) {
        let pointNames = Set(pointEntries(t).keys)
        let pointsPath = t.path.appending("points")
        for name in PointRole.required(for: kind).sorted() where !pointNames.contains(name) {
            report(pointsPath.appending(name), "is required for a \(kind.rawValue) device")
        }
        let anyOf: [String] =
            switch kind {
            case .dust: PointRole.optional(for: .dust).sorted()
            case .waterQuality: ["ph", "cod", "conductivity"]
            default: []
            }
        if !anyOf.isEmpty, pointNames.isDisjoint(with: anyOf) {
            report(
                pointsPath, "must hold at least one of \(anyOf.joined(separator: ", ")) for a \(kind.rawValue) device")
        }

        let commandNames = Set(commandEntries(t).keys)
        let commandsPath = t.path.appending("commands")
        switch kind {
        case .valve:
            for name in ["open", "close"] where !commandNames.contains(name) {
                report(commandsPath.appending(name), "is required for a valve")
            }
        case .digitalOutput:
            if commandNames.isEmpty {
                deriveOutputCommands(t, draft: &draft)
            } else {
                for name in ["on", "off"] where !commandNames.contains(name) {
                    report(commandsPath.appending(name), "is required for a digital-output")
                }
            }
        default:
            break
        }
    }

    /// A GPIO digital-output without commands is switched through its state line: `on` writes 1, `off` writes 0.
    private mutating func deriveOutputCommands(_ t: ConfigTable, draft: inout DeviceDraft) {
        let commandsPath = t.path.appending("commands")
        guard draft.family == .gpio else {
            if let family = draft.family {
                report(
                    commandsPath,
                    "must give on and off for a digital-output on a \(family.rawValue) bus "
                        + "(only GPIO outputs derive them from points.state)"
                )
            }
            return
        }
        let statePath = t.path.appending("points").appending("state")
        guard pointEntries(t)["state"] != nil else {
            report(statePath, "is required for a digital-output on a gpio bus without commands")
            return
        }
        guard let line = draft.points["state"]?.gpio else { return }  // already reported
        guard line.direction == .output else {
            report(
                statePath.appending("direction"),
                "must be \"output\" when a digital-output has no commands (on and off drive its state line)"
            )
            return
        }
        draft.commands["on"] = Command(name: "on", target: .gpio(offset: line.offset), value: 1)
        draft.commands["off"] = Command(name: "off", target: .gpio(offset: line.offset), value: 0)
    }

    /// The raw entries of `points`, or none when it is absent or not a table (reported elsewhere).
    func pointEntries(_ t: ConfigTable) -> [String: TOMLNode] {
        if case .table(let entries)? = t["points"] { return entries }
        return [:]
    }

    func commandEntries(_ t: ConfigTable) -> [String: TOMLNode] {
        if case .table(let entries)? = t["commands"] { return entries }
        return [:]
    }
}

/// The bus a device is on, as the point and command checks need it.
struct BusRef: Sendable {
    var id: String
    /// Nil when the bus's own `type` is bad.
    var family: BusFamily?
}

extension TOMLNode {
    /// The value as a number within `ConfigValidator.engineeringValues`, for integers and floats; nil otherwise
    /// (NaN, infinities and sizes no plant has included).
    var finiteNumber: Double? {
        let d: Double
        switch self {
        case .integer(let n): d = Double(n)
        case .float(let f): d = f
        default: return nil
        }
        return ConfigValidator.engineeringValues.contains(d) ? d : nil
    }
}
