import Foundation
import Messages

/// A device-health condition the daemon reports to the engine, so the engine never sees a device type.
///
/// A sensor that cannot be trusted is an alarm of its own (IEC 61511 diagnostics): its process alarms hold their
/// state while its value is unusable, and these alarms say why. Each case names its subject; the engine keys the
/// alarm by `alarmID`, so reporting `active: false` for the same subject clears it.
public enum HealthCondition: Sendable, Hashable, Codable {
    /// A device stopped answering.
    case commFail(device: String)
    /// A point's value was not refreshed in time.
    case stale(point: String)
    /// A point reads outside its valid range (a broken 4–20 mA loop).
    case outOfRange(point: String)
    /// A point that normally moves has not, beyond its noise band, for the configured time.
    case frozen(point: String)
    /// An actuator reports its own fault (torque trip, both limits at once).
    case valveFault(valve: String)
    /// A valve did not reach its commanded end position within its stroke time.
    case valveFailedToMove(valve: String)
    /// A valve's selector is in local: it cannot be commanded from here.
    case valveLocal(valve: String)
    /// The historian cannot store readings or events.
    case historianFault
    /// A shutoff step needs a valve that is in local mode: someone must go and operate it by hand.
    case manualAction(valve: String)
    /// A shutoff step was not confirmed after every retry (the subject is the step id).
    case stepFailed(step: String)
    /// A plan device left its tripped state while latched, not moved by Levee.
    case movedWhileShutOff(device: String)
    /// A valve's last stroke took more than 1.5× its baseline: the proof-test evidence says it is slowing down.
    case strokeDrift(valve: String)
    /// The plant has called the park for help (level 2): the accident is beyond what the plant can hold.
    case parkEscalation
    /// On a park instance: a plant called the park for help (the subject is the plant's site id).
    case plantEscalated(plant: String)
    /// On a park instance: a plant went offline (its last will) or silent.
    case plantLinkLost(plant: String)
    /// On a park instance: a plant refused, failed or did not answer a command the park sent it.
    case plantCommandFailed(plant: String)
    /// A link beyond the plant ("mqtt" to the park, "uplink" to the bureau) is down.
    case linkDown(link: String)

    /// The kind of condition, without its subject.
    public var kind: Kind {
        switch self {
        case .commFail: .commFail
        case .stale: .stale
        case .outOfRange: .outOfRange
        case .frozen: .frozen
        case .valveFault: .valveFault
        case .valveFailedToMove: .valveFailedToMove
        case .valveLocal: .valveLocal
        case .historianFault: .historianFault
        case .manualAction: .manualAction
        case .stepFailed: .stepFailed
        case .movedWhileShutOff: .movedWhileShutOff
        case .strokeDrift: .strokeDrift
        case .parkEscalation: .parkEscalation
        case .plantEscalated: .plantEscalated
        case .plantLinkLost: .plantLinkLost
        case .plantCommandFailed: .plantCommandFailed
        case .linkDown: .linkDown
        }
    }

    /// The device, valve or point concerned ("historian" for the historian).
    public var subject: String {
        switch self {
        case .commFail(let s), .stale(let s), .outOfRange(let s), .frozen(let s), .valveFault(let s),
            .valveFailedToMove(let s), .valveLocal(let s), .manualAction(let s), .stepFailed(let s),
            .movedWhileShutOff(let s),
            .strokeDrift(let s), .plantEscalated(let s), .plantLinkLost(let s), .plantCommandFailed(let s),
            .linkDown(let s):
            s
        case .historianFault: "historian"
        case .parkEscalation: "park"
        }
    }

    /// The operator's text for the condition, such as "阀门未到位：valve-a-rain，实测 45.2 s" / "Valve failed to move:
    /// valve-a-rain, measured 45.2 s" (the measured time only for a valve that failed to move).
    public func title(measured: Duration?) -> Message {
        let subject: [String: MessageArg] = ["subject": .text(self.subject)]
        switch kind {
        case .commFail: return Message(.alarmCommFail, subject)
        case .stale: return Message(.alarmStale, subject)
        case .outOfRange: return Message(.alarmOutOfRange, subject)
        case .frozen: return Message(.alarmFrozen, subject)
        case .valveFault: return Message(.alarmValveFault, subject)
        case .valveFailedToMove:
            guard let measured else { return Message(.alarmFailedToMove, subject) }
            return Message(
                .alarmFailedToMoveMeasured,
                ["subject": .text(self.subject), "seconds": .text(Message.number(measured.inSeconds, decimals: 1))])
        case .valveLocal: return Message(.alarmLocal, subject)
        case .historianFault: return Message(.alarmHistorianFault)
        case .manualAction: return Message(.alarmManualAction, subject)
        case .stepFailed: return Message(.alarmStepFailed, subject)
        case .movedWhileShutOff: return Message(.alarmMovedWhileShutOff, subject)
        case .strokeDrift: return Message(.alarmStrokeDrift, subject)
        case .parkEscalation: return Message(.alarmEscalated)
        case .plantEscalated: return Message(.alarmPlantEscalated, subject)
        case .plantLinkLost: return Message(.alarmLinkLost, subject)
        case .plantCommandFailed: return Message(.alarmCommandFailed, subject)
        case .linkDown: return Message(.alarmLinkDown, subject)
        }
    }

    /// What the operator should do now, for every condition that stops the three lines of defence (every critical
    /// kind, and a dead device, which may be a detector); nil where the alarm itself is the whole story.
    public var nextAction: Message? {
        let subject: [String: MessageArg] = ["subject": .text(self.subject)]
        switch kind {
        case .valveFailedToMove: return Message(.nextFailedToMove, subject)
        case .valveLocal: return Message(.nextLocal, subject)
        case .manualAction: return Message(.nextManualAction, subject)
        case .stepFailed: return Message(.nextStepFailed, subject)
        case .movedWhileShutOff: return Message(.nextMovedWhileShutOff, subject)
        case .commFail: return Message(.nextCommFail, subject)
        case .historianFault: return Message(.nextHistorianFault)
        case .parkEscalation: return Message(.nextEscalated)
        case .plantEscalated: return Message(.nextPlantEscalated, subject)
        case .plantCommandFailed: return Message(.nextCommandFailed, subject)
        case .stale, .outOfRange, .frozen, .valveFault, .strokeDrift, .plantLinkLost, .linkDown: return nil
        }
    }

    /// The id of the alarm: `<subject>.<kind>`, such as "gas-a1.comm-fail" or "valve-a-rain.failed-to-move".
    public var alarmID: String { "\(subject).\(kind.rawValue)" }

    /// The kinds of health condition, for per-kind settings such as priority.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case commFail = "comm-fail"
        case stale
        case outOfRange = "out-of-range"
        case frozen
        case valveFault = "valve-fault"
        case valveFailedToMove = "failed-to-move"
        case valveLocal = "local"
        case historianFault = "fault"
        case manualAction = "manual-action"
        case stepFailed = "step-failed"
        case movedWhileShutOff = "moved-while-shut-off"
        case strokeDrift = "stroke-drift"
        case parkEscalation = "escalated"
        case plantEscalated = "plant-escalated"
        case plantLinkLost = "link-lost"
        case plantCommandFailed = "command-failed"
        case linkDown = "link-down"
    }
}

/// The priority of each kind of health alarm. The defaults follow what stops the three lines of defence:
/// a valve that does not move when commanded, a shutoff step that needs a person on site or failed, and an
/// escalation to the park are critical; so is the historian in fault, because while it lasts the plant's record of
/// what happened (the evidence the bureau asks for) is held only in memory or not kept at all. A dead device, a
/// bad loop, a valve that cannot be commanded or a faulted actuator is high; data quality and a slowing valve (a
/// maintenance finding) are medium.
public struct HealthPolicy: Sendable, Hashable, Codable {
    public var priorities: [HealthCondition.Kind: AlarmPriority]

    public init(priorities: [HealthCondition.Kind: AlarmPriority] = [:]) {
        self.priorities = priorities
    }

    public func priority(of kind: HealthCondition.Kind) -> AlarmPriority {
        if let p = priorities[kind] { return p }
        switch kind {
        case .valveFailedToMove, .manualAction, .stepFailed, .movedWhileShutOff, .parkEscalation, .plantEscalated,
            .plantCommandFailed, .historianFault:
            return .critical
        case .commFail, .outOfRange, .valveFault, .valveLocal, .plantLinkLost: return .high
        case .stale, .frozen, .strokeDrift, .linkDown: return .medium
        }
    }
}
