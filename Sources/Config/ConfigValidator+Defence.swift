import Alarm

/// What the `[[interlocks]]` pass needs to know about the `[[plans]]`: every id the file defines, valid or not,
/// so that an interlock naming a plan with mistakes is not also told the plan does not exist.
struct DefinedPlans: Sendable {
    var plans: [PlanDefinition]
    var ids: [String]
}

extension ConfigValidator {
    /// `[defence]`: `retries`, `default_deadline_s`, `max_bypass_h`, `escalate_pool_full_within_min`,
    /// `pool_high_high`, `escalation_output`, `plant_wide_order`; all optional.
    mutating func validateDefence(_ t: ConfigTable, devices: [Device]) -> DefenceSettings {
        checkKeys(
            t,
            allowed: [
                "retries", "default_deadline_s", "max_bypass_h", "escalate_pool_full_within_min", "pool_high_high",
                "escalation_output", "plant_wide_order",
            ])
        var settings = DefenceSettings()
        if let retries = integer(t, "retries", in: 0...5) { settings.retries = retries }
        if let s = number(t, "default_deadline_s", in: 1...3600) { settings.defaultDeadlineSeconds = s }
        if let h = number(t, "max_bypass_h", in: 0.1...24) { settings.maximumBypassHours = h }
        if let m = number(t, "escalate_pool_full_within_min", in: 1...1440) {
            settings.escalatePoolFullWithinMinutes = m
        }
        if let levels = table(t, "pool_high_high") {
            let pools = devices.filter { $0.kind == .level && $0.levelSettings?.isPool == true }.map(\.id)
            for id in levels.entries.keys.sorted() {
                let level = number(levels, id, in: Self.engineeringValues)
                let path = levels.path.appending(id)
                guard let device = devices.first(where: { $0.id == id }) else {
                    report(path, "is not a device" + Suggestion.hint(for: id, in: pools))
                    continue
                }
                guard device.kind == .level, device.levelSettings?.isPool == true else {
                    let what = device.kind == .level ? "a level without pool = true" : "a \(device.kind.rawValue)"
                    report(path, "must be a pool's level device (pool = true), not \(what)")
                    continue
                }
                if let level { settings.poolHighHigh[id] = level }
            }
        }
        if let id = string(t, "escalation_output"),
            switchableOutput(id, at: t.path.appending("escalation_output"), devices: devices)
        {
            settings.escalationOutput = id
        }
        if let order = choice(t, "plant_wide_order", PlanOrder.self) { settings.plantWideOrder = order }
        return settings
    }

    // MARK: Plans

    /// `[[plans]]`, in file order; ids are unique and leave "plant-wide" and "group:<group>" to the derived plans.
    mutating func validatePlans(_ top: ConfigTable, devices: [Device]) -> DefinedPlans {
        guard let items = arrayOfTables(top, "plans") else { return DefinedPlans(plans: [], ids: []) }
        var defined = DefinedPlans(plans: [], ids: [])
        var firstIndexByID: [String: Int] = [:]
        for (i, t) in items {
            let before = issues.count
            var id: String?
            if case .string(let raw)? = t["id"], raw == "plant-wide" || raw.hasPrefix("group:") {
                let what = raw == "plant-wide" ? "the plan derived from every device" : "the plan derived from a group"
                report(t.path.appending("id"), "\(quoted(raw)) is reserved for \(what)")
                defined.ids.append(raw)
            } else {
                id = identifier(t, "id", required: true)
            }
            if let id {
                if let first = firstIndexByID[id] {
                    report(t.path.appending("id"), "\(quoted(id)) is already used by plans[\(first)]")
                } else {
                    firstIndexByID[id] = i
                    defined.ids.append(id)
                }
            }
            let plan = validatePlan(t, devices: devices)
            if let id, issues.count == before {
                defined.plans.append(
                    PlanDefinition(id: id, name: plan.name, groups: plan.groups, order: plan.order, steps: plan.steps))
            }
        }
        return defined
    }

    /// One plan's keys other than `id`; the returned plan's id is a placeholder.
    private mutating func validatePlan(_ t: ConfigTable, devices: [Device]) -> PlanDefinition {
        checkKeys(t, allowed: ["id", "name", "groups", "order", "steps"])
        var plan = PlanDefinition(id: "")
        plan.name = nonEmptyString(t, "name")
        let groupItems = array(t, "groups") ?? []
        let known = knownGroups(devices)
        for (i, item) in groupItems.enumerated() {
            let path = t.path.appending("groups").indexed(i)
            guard case .string(let group) = item else {
                report(path, "must be a device group (a string), got \(item.typeName)")
                continue
            }
            if plan.groups.contains(group) {
                report(path, "\(quoted(group)) is already listed")
            } else if !known.contains(group) {
                report(path, "\(quoted(group)) is not the group of any device" + Suggestion.hint(for: group, in: known))
            } else {
                plan.groups.append(group)
            }
        }
        plan.order = choice(t, "order", PlanOrder.self) ?? .parallel
        plan.steps = validateSteps(arrayOfTables(t, "steps") ?? [], at: t.path.appending("steps"), devices: devices)
        // A key of the wrong type is reported as such; only a plan that gives neither is empty.
        func isEmpty(_ key: String) -> Bool {
            guard let node = t[key] else { return true }
            if case .array(let items) = node { return items.isEmpty }
            return false
        }
        if isEmpty("groups"), isEmpty("steps") {
            reportTable(t.path, "needs at least one of groups or [[plans.steps]]")
        }
        return plan
    }

    /// `[[plans.steps]]` of one plan: each step alone, then `after` across them (unknown ids, cycles).
    private mutating func validateSteps(
        _ items: [(Int, ConfigTable)], at stepsPath: KeyPath, devices: [Device]
    ) -> [StepDefinition] {
        var steps: [StepDefinition] = []
        // Each step's id as the sequencer will know it: written, or `<verb>-<device>`; nil when neither is known.
        var ids: [Int: String] = [:]
        var firstIndexByID: [String: Int] = [:]
        var afterByIndex: [Int: [(index: Int, id: String)]] = [:]
        for (i, t) in items {
            checkKeys(t, allowed: ["id", "device", "action", "after", "deadline_s"])
            let explicitID = identifier(t, "id")
            let deviceID = string(t, "device", required: true)
            let action = choice(t, "action", among: StepDefinition.actions, required: true)
            let device = deviceID.flatMap { id in devices.first { $0.id == id } }
            if let deviceID, device == nil {
                report(
                    t.path.appending("device"),
                    "\(quoted(deviceID)) is not a device" + Suggestion.hint(for: deviceID, in: devices.map(\.id)))
            }
            if let device, let action { checkStepFits(t, action: action, device: device) }
            let deadline = number(t, "deadline_s", in: 1...3600)
            var after: [(index: Int, id: String)] = []
            for (j, item) in (array(t, "after") ?? []).enumerated() {
                guard case .string(let id) = item else {
                    report(t.path.appending("after").indexed(j), "must be a step id (a string), got \(item.typeName)")
                    continue
                }
                after.append((j, id))
            }
            afterByIndex[i] = after

            let id =
                t.has("id")
                ? explicitID : action.flatMap { a in deviceID.map { "\(StepDefinition.command(for: a) ?? a)-\($0)" } }
            ids[i] = id
            if let id {
                if let first = firstIndexByID[id] {
                    if explicitID != nil {
                        report(t.path.appending("id"), "\(quoted(id)) is already used by steps[\(first)]")
                    } else {
                        reportTable(
                            t.path,
                            "step id \(quoted(id)) (the default for this device and action) is already used by "
                                + "steps[\(first)]; give one of them an id")
                    }
                } else {
                    firstIndexByID[id] = i
                }
            }
            if let deviceID, let action {
                steps.append(
                    StepDefinition(
                        id: explicitID, device: deviceID, action: action, after: after.map(\.id),
                        deadlineSeconds: deadline))
            }
        }

        // `after` can only be checked once every id is known: a step whose id could not be worked out might be
        // the one named, and saying the name is unknown would send the reader after the wrong mistake.
        let allKnown = items.allSatisfy { ids[$0.0] != nil }
        var edges: [String: [String]] = [:]
        for (i, t) in items {
            for (j, dependency) in afterByIndex[i] ?? [] {
                let path = t.path.appending("after").indexed(j)
                if dependency == ids[i] {
                    report(path, "\(quoted(dependency)) is this step itself; a step cannot wait for itself")
                } else if firstIndexByID[dependency] != nil {
                    if let id = ids[i] { edges[id, default: []].append(dependency) }
                } else if allKnown {
                    report(
                        path,
                        "\(quoted(dependency)) is not a step of this plan"
                            + Suggestion.hint(for: dependency, in: firstIndexByID.keys))
                }
            }
        }
        for cycle in Self.cycles(edges, order: items.compactMap { ids[$0.0] }) {
            let chain = cycle.dropFirst(2).map { ", which waits for \(quoted($0))" }.joined()
            report(stepsPath, "form a cycle: \(quoted(cycle[0])) waits for \(quoted(cycle[1]))" + chain)
        }
        return steps
    }

    /// A step's action must suit its device's kind, and the device must have the command the action sends.
    private mutating func checkStepFits(_ t: ConfigTable, action: String, device: Device) {
        let needed: DeviceKind =
            switch action {
            case "close-valve", "open-valve": .valve
            case "start-pump", "stop-pump": .pump
            default: .digitalOutput
            }
        let path = t.path.appending("action")
        guard device.kind == needed else {
            report(
                path,
                "\(quoted(action)) needs a \(needed.rawValue) device, but \(quoted(device.id)) is a \(device.kind.rawValue)"
            )
            return
        }
        let command = StepDefinition.command(for: action) ?? action
        if device.commands[command] == nil {
            report(
                path, "\(quoted(action)) needs a \(quoted(command)) command, which device \(quoted(device.id)) lacks")
        }
    }

    /// Every cycle among `edges` (step → the steps it waits for), each once, starting at its earliest step in
    /// `order` and followed forwards: `["a", "b", "a"]` means a waits for b, which waits for a.
    static func cycles(_ edges: [String: [String]], order: [String]) -> [[String]] {
        var found: [[String]] = []
        var done: Set<String> = []
        var stack: [String] = []
        var onStack: Set<String> = []
        func visit(_ node: String) {
            stack.append(node)
            onStack.insert(node)
            for next in edges[node] ?? [] {
                if onStack.contains(next) {
                    found.append(Array(stack[stack.lastIndex(of: next)!...]) + [next])
                } else if !done.contains(next) {
                    visit(next)
                }
            }
            stack.removeLast()
            onStack.remove(node)
            done.insert(node)
        }
        for node in order where !done.contains(node) { visit(node) }
        return found
    }

    // MARK: Interlocks

    /// Condition keys an interlock may give inline instead of `alarm`.
    static let inlineConditionKeys: Set<String> = [
        "point", "kind", "limit", "state", "deadband", "on_delay_s", "off_delay_s", "rate_window_s",
    ]

    /// `[[interlocks]]`: each with a condition borrowed from an alarm (`alarm`) or given inline, and the plan it
    /// runs.
    mutating func validateInterlocks(
        _ top: ConfigTable, devices: [Device], alarms: [AlarmDefinition], plans: DefinedPlans
    ) -> [InterlockDefinition] {
        guard let items = arrayOfTables(top, "interlocks") else { return [] }
        let groups = knownGroups(devices)
        let planNames = ["plant-wide"] + plans.ids + groups.map { "group:\($0)" }
        var interlocks: [InterlockDefinition] = []
        var firstIndexByID: [String: Int] = [:]
        for (i, t) in items {
            let before = issues.count
            checkKeys(t, allowed: Self.inlineConditionKeys.union(["id", "plan", "alarm", "description"]))
            let id = identifier(t, "id", required: true)
            if let id {
                if let first = firstIndexByID[id] {
                    report(t.path.appending("id"), "\(quoted(id)) is already used by interlocks[\(first)]")
                } else {
                    firstIndexByID[id] = i
                }
            }
            let plan = string(t, "plan", required: true)
            if let plan, !planNames.contains(plan) {
                if plan.hasPrefix("group:") {
                    let group = String(plan.dropFirst("group:".count))
                    report(
                        t.path.appending("plan"),
                        "\(quoted(plan)): no device has group \(quoted(group))"
                            + Suggestion.hint(for: plan, in: groups.map { "group:\($0)" }))
                } else {
                    report(
                        t.path.appending("plan"),
                        "\(quoted(plan)) must be \"plant-wide\", the id of a [[plans]] entry or \"group:<group>\""
                            + Suggestion.hint(for: plan, in: planNames))
                }
            }
            let description = nonEmptyString(t, "description")

            var trip: (point: String, condition: Condition)?
            let alarmID = string(t, "alarm")
            if let alarmID {
                for key in Self.inlineConditionKeys.sorted() where t.has(key) {
                    report(
                        t.path.appending(key), "does not go with alarm = \(quoted(alarmID)), whose condition is used")
                }
                if let alarm = alarms.first(where: { $0.id == alarmID }) {
                    trip = (alarm.point, alarm.condition)
                } else {
                    report(
                        t.path.appending("alarm"),
                        "\(quoted(alarmID)) is not an alarm in [[alarms]]"
                            + Suggestion.hint(for: alarmID, in: alarms.map(\.id)))
                }
            } else if !t.has("alarm"), !t.has("point"), !t.has("kind") {
                reportTable(t.path, "needs alarm = \"<alarm id>\" or a condition: point, kind and limit (or state)")
            } else if !t.has("alarm") {
                let point = devicePoint(t, "point", devices: devices, required: true)
                let condition = inlineCondition(t, tuning: conditionTuning(t))
                if let point, let condition { trip = (point.name, condition.condition) }
            }
            if let id, let plan, let trip, issues.count == before {
                interlocks.append(
                    InterlockDefinition(
                        id: id, point: trip.point, condition: trip.condition, plan: plan, alarm: alarmID,
                        description: description))
            }
        }
        return interlocks
    }

    // MARK: First flush

    /// `[[first_flush]]`: one per rain outlet.
    mutating func validateFirstFlush(
        _ top: ConfigTable, devices: [Device], alarms: [AlarmDefinition]
    ) -> [FirstFlushDefinition] {
        guard let items = arrayOfTables(top, "first_flush") else { return [] }
        var result: [FirstFlushDefinition] = []
        var firstIndexByOutlet: [String: Int] = [:]
        for (i, t) in items {
            let before = issues.count
            checkKeys(
                t,
                allowed: [
                    "outlet", "pool_inlet", "rain", "rain_gauge", "quality_alarms", "amount_mm", "raining_min",
                    "t1_min", "t3_min", "t2_h",
                ])
            let outlet = valve(t, "outlet", devices: devices, required: true)
            if let outlet {
                if let first = firstIndexByOutlet[outlet] {
                    report(t.path.appending("outlet"), "\(quoted(outlet)) already has a first_flush[\(first)]")
                } else {
                    firstIndexByOutlet[outlet] = i
                }
            }
            let poolInlet = valve(t, "pool_inlet", devices: devices)
            if let poolInlet, poolInlet == outlet {
                report(t.path.appending("pool_inlet"), "\(quoted(poolInlet)) is the outlet itself")
            }
            let rain = devicePoint(t, "rain", devices: devices)
            if let rain, rain.device.kind != .digitalInput {
                report(
                    t.path.appending("rain"),
                    "\(quoted(rain.name)) must be a point of a digital-input device, not of a \(rain.device.kind.rawValue)"
                )
            }
            let gauge = devicePoint(t, "rain_gauge", devices: devices)
            if !t.has("rain"), !t.has("rain_gauge") {
                reportTable(t.path, "needs rain = \"<device>.<point>\", rain_gauge = \"<device>.<point>\" or both")
            }
            var qualityAlarms: [String] = []
            for (j, item) in (array(t, "quality_alarms") ?? []).enumerated() {
                let path = t.path.appending("quality_alarms").indexed(j)
                guard case .string(let id) = item else {
                    report(path, "must be an alarm id (a string), got \(item.typeName)")
                    continue
                }
                guard alarms.contains(where: { $0.id == id }) else {
                    report(
                        path,
                        "\(quoted(id)) is not an alarm in [[alarms]]" + Suggestion.hint(for: id, in: alarms.map(\.id)))
                    continue
                }
                qualityAlarms.append(id)
            }
            var definition = FirstFlushDefinition(outlet: outlet ?? "")
            definition.poolInlet = poolInlet
            definition.rain = rain?.name
            definition.rainGauge = gauge?.name
            definition.qualityAlarms = qualityAlarms
            if let amount = positiveNumber(t, "amount_mm", atMost: 500) { definition.amountMM = amount }
            if let m = number(t, "raining_min", in: 0.1...240) { definition.rainingMinutes = m }
            if let m = number(t, "t1_min", in: 0...240) { definition.t1Minutes = m }
            let t3 = number(t, "t3_min", in: 0...1440)
            let t2 = number(t, "t2_h", in: 0.1...72)
            if let t3 { definition.t3Minutes = t3 }
            if let t2 { definition.t2Hours = t2 }
            // Rain back within t3 is not diverted again, rain between t3 and t2 is: t3 past t2 leaves no gap.
            let t3Valid = t3 != nil || !t.has("t3_min")
            let t2Valid = t2 != nil || !t.has("t2_h")
            if t3Valid, t2Valid, definition.t3Minutes >= definition.t2Hours * 60 {
                report(
                    t.path.appending("t3_min"),
                    "\(formatted(definition.t3Minutes)) must be less than t2_h "
                        + "(\(formatted(definition.t2Hours)) h = \(formatted(definition.t2Hours * 60)) min)")
            }
            if outlet != nil, issues.count == before { result.append(definition) }
        }
        return result
    }

    /// A valve device id with `open` and `close` commands at `key`.
    private mutating func valve(_ t: ConfigTable, _ key: String, devices: [Device], required: Bool = false) -> String? {
        guard let id = string(t, key, required: required) else { return nil }
        guard let device = devices.first(where: { $0.id == id }) else {
            let valves = devices.filter { $0.kind == .valve }.map(\.id)
            report(t.path.appending(key), "\(quoted(id)) is not a device" + Suggestion.hint(for: id, in: valves))
            return nil
        }
        guard device.kind == .valve, device.commands["open"] != nil, device.commands["close"] != nil else {
            report(t.path.appending(key), "\(quoted(id)) must be a valve with open and close commands")
            return nil
        }
        return id
    }

    // MARK: Readers

    /// The tables of an array of tables (`[[plans]]`, `[[plans.steps]]`) at `key`, each with its index and path;
    /// nil when absent. An item that is not a table is recorded and left out.
    mutating func arrayOfTables(_ t: ConfigTable, _ key: String) -> [(Int, ConfigTable)]? {
        guard let node = t[key] else { return nil }
        let path = t.path.appending(key)
        guard case .array(let items) = node else {
            // The header as written: `[[plans.steps]]`, not `[[plans[0].steps]]`.
            let header = path.keys.map { $0.prefix { $0 != "[" } }.joined(separator: ".")
            report(path, "must be an array of tables ([[\(header)]]), got \(node.typeName)")
            return nil
        }
        var tables: [(Int, ConfigTable)] = []
        for (i, item) in items.enumerated() {
            guard case .table(let entries) = item else {
                report(path.indexed(i), "must be a table, got \(item.typeName)")
                continue
            }
            tables.append((i, ConfigTable(path: path.indexed(i), entries: entries)))
        }
        return tables
    }

    /// Every `group` some device has, sorted.
    private func knownGroups(_ devices: [Device]) -> [String] {
        Array(Set(devices.compactMap(\.group))).sorted()
    }
}
