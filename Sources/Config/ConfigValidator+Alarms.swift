import Alarm

extension ConfigValidator {
    /// `[alarm]`: `max_shelve_h`, `annunciation`.
    mutating func validateAlarmSettings(_ t: ConfigTable, devices: [Device]) -> AlarmSettings {
        checkKeys(t, allowed: ["max_shelve_h", "annunciation"])
        var settings = AlarmSettings()
        if let hours = positiveNumber(t, "max_shelve_h", atMost: 24 * 30) { settings.maximumShelveHours = hours }
        if let a = table(t, "annunciation") {
            checkKeys(a, allowed: Set(AlarmPriority.allCases.map(\.rawValue)))
            for priority in AlarmPriority.allCases {
                guard let items = array(a, priority.rawValue) else { continue }
                var ids: [String] = []
                for (i, item) in items.enumerated() {
                    let path = a.path.appending(priority.rawValue).indexed(i)
                    guard case .string(let id) = item else {
                        report(path, "must be a device id (a string), got \(item.typeName)")
                        continue
                    }
                    if switchableOutput(id, at: path, devices: devices) { ids.append(id) }
                }
                settings.annunciation[priority] = ids
            }
        }
        return settings
    }

    /// Whether `id` names a digital-output device with `on` and `off` commands, as annunciation and park
    /// escalation switch; records why not at `path`.
    mutating func switchableOutput(_ id: String, at path: KeyPath, devices: [Device]) -> Bool {
        guard let device = devices.first(where: { $0.id == id }) else {
            report(path, "\(quoted(id)) is not a device" + Suggestion.hint(for: id, in: devices.map(\.id)))
            return false
        }
        guard device.kind == .digitalOutput, device.commands["on"] != nil, device.commands["off"] != nil else {
            report(path, "\(quoted(id)) must be a digital-output with on and off commands")
            return false
        }
        return true
    }

    /// `[[alarms]]`: each either a `preset` ("combustible", "toxic", "dust-dp", "dust-hopper-temp") or a
    /// `kind` with its limit. The engine is built once here so that any rule it enforces is reported too.
    mutating func validateAlarms(_ top: ConfigTable, devices: [Device], settings: AlarmSettings) -> [AlarmDefinition] {
        guard let node = top["alarms"] else { return [] }
        let path = KeyPath(keys: ["alarms"])
        guard case .array(let items) = node else {
            report(path, "must be an array of tables ([[alarms]]), got \(node.typeName)")
            return []
        }
        var all: [AlarmDefinition] = []
        var firstIndexByID: [String: Int] = [:]
        let before = issues.count
        for (i, item) in items.enumerated() {
            guard case .table(let entries) = item else {
                report(path.indexed(i), "must be a table, got \(item.typeName)")
                continue
            }
            let t = ConfigTable(path: path.indexed(i), entries: entries)
            for definition in validateAlarm(t, devices: devices) {
                if let first = firstIndexByID[definition.id] {
                    reportTable(
                        t.path, "alarm id \(quoted(definition.id)) is already defined by alarms[\(first)]")
                } else {
                    firstIndexByID[definition.id] = i
                    all.append(definition)
                }
            }
        }
        if issues.count == before {
            do {
                _ = try AlarmEngine(definitions: all, options: settings.engineOptions)
            } catch {
                reportTable(path, "\(error)")
            }
        }
        return all
    }

    static let alarmKeys: Set<String> = [
        "id", "point", "preset", "kind", "limit", "state", "deadband", "on_delay_s", "off_delay_s", "rate_window_s",
        "priority", "message", "group", "suppressed_by", "suppress_hold_s", "frozen_after_s", "frozen_band",
    ]

    mutating func validateAlarm(_ t: ConfigTable, devices: [Device]) -> [AlarmDefinition] {
        checkKeys(t, allowed: Self.alarmKeys)
        guard let (device, pointName, point) = devicePoint(t, "point", devices: devices, required: true) else {
            return []
        }
        let group = string(t, "group") ?? device.group
        let label = device.name
        let tuning = conditionTuning(t)
        let deadband = tuning.deadband
        let offDelay = tuning.offDelay
        let onDelay = tuning.onDelay
        var definitions: [AlarmDefinition]
        if let preset = choice(t, "preset", among: ["combustible", "toxic", "dust-dp", "dust-hopper-temp"]) {
            for key in ["kind", "state", "rate_window_s"] where t.has(key) {
                report(t.path.appending(key), "does not go with preset \(quoted(preset))")
            }
            switch preset {
            case "combustible":
                guard device.gasSettings?.gasKind == .combustible else {
                    reportTable(t.path, "preset \"combustible\" needs a gas device with gas_kind = \"combustible\"")
                    return []
                }
                definitions = AlarmPresets.combustibleGas(
                    point: pointName, label: label, group: group, deadband: deadband ?? 2.5,
                    offDelay: offDelay ?? .seconds(5))
            case "toxic":
                guard let gas = device.gasSettings, gas.gasKind == .toxic else {
                    reportTable(t.path, "preset \"toxic\" needs a gas device with gas_kind = \"toxic\"")
                    return []
                }
                let unit: ToxicUnit
                switch point.unit.lowercased() {
                case "ppm": unit = .ppm
                case "mg/m3", "mg/m³": unit = .milligramsPerCubicMetre
                default:
                    reportTable(
                        t.path,
                        "preset \"toxic\" needs the point's unit to be \"ppm\" or \"mg/m3\", not \(quoted(point.unit))")
                    return []
                }
                do {
                    definitions = try AlarmPresets.toxicGas(
                        gas.gas, point: pointName, unit: unit, label: label, group: group, deadband: deadband,
                        offDelay: offDelay ?? .seconds(5))
                } catch {
                    reportTable(t.path, "preset \"toxic\": \(error)")
                    return []
                }
            default:
                guard let limit = number(t, "limit", required: true, in: Self.engineeringValues) else { return [] }
                let priority = choice(t, "priority", AlarmPriority.self) ?? .high
                definitions = [
                    preset == "dust-dp"
                        ? AlarmPresets.dustCollectorPressureDifferenceHigh(
                            point: pointName, limit: limit, unit: point.unit.isEmpty ? "Pa" : point.unit, label: label,
                            group: group, priority: priority, deadband: deadband, onDelay: onDelay ?? .seconds(10),
                            offDelay: offDelay ?? .seconds(5))
                        : AlarmPresets.dustHopperTemperatureHigh(
                            point: pointName, limit: limit, unit: point.unit.isEmpty ? "°C" : point.unit, label: label,
                            group: group, priority: priority, deadband: deadband ?? 2, onDelay: onDelay ?? .seconds(5),
                            offDelay: offDelay ?? .seconds(10))
                ]
            }
            if let id = string(t, "id") {
                if definitions.count == 1 {
                    definitions[0].id = id
                } else {
                    report(t.path.appending("id"), "cannot be set on a preset that makes \(definitions.count) alarms")
                }
            }
            if let message = string(t, "message"), definitions.count == 1 { definitions[0].message = message }
        } else {
            guard let (condition, kindName) = inlineCondition(t, tuning: tuning) else { return [] }
            let code: String =
                switch kindName {
                case "high": "H"
                case "low": "L"
                case "state": "STATE"
                case "rate-of-rise": "ROR"
                default: "ROF"
                }
            definitions = [
                AlarmDefinition(
                    id: string(t, "id") ?? "\(pointName).\(code)", point: pointName, condition: condition,
                    priority: choice(t, "priority", AlarmPriority.self) ?? .medium,
                    message: string(t, "message") ?? "\(label)：\(pointName) \(kindName)", group: group)
            ]
        }
        if let s = table(t, "suppressed_by") {
            checkKeys(s, allowed: ["alarm", "point", "equals"])
            let hold = seconds(t, "suppress_hold_s") ?? .zero
            if let alarm = string(s, "alarm") {
                for i in definitions.indices { definitions[i].suppressedBy = .alarm(alarm, holdAfter: hold) }
            } else if let p = string(s, "point"), let equals = boolean(s, "equals", required: true) {
                for i in definitions.indices {
                    definitions[i].suppressedBy = .point(p, equals: equals, holdAfter: hold)
                }
            } else if !s.has("point") {
                reportTable(s.path, "needs alarm = \"<id>\" or point = \"<device>.<point>\" with equals")
            }
        }
        if let after = seconds(t, "frozen_after_s") {
            let band = number(t, "frozen_band", in: 0...Self.engineeringValues.upperBound) ?? 0
            for i in definitions.indices { definitions[i].frozenAfter = FrozenCheck(after: after, noiseBand: band) }
        }
        return definitions
    }

    // MARK: Shared with [[interlocks]]

    /// The condition kinds, as spelt in `kind`.
    static let conditionKinds = ["high", "low", "state", "rate-of-rise", "rate-of-fall"]

    /// A `"<device>.<point>"` reference at `key`, resolved against `devices`; nil (recorded) when it does not name
    /// a point of one of them.
    mutating func devicePoint(
        _ t: ConfigTable, _ key: String, devices: [Device], required: Bool = false
    ) -> (device: Device, name: String, point: Point)? {
        guard let pointName = nonEmptyString(t, key, required: required) else { return nil }
        let parts = pointName.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2, let device = devices.first(where: { $0.id == parts[0] }) else {
            let hint = Suggestion.hint(for: parts.first ?? pointName, in: devices.map(\.id))
            report(t.path.appending(key), "\(quoted(pointName)) must be <device>.<point> of a device above" + hint)
            return nil
        }
        guard let point = device.points[parts[1]] else {
            report(
                t.path.appending(key),
                "device \(quoted(device.id)) has no point \(quoted(parts[1]))"
                    + Suggestion.hint(for: parts[1], in: Array(device.points.keys)))
            return nil
        }
        return (device, pointName, point)
    }

    /// `deadband`, `on_delay_s` and `off_delay_s`, which presets and inline conditions both take.
    struct ConditionTuning {
        var deadband: Double?
        var onDelay: Duration?
        var offDelay: Duration?
    }

    /// Reads the tuning keys, each optional; a bad one is recorded and left nil.
    mutating func conditionTuning(_ t: ConfigTable) -> ConditionTuning {
        let deadband = number(t, "deadband", in: 0...Self.engineeringValues.upperBound)
        let offDelay = seconds(t, "off_delay_s")
        let onDelay = seconds(t, "on_delay_s")
        return ConditionTuning(deadband: deadband, onDelay: onDelay, offDelay: offDelay)
    }

    /// An inline condition: `kind` with its `limit` (or `state`), `rate_window_s`, and `tuning`.
    ///
    /// `[[alarms]]` and `[[interlocks]]` both read their conditions here, so an interlock written inline trips on
    /// exactly the condition an alarm with the same keys would raise on.
    /// - Returns: the condition and the kind as spelt, or nil (recorded) when `kind`, `limit` or `state` is
    ///   missing or bad.
    mutating func inlineCondition(
        _ t: ConfigTable, tuning: ConditionTuning
    ) -> (condition: Condition, kindName: String)? {
        guard let kindName = choice(t, "kind", among: Self.conditionKinds, required: true) else { return nil }
        let kind: Condition.Kind
        switch kindName {
        case "state":
            guard let state = boolean(t, "state", required: true) else { return nil }
            kind = .state(state)
        default:
            guard let limit = number(t, "limit", required: true, in: Self.engineeringValues) else { return nil }
            switch kindName {
            case "high": kind = .high(limit)
            case "low": kind = .low(limit)
            case "rate-of-rise": kind = .rateOfRise(perMinute: limit)
            default: kind = .rateOfFall(perMinute: limit)
            }
        }
        var condition = Condition(
            kind, deadband: tuning.deadband ?? 0, onDelay: tuning.onDelay ?? .zero, offDelay: tuning.offDelay ?? .zero)
        if let window = seconds(t, "rate_window_s") { condition.rateWindow = window }
        if let problem = condition.problem { reportTable(t.path, problem) }
        return (condition, kindName)
    }

    /// A duration given in seconds (`on_delay_s = 5`), at least 0 and at most a day.
    mutating func seconds(_ t: ConfigTable, _ key: String) -> Duration? {
        guard let s = number(t, key, in: 0...86400) else { return nil }
        return .milliseconds(Int(s * 1000))
    }
}
