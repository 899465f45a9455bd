import Alarm

/// `[defence]`: how the one-key shutoff runs. Every key is optional.
public struct DefenceSettings: Sendable, Hashable {
    /// `retries`: re-commands of an unconfirmed step before it is marked failed (0...5; default 1).
    public var retries: Int
    /// `default_deadline_s`: how long a pump or output step may take to show its feedback, seconds (1...3600;
    /// default 30). A valve step is allowed its `stroke_s × stroke_margin`.
    public var defaultDeadlineSeconds: Double
    /// `max_bypass_h`: the longest an automatic trip may be bypassed, hours (0.1...24; default 4).
    public var maximumBypassHours: Double
    /// `escalate_pool_full_within_min`: an accident pool whose time until full falls below this escalates to the
    /// park, minutes (1...1440; default 30). A pool at its HH level escalates too.
    public var escalatePoolFullWithinMinutes: Double
    /// `pool_high_high`: the level of each accident pool (`{ "pool-1" = 4.5 }`, in the level point's unit) at
    /// which the plant escalates to the park.
    public var poolHighHigh: [String: Double]
    /// `escalation_output`: a digital-output device (with `on` and `off` commands) switched on while the plant is
    /// escalated to the park: a relay to the park's panel, a beacon.
    public var escalationOutput: String?
    /// `plant_wide_order`: "parallel" (every line at once, the default) or "by-line" (line 2 once line 1 is
    /// confirmed, line 3 once line 2 is).
    public var plantWideOrder: PlanOrder

    public init(
        retries: Int = 1, defaultDeadlineSeconds: Double = 30, maximumBypassHours: Double = 4,
        escalatePoolFullWithinMinutes: Double = 30, poolHighHigh: [String: Double] = [:],
        escalationOutput: String? = nil, plantWideOrder: PlanOrder = .parallel
    ) {
        self.retries = retries
        self.defaultDeadlineSeconds = defaultDeadlineSeconds
        self.maximumBypassHours = maximumBypassHours
        self.escalatePoolFullWithinMinutes = escalatePoolFullWithinMinutes
        self.poolHighHigh = poolHighHigh
        self.escalationOutput = escalationOutput
        self.plantWideOrder = plantWideOrder
    }
}

/// Whether a plan's lines go at once or one after another.
public enum PlanOrder: String, Sendable, Hashable, CaseIterable {
    /// Every step at once (each still waits for its own `after`).
    case parallel
    /// Line 1's steps first; line 2's once every line-1 step is confirmed; line 3's once line 2's are.
    case byLine = "by-line"
}

/// `[[plans]]`: a named response plan, such as "risk unit A only" for a local event.
public struct PlanDefinition: Sendable, Hashable {
    /// `id`: how triggers, interlocks and `leveectl shutoff --plan` name it (an identifier; not "plant-wide").
    public var id: String
    /// `name`: display name (default: the id).
    public var name: String?
    /// `groups`: derive steps, as the plant-wide plan does from each device's line and valve role, over the
    /// devices whose `group` is one of these.
    public var groups: [String]
    /// `order`: "parallel" (default) or "by-line", for the derived steps.
    public var order: PlanOrder
    /// `[[plans.steps]]`: explicit steps, after the derived ones.
    public var steps: [StepDefinition]

    public init(
        id: String, name: String? = nil, groups: [String] = [], order: PlanOrder = .parallel,
        steps: [StepDefinition] = []
    ) {
        self.id = id
        self.name = name
        self.groups = groups
        self.order = order
        self.steps = steps
    }
}

/// `[[plans.steps]]`: one command to one device, confirmed by feedback.
public struct StepDefinition: Sendable, Hashable {
    /// The actions a step may take, as spelt in the file.
    public static let actions = ["close-valve", "open-valve", "start-pump", "stop-pump", "output-on", "output-off"]

    /// The device command an action sends (the name its `[devices.commands]` must define), and the verb of its
    /// default step id; nil for an action not in `actions`.
    public static func command(for action: String) -> String? {
        switch action {
        case "close-valve": "close"
        case "open-valve": "open"
        case "start-pump": "start"
        case "stop-pump": "stop"
        case "output-on": "on"
        case "output-off": "off"
        default: nil
        }
    }

    /// `id`: default `<verb>-<device>`, such as "close-valve-a-rain".
    public var id: String?
    /// `device`: the device id.
    public var device: String
    /// `action`: one of `actions`.
    public var action: String
    /// `after`: step ids that must be confirmed before this one is commanded.
    public var after: [String]
    /// `deadline_s`: how long the step may take before a retry (default: the device's allowed stroke, or
    /// `[defence] default_deadline_s`).
    public var deadlineSeconds: Double?

    public init(id: String? = nil, device: String, action: String, after: [String] = [], deadlineSeconds: Double? = nil)
    {
        self.id = id
        self.device = device
        self.action = action
        self.after = after
        self.deadlineSeconds = deadlineSeconds
    }
}

/// `[[interlocks]]`: an automatic trip. A condition on one point runs a plan; the condition is the alarm
/// engine's `Condition`, given inline (`kind`, `limit`, `deadband`, `on_delay_s`, ...) or borrowed from an alarm
/// (`alarm = "<alarm id>"`), so the alarm that announces a limit and the trip that acts on it agree.
public struct InterlockDefinition: Sendable, Hashable {
    /// `id`: how bypasses and resets name it.
    public var id: String
    /// `point`: `<device>.<point>` (taken from the alarm when `alarm` is given).
    public var point: String
    public var condition: Condition
    /// `plan`: "plant-wide", a `[[plans]]` id, or "group:<group>" for the plan derived from one group.
    public var plan: String
    /// `alarm`: the alarm whose condition this borrows, if any.
    public var alarm: String?
    /// `description`: what the interlock is for, shown in status and the journal.
    public var description: String?

    public init(
        id: String, point: String, condition: Condition, plan: String, alarm: String? = nil,
        description: String? = nil
    ) {
        self.id = id
        self.point = point
        self.condition = condition
        self.plan = plan
        self.alarm = alarm
        self.description = description
    }
}

/// `[[first_flush]]`: first-flush (初期雨水) diversion at one rain outlet, with the rule and amounts of the domain
/// brief.
public struct FirstFlushDefinition: Sendable, Hashable {
    /// `outlet`: the rain-outlet valve (closed to divert, opened to release).
    public var outlet: String
    /// `pool_inlet`: the first-flush pool's inlet valve (opened to divert), if there is one.
    public var poolInlet: String?
    /// `rain`: the rain contact, `<device>.<point>` of a digital input (true while raining).
    public var rain: String?
    /// `rain_gauge`: a rain gauge's running total in mm, `<device>.<point>`; the increase is the rain.
    public var rainGauge: String?
    /// `quality_alarms`: alarm ids on the outlet's water quality (pH, COD, ...); release only while none is
    /// active and every one's point reads good.
    public var qualityAlarms: [String]
    /// `amount_mm`: rain depth after which first flush is over (default 20; GB 50483).
    public var amountMM: Double?
    /// `raining_min`: raining time after which first flush is over, minutes (0.1...240; default 15).
    public var rainingMinutes: Double
    /// `t1_min`: diversion kept after the amount or time is reached (default 5).
    public var t1Minutes: Double
    /// `t3_min`: rain back within this dry time is not diverted again (default 30).
    public var t3Minutes: Double
    /// `t2_h`: after this long dry the cycle ends (default 6).
    public var t2Hours: Double

    public init(
        outlet: String, poolInlet: String? = nil, rain: String? = nil, rainGauge: String? = nil,
        qualityAlarms: [String] = [], amountMM: Double? = 20, rainingMinutes: Double = 15, t1Minutes: Double = 5,
        t3Minutes: Double = 30, t2Hours: Double = 6
    ) {
        self.outlet = outlet
        self.poolInlet = poolInlet
        self.rain = rain
        self.rainGauge = rainGauge
        self.qualityAlarms = qualityAlarms
        self.amountMM = amountMM
        self.rainingMinutes = rainingMinutes
        self.t1Minutes = t1Minutes
        self.t3Minutes = t3Minutes
        self.t2Hours = t2Hours
    }
}
