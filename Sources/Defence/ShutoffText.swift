import Foundation
import Messages

// The words the journal, the drill report and the status screens use for what the sequencer does: each a
// catalogue message (`Messages`), rendered by every reader in its own language; `text` is its English rendering,
// for the logs and the journal's text column.

extension Trigger {
    /// "button estop-1 from control room: one-key shutoff button pressed", "DRILL" first for a drill.
    public var message: Message {
        let m = Message(.trigger, ["who": .text(who), "from": .text(from), "why": whyArg])
        return drill ? m.asDrill : m
    }

    /// The reason: the catalogue's words for the reasons Levee itself gives, a person's text as it was typed.
    var whyArg: MessageArg {
        if let whyMessage { return .message(whyMessage) }
        return .text(why)
    }

    public var text: String { message.render(.en) }
}

extension DefenceEvent {
    public var message: Message {
        switch self {
        case .tripped(let t, let plan): Message(.tripped, ["plan": .text(plan), "trigger": .message(t.message)])
        case .tripAdded(let t, let plan): Message(.tripAdded, ["plan": .text(plan), "trigger": .message(t.message)])
        case .tripBypassed(let t): Message(.tripBypassed, ["trigger": .message(t.message)])
        case .stepConfirmed(let step, let device, let seconds?):
            Message(
                .stepConfirmed,
                ["step": .text(step), "device": .text(device), "seconds": .text(Message.number(seconds, decimals: 2))])
        case .stepConfirmed(let step, let device, nil):
            Message(.stepConfirmedUntimed, ["step": .text(step), "device": .text(device)])
        case .reset(let by, let reason, let overridden):
            overridden.isEmpty
                ? Message(.reset, ["by": .text(by), "reason": .text(reason)])
                : Message(
                    .resetOverriding,
                    ["by": .text(by), "reason": .text(reason), "overridden": .text(overridden.joined(separator: ", "))])
        case .restoreStarted(let by, let reason, let plan, _):
            Message(.restoreStarted, ["by": .text(by), "reason": .text(reason), "plan": .text(plan)])
        case .restoreHeld(let device, let reasons):
            Message(.restoreHeld, ["device": .text(device), "reasons": .text(reasons.joined(separator: ", "))])
        case .restoreNeedsDecision(let device, let seen):
            Message(.restoreNeedsDecision, ["device": .text(device), "seen": .text(seen)])
        case .restoreOverridden(let device, let by, let reason, let holds):
            Message(
                .restoreOverridden,
                [
                    "device": .text(device), "by": .text(by), "reason": .text(reason),
                    "holds": .text(holds.joined(separator: ", ")),
                ])
        case .bypassed(let b):
            Message(.bypassed, ["interlock": .text(b.trigger), "by": .text(b.by), "reason": .text(b.reason)])
        case .bypassRemoved(let b, let expired):
            Message(expired ? .bypassExpired : .bypassRemoved, ["interlock": .text(b.trigger)])
        case .restarted(let latched, let restoring):
            Message(latched ? .restartedLatched : restoring ? .restartedRestoring : .restarted)
        }
    }

    public var text: String { message.render(.en) }
}

extension DefenceAlarm {
    public var message: Message {
        switch self {
        case .manualActionNeeded(let valve, let location?):
            Message(.defenceManualActionAt, ["valve": .text(valve), "location": .text(location)])
        case .manualActionNeeded(let valve, nil):
            Message(.defenceManualAction, ["valve": .text(valve)])
        case .stepFailed(let step, _, let reason, let why):
            Message(.defenceStepFailed, ["step": .text(step), "reason": why.map { .message($0) } ?? .text(reason)])
        case .movedWhileShutOff(_, let device, let operation, let how):
            switch operation {
            case .closeValve: Message(.defenceOpenedWhileShutOff, ["device": .text(device), "how": .text(how)])
            case .openValve: Message(.defenceClosedWhileShutOff, ["device": .text(device), "how": .text(how)])
            default: Message(.defenceChangedWhileShutOff, ["device": .text(device), "how": .text(how)])
            }
        case .commandNotAcknowledged(let step, let device, let error?):
            Message(
                .defenceNotAcknowledgedError, ["step": .text(step), "device": .text(device), "error": .text(error)])
        case .commandNotAcknowledged(let step, let device, nil):
            Message(.defenceNotAcknowledged, ["step": .text(step), "device": .text(device)])
        }
    }

    public var text: String { message.render(.en) }
}

extension Escalation {
    /// The reason from the catalogue, or as the operator typed it.
    public var reasonText: Message { reasonMessage ?? .literal(reason) }

    /// The journal's entry, "leveed: boundary valve sewage-outlet failed to close" (the row says whether it was a
    /// drill).
    public var message: Message { Message(.escalation, ["by": .text(by), "reason": .message(reasonText)]) }
}
