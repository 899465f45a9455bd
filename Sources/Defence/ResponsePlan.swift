import Config

/// What one step does to its device. The command name is the one the device's `[devices.commands]` must define.
public enum StepOperation: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case closeValve = "close-valve"
    case openValve = "open-valve"
    case startPump = "start-pump"
    case stopPump = "stop-pump"
    case outputOn = "output-on"
    case outputOff = "output-off"

    public var description: String { rawValue }

    /// The device command that performs it, also the verb of default step ids ("close-outlet-1") and messages.
    public var commandName: String { StepDefinition.command(for: rawValue) ?? rawValue }

    /// The device kind the operation makes sense on.
    public var deviceKind: DeviceKind {
        switch self {
        case .closeValve, .openValve: .valve
        case .startPump, .stopPump: .pump
        case .outputOn, .outputOff: .digitalOutput
        }
    }
}

/// One step of a response plan: one command to one device, done only once the field confirms it.
///
/// `after` lists steps that must be *confirmed* (feedback, not just commanded) before this one is commanded, so
/// a plan can say "start the transfer pump only once the pool inlet is open". Empty means "at once".
public struct PlanStep: Sendable, Hashable, Codable, Identifiable {
    public var id: String
    public var device: String
    public var operation: StepOperation
    /// Step ids that must be confirmed first.
    public var after: [String]
    /// How long the step may take before it is retried or failed; nil uses the device's allowed stroke
    /// (`stroke_s × stroke_margin`) for a valve, or the sequencer's default for pumps and outputs.
    public var deadline: Duration?
    /// The line the device sits on, kept on the step so that escalation (a boundary valve that will not close)
    /// and reports need no second look-up.
    public var line: DefenceLine

    public init(
        id: String? = nil, device: String, operation: StepOperation, after: [String] = [], deadline: Duration? = nil,
        line: DefenceLine
    ) {
        self.id = id ?? "\(operation.commandName)-\(device)"
        self.device = device
        self.operation = operation
        self.after = after
        self.deadline = deadline
        self.line = line
    }

    private enum CodingKeys: String, CodingKey {
        case id, device, operation, after, deadline, line
    }

    // `DefenceLine` lives in Config and is not Codable; it is stored by its configuration spelling.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        device = try c.decode(String.self, forKey: .device)
        operation = try c.decode(StepOperation.self, forKey: .operation)
        after = try c.decode([String].self, forKey: .after)
        deadline = try c.decodeIfPresent(Duration.self, forKey: .deadline)
        let raw = try c.decode(String.self, forKey: .line)
        guard let line = DefenceLine(rawValue: raw) else {
            throw DecodingError.dataCorruptedError(forKey: .line, in: c, debugDescription: "unknown line \(raw)")
        }
        self.line = line
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(device, forKey: .device)
        try c.encode(operation, forKey: .operation)
        try c.encode(after, forKey: .after)
        try c.encodeIfPresent(deadline, forKey: .deadline)
        try c.encode(line.rawValue, forKey: .line)
    }
}

/// A named set of steps over devices: what one-key shutoff (一键关断) does.
public struct ResponsePlan: Sendable, Hashable, Codable {
    public var name: String
    public var steps: [PlanStep]

    public init(name: String, steps: [PlanStep]) {
        self.name = name
        self.steps = steps
    }

    public func step(_ id: String) -> PlanStep? { steps.first { $0.id == id } }

    /// What joins the names of plans merged into one latch.
    public static let joiner = " + "

    /// The configured plans this one is made of: one name, or those of every plan merged into a latch.
    public var planNames: [String] { name.components(separatedBy: Self.joiner) }

    /// Every reason the plan could not run on this configuration, in step order; empty when it is ready.
    ///
    /// Checked at start-up and before a drill, because a plan that names a renamed valve or a valve without a
    /// `close` command would otherwise be found out only during the emergency.
    public func readinessProblems(config: LeveeConfig) -> [PlanReadinessError] {
        var problems: [PlanReadinessError] = []
        var seen: Set<String> = []
        let ids = Set(steps.map(\.id))
        for step in steps {
            func problem(_ kind: PlanReadinessError.Problem) {
                problems.append(PlanReadinessError(plan: name, step: step.id, device: step.device, problem: kind))
            }
            if !seen.insert(step.id).inserted { problem(.duplicateStep) }
            for dependency in step.after where !ids.contains(dependency) || dependency == step.id {
                problem(.unknownDependency(dependency))
            }
            guard let device = config.device(step.device) else {
                problem(.missingDevice)
                continue
            }
            if device.kind != step.operation.deviceKind {
                problem(.wrongKind(expected: step.operation.deviceKind, found: device.kind))
            } else if device.commands[step.operation.commandName] == nil {
                problem(.missingCommand(step.operation.commandName))
            }
        }
        return problems
    }
}

/// A plan that cannot run as configured, naming the plan, the step and the device.
public struct PlanReadinessError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Problem: Sendable, Hashable {
        case missingDevice
        case missingCommand(String)
        case wrongKind(expected: DeviceKind, found: DeviceKind)
        case unknownDependency(String)
        case duplicateStep
    }

    public var plan: String
    public var step: String
    public var device: String
    public var problem: Problem

    public var description: String {
        let what: String
        switch problem {
        case .missingDevice: what = "device \"\(device)\" does not exist"
        case .missingCommand(let name): what = "device \"\(device)\" has no \"\(name)\" command"
        case .wrongKind(let expected, let found):
            what = "device \"\(device)\" is a \(found.rawValue), the step needs a \(expected.rawValue)"
        case .unknownDependency(let id): what = "waits for step \"\(id)\", which is not in the plan"
        case .duplicateStep: what = "step id is used twice"
        }
        return "plan \"\(plan)\" step \"\(step)\": \(what)"
    }
}

/// The plans derived from the configuration: each device's line and valve role say what it does on a trip.
public enum DefaultPlans {
    /// The name of the plant-wide plan.
    public static let plantWideName = "plant-wide"

    /// Line 1 closes the bund drains to rain and opens those to the accident pipe; line 2 opens the pool inlet,
    /// closes the pool bypass and starts the transfer pumps; line 3 closes the outlets. Park gates are the park's to
    /// command: on a plant they are left out, on a park instance (`[park]`) they close, after the plant lines.
    /// Every line at once unless `[defence] plant_wide_order = "by-line"`.
    public static func plantWide(config: LeveeConfig) -> ResponsePlan {
        ResponsePlan(
            name: plantWideName,
            steps: derivedSteps(for: config.devices, order: config.defence.plantWideOrder, park: config.park != nil))
    }

    /// The partial plan for one risk unit: the same derivation, over the devices whose `group` is `group`.
    public static func group(_ group: String, config: LeveeConfig) -> ResponsePlan {
        ResponsePlan(
            name: "group:\(group)",
            steps: derivedSteps(
                for: config.devices.filter { $0.group == group }, order: config.defence.plantWideOrder,
                park: config.park != nil))
    }

    /// What the plan does to one device, or nil when the device takes no part; `park`: on a park instance, where
    /// the park's gates close.
    public static func operation(for device: Device, park: Bool = false) -> StepOperation? {
        switch device.kind {
        case .valve:
            let role = device.valveSettings?.role ?? (device.line == .boundary ? .rainOutlet : nil)
            switch role {
            case .bundToRain, .poolBypass, .rainOutlet, .sewageOutlet: return .closeValve
            case .bundToAccident, .poolInlet: return .openValve
            case .parkGate: return park ? .closeValve : nil
            case nil: return nil
            }
        case .pump:
            return device.line == .networkAndPool ? .startPump : nil
        default:
            return nil
        }
    }

    /// The steps the devices' lines and roles give, line 1 first. In `.byLine` order every step of a line waits
    /// for every step of the nearest earlier line that has any.
    static func derivedSteps(for devices: [Device], order: PlanOrder, park: Bool = false) -> [PlanStep] {
        var steps: [PlanStep] = []
        var previousLine: [String] = []
        for line in [DefenceLine.riskUnit, .networkAndPool, .boundary] + (park ? [.park] : []) {
            let these = devices.filter { $0.line == line }.compactMap { device in
                operation(for: device, park: park).map {
                    PlanStep(
                        device: device.id, operation: $0, after: order == .byLine ? previousLine : [],
                        line: device.line)
                }
            }
            if !these.isEmpty { previousLine = these.map(\.id) }
            steps += these
        }
        return steps
    }
}
