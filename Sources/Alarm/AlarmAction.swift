import Foundation
import Messages

/// The state of one alarm as the operator sees it (ISA-18.2 / IEC 62682).
public enum AlarmState: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// Condition inactive and nothing to acknowledge.
    case normal
    /// Condition active, not yet acknowledged.
    case unacknowledged
    /// Condition active and acknowledged.
    case acknowledged
    /// Condition cleared before anyone acknowledged it.
    case returnedUnacknowledged = "returned-unacknowledged"
    /// Hidden by an operator until an expiry.
    case shelved
    /// Hidden by design while its suppression holds.
    case suppressedByDesign = "suppressed-by-design"
    /// Taken out of service by an operator (maintenance); hidden until returned.
    case outOfService = "out-of-service"

    public var description: String { rawValue }

    /// Whether the alarm belongs on the alarm summary: active or awaiting acknowledgement.
    public var isOnSummary: Bool { self == .unacknowledged || self == .acknowledged || isAwaitingAcknowledgement }

    /// Whether an operator still has to acknowledge it.
    public var isAwaitingAcknowledgement: Bool { self == .unacknowledged || self == .returnedUnacknowledged }
}

/// What made an alarm change state; journaled with the transition.
public enum AlarmEvent: String, Sendable, Hashable, Codable, CustomStringConvertible {
    case activated, cleared, acknowledged
    case shelved, unshelved
    /// The shelve expired (a timer unshelve).
    case shelveExpired = "shelve-expired"
    case suppressed, unsuppressed
    case removedFromService = "removed-from-service"
    case returnedToService = "returned-to-service"

    public var description: String { rawValue }
}

/// One change of one alarm's state, for the journal.
public struct AlarmTransition: Sendable, Hashable {
    public var alarm: String
    public var point: String
    public var priority: AlarmPriority
    public var from: AlarmState
    public var to: AlarmState
    public var event: AlarmEvent
    /// The point's last usable value (for a valve that failed to move, the measured seconds).
    public var value: Double?
    /// When it happened; for an activation or a clear, when the delay ran out.
    public var at: ContinuousClock.Instant
    /// The operator, for acknowledge, shelve, unshelve and the service changes; nil for the process.
    public var user: String?
    public var reason: String?
    /// Whether this alarm is its group's first-out.
    public var firstOut: Bool
    /// The operator's text, rendered by each reader in its language.
    public var text: Message
    /// `text` in English, as the journal's text column keeps it: the language of every row stored before messages
    /// had ids, so tools that read the column see one language across the history.
    public var message: String { text.render(.en) }

    /// The wall-clock time of `at`, given one reading of both clocks taken when the action is performed.
    public func date(now: ContinuousClock.Instant, nowDate: Date) -> Date {
        nowDate.addingTimeInterval((at - now).inSeconds)
    }
}

/// Whether an alarm flood began or ended.
public enum FloodChange: String, Sendable, Hashable, Codable {
    case started, ended
}

/// What the caller must do after an event: journal, drive the siren and beacons, report a flood.
public enum AlarmAction: Sendable, Hashable {
    /// Write this transition to the journal and update the screens.
    case transition(AlarmTransition)
    /// An alarm of this priority came in: sound its siren and beacon (again, if already sounding).
    case annunciate(AlarmPriority)
    /// Stop every siren, without acknowledging anything: by an operator (`user`), or automatically (nil) when no
    /// alarm is left awaiting acknowledgement.
    case silence(user: String?)
    /// The activation rate crossed the flood threshold; `count` is activations in the window.
    case flood(FloodChange, count: Int)
}

/// One alarm as a list shows it.
public struct AlarmStatus: Sendable, Hashable {
    public var id: String
    public var point: String
    public var priority: AlarmPriority
    public var state: AlarmState
    /// Whether the condition is active underneath, also when shelved, suppressed or out of service.
    public var conditionActive: Bool
    public var value: Double?
    /// The operator's text, rendered by each reader in its language.
    public var text: Message
    /// `text` in English (the journal's text column).
    public var message: String { text.render(.en) }
    public var group: String?
    public var firstOut: Bool
    /// The health condition behind a device-health alarm; nil for a configured alarm.
    public var health: HealthCondition?
    /// When the current episode came in (the last activation); sorts the summary.
    public var activatedAt: ContinuousClock.Instant?
    /// When the alarm entered its current state.
    public var since: ContinuousClock.Instant?
    /// The expiry of a shelve.
    public var shelvedUntil: ContinuousClock.Instant?
    /// Who did the last operator action that still shapes the state (shelve, out of service, acknowledge), why.
    public var user: String?
    public var reason: String?
}

/// A mistake in an operator's request; the description names the alarm and the rule.
public enum AlarmError: Error, Hashable, Sendable, CustomStringConvertible {
    case unknownAlarm(String)
    case missingUser(alarm: String, operation: String)
    case missingReason(alarm: String, operation: String)
    /// The request does not fit the alarm's state, such as acknowledging a normal alarm.
    case notAllowed(alarm: String, operation: String, state: AlarmState)
    case shelveExpiryNotInFuture(alarm: String)
    case shelveTooLong(alarm: String, maximum: Duration)
    /// Silencing is not about one alarm, but it is journaled with its user all the same.
    case silenceWithoutUser

    public var description: String {
        switch self {
        case .unknownAlarm(let id):
            "alarm \"\(id)\": no such alarm"
        case .missingUser(let id, let op):
            "alarm \"\(id)\": \(op) needs a user"
        case .missingReason(let id, let op):
            "alarm \"\(id)\": \(op) needs a reason"
        case .notAllowed(let id, let op, let state):
            "alarm \"\(id)\": cannot \(op) while \(state)"
        case .shelveExpiryNotInFuture(let id):
            "alarm \"\(id)\": shelve expiry must be later than now"
        case .shelveTooLong(let id, let maximum):
            "alarm \"\(id)\": shelve may last at most \(Int(maximum.inSeconds)) s"
        case .silenceWithoutUser:
            "silence needs a user"
        }
    }
}

extension AlarmError {
    /// The same in the catalogue's words, for each client to render in its language.
    public var text: Message {
        switch self {
        case .unknownAlarm(let id): Message(.alarmErrorUnknown, ["alarm": .text(id)])
        case .missingUser(let id, let op):
            Message(.alarmErrorMissingUser, ["alarm": .text(id), "op": .message(Self.operation(op))])
        case .missingReason(let id, let op):
            Message(.alarmErrorMissingReason, ["alarm": .text(id), "op": .message(Self.operation(op))])
        case .notAllowed(let id, let op, let state):
            Message(
                .alarmErrorNotAllowed,
                ["alarm": .text(id), "op": .message(Self.operation(op)), "state": .message(state.title)])
        case .shelveExpiryNotInFuture(let id): Message(.alarmErrorShelveNotInFuture, ["alarm": .text(id)])
        case .shelveTooLong(let id, let maximum):
            Message(.alarmErrorShelveTooLong, ["alarm": .text(id), "seconds": .text(String(Int(maximum.inSeconds)))])
        case .silenceWithoutUser: Message(.alarmErrorSilenceWithoutUser)
        }
    }

    /// An operation as the engine names it ("acknowledge", "remove from service"), in the catalogue.
    public static func operation(_ name: String) -> Message {
        switch name {
        case "acknowledge", "ack": Message(.opAcknowledge)
        case "shelve": Message(.opShelve)
        case "unshelve": Message(.opUnshelve)
        case "remove from service", "remove-from-service": Message(.opRemoveFromService)
        case "return to service", "return-to-service": Message(.opReturnToService)
        case "silence": Message(.opSilence)
        default: .literal(name)
        }
    }
}

/// A mistake in the alarm definitions; the description names the alarm and the rule, for a config error message.
public struct AlarmConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    public var alarm: String
    public var problem: String

    public init(alarm: String, problem: String) {
        self.alarm = alarm
        self.problem = problem
    }

    public var description: String { "alarm \"\(alarm)\": \(problem)" }
}

extension AlarmState {
    /// The state's name in the catalogue.
    public var title: Message {
        switch self {
        case .normal: Message(.stateNormal)
        case .unacknowledged: Message(.stateUnacknowledged)
        case .acknowledged: Message(.stateAcknowledged)
        case .returnedUnacknowledged: Message(.stateReturnedUnacknowledged)
        case .shelved: Message(.stateShelved)
        case .suppressedByDesign: Message(.stateSuppressedByDesign)
        case .outOfService: Message(.stateOutOfService)
        }
    }
}

extension AlarmEvent {
    /// The event's name in the catalogue.
    public var title: Message {
        switch self {
        case .activated: Message(.eventActivated)
        case .cleared: Message(.eventCleared)
        case .acknowledged: Message(.eventAcknowledged)
        case .shelved: Message(.eventShelved)
        case .unshelved: Message(.eventUnshelved)
        case .shelveExpired: Message(.eventShelveExpired)
        case .suppressed: Message(.eventSuppressed)
        case .unsuppressed: Message(.eventUnsuppressed)
        case .removedFromService: Message(.eventRemovedFromService)
        case .returnedToService: Message(.eventReturnedToService)
        }
    }
}

extension AlarmTransition {
    /// The journal's text for this change: "gas-a1.high normal → unacknowledged (activated): …", in each language.
    public var journalText: Message {
        Message(
            firstOut ? .alarmTransitionFirstOut : .alarmTransition,
            [
                "alarm": .text(alarm), "from": .message(from.title), "to": .message(to.title),
                "event": .message(event.title), "text": .message(text),
            ])
    }
}
