import Alarm
import Config
import Foundation
import Messages

/// Who or what asked for a trip, from where and why: journaled with the trip and carried on every command.
public struct Trigger: Sendable, Hashable, Codable {
    public enum Kind: Sendable, Hashable, Codable {
        /// The mushroom-head button on GPIO.
        case button
        case leveectl
        case http
        /// The park's one-key command (一键启闭).
        case park
        /// An `AutomaticTrigger` whose condition became active; the associated value is its id.
        case automatic(String)
        /// Levee itself: re-asserting a step after a restart, or after a device left its tripped state.
        case daemon
        /// A write coil of the DCS's Modbus link (`[dcs] shutoff_coils`).
        case dcs
    }

    /// The daemon's own user name in every journal and command record.
    public static let daemonUser = "leveed"

    public var kind: Kind
    public var who: String
    public var from: String
    public var why: String
    /// `why` from the catalogue, for the reasons Levee gives itself (an interlock's condition, the button): each
    /// reader renders it in its own language. Nil for a person's reason, shown as typed.
    public var whyMessage: Message?
    /// A verification drill (验证演练) on the real equipment: everything runs, but escalations and reports say so.
    public var drill: Bool
    /// Wall-clock time for the journal; nil when the caller did not give one.
    public var date: Date?
    /// Ties the action's event row to every command it caused; given by the caller, nil when it gave none.
    public var action: String?

    public init(
        kind: Kind, who: String, from: String, why: String, whyMessage: Message? = nil, drill: Bool = false,
        date: Date? = nil, action: String? = nil
    ) {
        self.kind = kind
        self.who = who
        self.from = from
        self.why = why
        self.whyMessage = whyMessage
        self.drill = drill
        self.date = date
        self.action = action
    }

    /// Levee itself re-asserting a step, tied to the action that first caused it.
    static func daemon(from: String, why: String, cause: Trigger?) -> Trigger {
        Trigger(
            kind: .daemon, who: daemonUser, from: from, why: why, drill: cause?.drill ?? false, date: nil,
            action: cause?.action)
    }

    /// The automatic trigger's id, or nil for a person's trip.
    public var automaticID: String? {
        if case .automatic(let id) = kind { return id }
        return nil
    }
}

/// What the field reports about a device. Defence imports no device module, so this is its own small vocabulary;
/// the daemon maps the valve tracker's status onto it.
public enum ObservedState: Sendable, Hashable {
    /// A valve's position from its limit switches, and its hand/auto selector.
    case valve(position: Position, mode: Mode)
    /// A pump's running feedback; nil when unreadable.
    case pump(running: Bool?)
    /// A digital output's read-back state; nil when unreadable.
    case output(on: Bool?)

    public enum Position: String, Sendable, Hashable, Codable {
        case open, closed, travelling, fault, unknown
    }

    public enum Mode: String, Sendable, Hashable, Codable {
        case remote, local, unknown
    }

    /// Whether this feedback shows the operation done. Only feedback confirms a step: "commanded" is not "done".
    func confirms(_ operation: StepOperation) -> Bool {
        switch (self, operation) {
        case (.valve(let p, _), .closeValve): p == .closed
        case (.valve(let p, _), .openValve): p == .open
        case (.pump(let r), .startPump): r == true
        case (.pump(let r), .stopPump): r == false
        case (.output(let on), .outputOn): on == true
        case (.output(let on), .outputOff): on == false
        default: false
        }
    }

    /// Whether this feedback shows the device moved away from the operation's target: travelling or at the other
    /// end, running or on the wrong way. An unreadable or faulted device has not "left"; its own alarms say so.
    func hasLeft(_ operation: StepOperation) -> Bool {
        switch (self, operation) {
        case (.valve(let p, _), .closeValve): p == .open || p == .travelling
        case (.valve(let p, _), .openValve): p == .closed || p == .travelling
        case (.pump(let r), .startPump): r == false
        case (.pump(let r), .stopPump): r == true
        case (.output(let on), .outputOn): on == false
        case (.output(let on), .outputOff): on == true
        default: false
        }
    }

    var isLocal: Bool {
        if case .valve(_, .local) = self { return true }
        return false
    }
}

/// One command for the daemon to put on the wire.
public struct DeviceCommand: Sendable, Hashable {
    public var step: String
    public var device: String
    /// The name in the device's `[devices.commands]`.
    public var command: String
    /// 1 for the first try, 2 for the first retry, and so on.
    public var attempt: Int
    /// Who or what caused this step's command, for the command journal: the trip that added the step, the
    /// operator's restore, or Levee re-asserting it.
    public var trigger: Trigger?
    public var drill: Bool
}

/// An alarm the sequencer raises; the daemon hands it to the alarm engine and the annunciators.
public enum DefenceAlarm: Sendable, Hashable {
    /// A valve in local (manual) mode cannot be commanded: someone must go and operate it by hand.
    case manualActionNeeded(valve: String, location: String?)
    /// A step was not confirmed within its deadline after every retry; `reason` in English, `why` from the catalogue.
    case stepFailed(step: String, device: String, reason: String, why: Message? = nil)
    /// The bus did not take a command.
    case commandNotAcknowledged(step: String, device: String, error: String?)
    /// A device left its tripped state while latched, in remote, without a command from Levee (push-buttons, a
    /// direct write): an emergency in itself; Levee commands it back.
    case movedWhileShutOff(step: String, device: String, operation: StepOperation, how: String)

    /// Local mode and failures on the way to the river are critical: nothing else stops the water.
    public var priority: AlarmPriority {
        switch self {
        case .manualActionNeeded: .critical
        case .stepFailed: .critical
        case .commandNotAcknowledged: .high
        case .movedWhileShutOff: .critical
        }
    }
}

/// A call for help beyond the plant (the park, level 2), with who and why.
public struct Escalation: Sendable, Hashable, Codable {
    /// The reason in English (logs, the escalation output's command record, the park payload).
    public var reason: String
    /// The reason from the catalogue, for the sequencer's own escalations; nil for an operator's typed reason.
    public var reasonMessage: Message?
    /// `Trigger.daemonUser` for the sequencer's own escalations, otherwise the operator.
    public var by: String
    /// Escalations during a drill are sent as drill, so the park does not mobilise.
    public var drill: Bool
}

/// A time-limited bypass of one automatic trigger (IEC 61511: bypasses are time-limited and recorded).
public struct Bypass: Sendable, Hashable {
    public var trigger: String
    public var by: String
    public var reason: String
    public var from: ContinuousClock.Instant
    public var until: ContinuousClock.Instant
}

/// Something to journal.
public enum DefenceEvent: Sendable, Hashable {
    case tripped(Trigger, plan: String)
    /// A trip while already latched; its plan's new steps were added.
    case tripAdded(Trigger, plan: String)
    /// A trip of a bypassed automatic trigger, not acted upon.
    case tripBypassed(Trigger)
    /// `seconds` from the first command; nil when that command went out before a restart and was not timed.
    case stepConfirmed(step: String, device: String, seconds: Double?)
    case reset(by: String, reason: String, overridden: [String])
    /// `cause`: the request as every command of the restore carries it (channel, place, action id).
    case restoreStarted(by: String, reason: String, plan: String, cause: Trigger)
    /// An outlet a restore leaves closed, and the live conditions why; first flush has it from here.
    case restoreHeld(device: String, reasons: [String])
    /// A device whose state before the trip was not good quality: the restore leaves it for a person.
    case restoreNeedsDecision(device: String, seen: String)
    /// An administrator opened a held outlet by name.
    case restoreOverridden(device: String, by: String, reason: String, holds: [String])
    case bypassed(Bypass)
    case bypassRemoved(Bypass, expired: Bool)
    /// Back after a restart; `restoring`: a restore was under way and is watched to its end.
    case restarted(latched: Bool, restoring: Bool)
}

/// What the daemon must do after an event: everything returned together may be done in parallel.
public enum ShutoffAction: Sendable, Hashable {
    case command(DeviceCommand)
    case alarm(DefenceAlarm)
    case escalate(Escalation)
    case event(DefenceEvent)
}

/// Where one step stands.
public enum StepPhase: String, Sendable, Hashable, Codable {
    /// Waiting for the steps in `after` to be confirmed.
    case waiting
    /// Commanded; not yet confirmed by feedback.
    case commanded
    /// Feedback shows the target reached.
    case confirmed
    /// Not confirmed after every retry.
    case failed
    /// The valve is in local mode: only a person on site can do it.
    case manualActionNeeded
}

/// The live state of one step: what status screens and drill reports show.
public struct StepState: Sendable, Hashable, Codable {
    public var step: PlanStep
    public var phase: StepPhase
    /// First command of the current run; nil until commanded. Not kept across a restart.
    public var commandedAt: ContinuousClock.Instant?
    public var confirmedAt: ContinuousClock.Instant?
    /// Commands sent in all, retries included.
    public var attempts: Int
    public var failedReason: String?
    /// Seconds from the first command to confirmation, or to the failure.
    public var measuredSeconds: Double?
    /// The current run began before a restart: its first command's time is lost, so it has no measured time
    /// rather than one counted from the restart.
    public internal(set) var startedBeforeRestart = false
    /// The last error the bus reported for this step's command.
    public var lastError: String?
    /// The action that put the step in its current run: a trip, a restore, or Levee re-asserting it.
    public var cause: Trigger?
    /// The latest command (for the retry deadline) and the attempts in the current run.
    var lastCommandAt: ContinuousClock.Instant?
    var runAttempts = 0

    init(step: PlanStep, cause: Trigger? = nil) {
        self.step = step
        self.cause = cause
        self.phase = .waiting
        self.attempts = 0
    }

    private enum CodingKeys: String, CodingKey {
        case step, phase, attempts, failedReason, measuredSeconds, lastError, cause
    }

    public var isConfirmed: Bool { phase == .confirmed }
}
