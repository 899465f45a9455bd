import Foundation
import Messages

/// The one-key shutoff as status screens show it: the latch, what tripped it, each step's progress, bypasses,
/// the automatic trips and the park escalation.
public struct DefenceSummary: Codable, Sendable, Hashable {
    public var latched: Bool
    /// Every latched trip is a drill (验证演练): escalations are sent as drill.
    public var drill: Bool
    /// The running plan (the tripped plans merged, or an operator's restore), if any.
    public var plan: String?
    /// "who from where: why", first-out first (English).
    public var trips: [String]
    /// `trips` as catalogue messages, for each client to render in its language (nil from an older leveed).
    public var tripTexts: [Message]? = nil
    public var steps: [DefenceStepSummary]
    /// The plant has called the park (level 2) since the last reset.
    public var escalated: Bool
    public var escalations: [String]
    /// `escalations` as catalogue messages ("leveed: boundary valve … failed to close"), drill ones marked.
    public var escalationTexts: [Message]? = nil
    /// Automatic trips in force or bypassed.
    public var interlocks: [InterlockSummary]
    /// Bypasses in force: shown on every status output, since a bypassed trip will not act.
    public var bypasses: [BypassSummary]
    /// The drill under way, if any.
    public var activeDrill: String?
    /// The last restore's verdicts: what it moved, what it held closed and why, what it left for a decision.
    public var restore: RestoreSummary?

    public init(
        latched: Bool, drill: Bool, plan: String? = nil, trips: [String], steps: [DefenceStepSummary],
        escalated: Bool = false, escalations: [String], interlocks: [InterlockSummary] = [],
        bypasses: [BypassSummary] = [], activeDrill: String? = nil, restore: RestoreSummary? = nil
    ) {
        self.restore = restore
        self.latched = latched
        self.drill = drill
        self.plan = plan
        self.trips = trips
        self.steps = steps
        self.escalated = escalated
        self.escalations = escalations
        self.interlocks = interlocks
        self.bypasses = bypasses
        self.activeDrill = activeDrill
    }
}

public struct DefenceStepSummary: Codable, Sendable, Hashable {
    public var id: String
    public var device: String
    /// close-valve, open-valve, start-pump, ...
    public var operation: String
    /// waiting, commanded, confirmed, failed, manualActionNeeded.
    public var phase: String
    public var attempts: Int
    /// Seconds from the first command to confirmation or failure.
    public var seconds: Double?
    public var failedReason: String?
    public var commandedAt: Date?
    public var confirmedAt: Date?
    /// The bus's last error for this step's command.
    public var lastError: String?

    public init(
        id: String, device: String, operation: String = "", phase: String, attempts: Int, seconds: Double?,
        failedReason: String?, commandedAt: Date? = nil, confirmedAt: Date? = nil, lastError: String? = nil
    ) {
        self.id = id
        self.device = device
        self.operation = operation
        self.phase = phase
        self.attempts = attempts
        self.seconds = seconds
        self.failedReason = failedReason
        self.commandedAt = commandedAt
        self.confirmedAt = confirmedAt
        self.lastError = lastError
    }
}

public struct InterlockSummary: Codable, Sendable, Hashable {
    public var id: String
    public var point: String
    public var plan: String
    public var active: Bool
    public var description: String?

    public init(id: String, point: String, plan: String, active: Bool, description: String?) {
        self.id = id
        self.point = point
        self.plan = plan
        self.active = active
        self.description = description
    }
}

public struct BypassSummary: Codable, Sendable, Hashable {
    public var interlock: String
    public var by: String
    public var reason: String
    public var until: Date

    public init(interlock: String, by: String, reason: String, until: Date) {
        self.interlock = interlock
        self.by = by
        self.reason = reason
        self.until = until
    }
}

/// The tabletop readiness check (`leveectl drill check PLAN`): what each step would find, commanding nothing.
public struct DrillCheck: Codable, Sendable, Hashable {
    public var plan: String
    public var checkedAt: Date
    public var items: [DrillCheckItem]

    public init(plan: String, checkedAt: Date, items: [DrillCheckItem]) {
        self.plan = plan
        self.checkedAt = checkedAt
        self.items = items
    }

    /// Every step could run now.
    public var ready: Bool { items.allSatisfy(\.problems.isEmpty) }
}

public struct DrillCheckItem: Codable, Sendable, Hashable {
    public var step: String
    public var device: String
    public var operation: String
    public var location: String?
    /// The device answered its last poll.
    public var reachable: Bool
    /// remote, local or unknown, for a valve; nil for other kinds.
    public var mode: String?
    /// open, closed, travelling, fault, unknown for a valve; running or stopped for a pump; on or off for an
    /// output; nil when unreadable.
    public var position: String?
    public var faultFree: Bool
    /// Empty when the step could run now.
    public var problems: [String]
    /// Worth knowing but not in the way: a valve already at the step's target confirms at once and proves nothing.
    public var notes: [String]

    public init(
        step: String, device: String, operation: String, location: String?, reachable: Bool, mode: String?,
        position: String?, faultFree: Bool, problems: [String], notes: [String] = []
    ) {
        self.notes = notes
        self.step = step
        self.device = device
        self.operation = operation
        self.location = location
        self.reachable = reachable
        self.mode = mode
        self.position = position
        self.faultFree = faultFree
        self.problems = problems
    }
}

/// One stored drill report, as `leveectl drill list` shows it.
public struct DrillEntry: Codable, Sendable, Hashable {
    public var id: String
    public var plan: String
    public var live: Bool
    public var startedAt: Date
    public var finishedAt: Date?
    public var startedBy: String
    /// The site's time zone, in which `leveectl drill list` shows the times.
    public var timeZone: String?

    public init(
        id: String, plan: String, live: Bool, startedAt: Date, finishedAt: Date?, startedBy: String,
        timeZone: String? = nil
    ) {
        self.timeZone = timeZone
        self.id = id
        self.plan = plan
        self.live = live
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.startedBy = startedBy
    }
}

/// A restore, device by device: shown by `leveectl restore --dry-run` before anything moves, and on the status
/// once it runs.
public struct RestoreSummary: Codable, Sendable, Hashable {
    /// The plan whose line-up is restored.
    public var plan: String
    public var items: [RestoreItemSummary]

    public init(plan: String, items: [RestoreItemSummary]) {
        self.plan = plan
        self.items = items
    }
}

public struct RestoreItemSummary: Codable, Sendable, Hashable {
    public var device: String
    /// The measured state now: open, closed, travelling, running, stopped, on, off, "no reading"...
    public var now: String
    /// The state before the trip that restore returns it to; nil when it needs a decision.
    public var target: String?
    /// move, already-there, held-closed, needs-decision, overridden.
    public var action: String
    /// Why it is held ("raining", "wq-outlet-1.cod.H active"), or what was seen before the trip.
    public var reasons: [String]

    public init(device: String, now: String, target: String?, action: String, reasons: [String]) {
        self.device = device
        self.now = now
        self.target = target
        self.action = action
        self.reasons = reasons
    }

    /// One line for operators, Chinese first: "rain-outlet-1  保持关闭 held closed: raining, wq-outlet-1.cod.H active".
    public var text: String {
        let move = "\(now) → \(target ?? "?")"
        let why = reasons.joined(separator: ", ")
        switch action {
        case "move": return "\(device)  \(move)"
        case "already-there": return "\(device)  已在原位 already \(now): nothing sent"
        case "held-closed": return "\(device)  保持关闭 held closed: \(why)"
        case "needs-decision": return "\(device)  待人工决定 needs a decision: \(why)"
        case "overridden": return "\(device)  \(move) 强制打开 override of: \(why)"
        default: return "\(device)  \(action)"
        }
    }
}
