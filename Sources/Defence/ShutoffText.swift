import Foundation

// The words the journal, the drill report and the status screens use for what the sequencer does.

extension Trigger {
    /// "button estop-1 from control room: one-key shutoff button pressed", "DRILL" first for a drill.
    public var text: String { "\(drill ? "DRILL " : "")\(who) from \(from): \(why)" }
}

extension DefenceEvent {
    public var text: String {
        switch self {
        case .tripped(let t, let plan): "tripped plan \(plan) — \(t.text)"
        case .tripAdded(let t, let plan): "plan \(plan) added to the latched trip — \(t.text)"
        case .tripBypassed(let t): "automatic trip ignored, bypassed — \(t.text)"
        case .stepConfirmed(let step, let device, let seconds?):
            String(format: "step %@ confirmed by %@ feedback after %.2f s", step, device, seconds)
        case .stepConfirmed(let step, let device, nil):
            "step \(step) confirmed by \(device) feedback (time not measured: commanded before leveed restarted)"
        case .reset(let by, let reason, let overridden):
            "reset by \(by): \(reason)"
                + (overridden.isEmpty ? "" : " (overriding active: \(overridden.joined(separator: ", ")))")
                + "; nothing reopened"
        case .restoreStarted(let by, let reason, let plan, _):
            "restore of plan \(plan) to the line-up before the trip started by \(by): \(reason)"
        case .restoreHeld(let device, let reasons):
            "\(device) held closed: \(reasons.joined(separator: ", ")); first flush has it"
        case .restoreNeedsDecision(let device, let seen):
            "\(device) left as it is, needs a decision: \(seen)"
        case .restoreOverridden(let device, let by, let reason, let holds):
            "\(device) opened by \(by) overriding \(holds.joined(separator: ", ")): \(reason)"
        case .bypassed(let b): "interlock \(b.trigger) bypassed by \(b.by): \(b.reason)"
        case .bypassRemoved(let b, let expired):
            "bypass of interlock \(b.trigger) \(expired ? "expired" : "removed"); the interlock is back in service"
        case .restarted(let latched, let restoring):
            latched
                ? "restarted latched: re-asserting unconfirmed steps"
                : restoring ? "restarted during a restore: watching its steps to the end" : "restarted"
        }
    }
}

extension DefenceAlarm {
    public var text: String {
        switch self {
        case .manualActionNeeded(let valve, let location):
            "manual action needed at \(valve)\(location.map { ", \($0)" } ?? ""): the valve is in local mode"
        case .stepFailed(let step, _, let reason): "step \(step) failed: \(reason)"
        case .movedWhileShutOff(_, let device, let operation, let how):
            switch operation {
            case .closeValve: "\(device) 关断期间被打开 opened while shut off (\(how)); commanded closed again"
            case .openValve: "\(device) 关断期间被关闭 closed while shut off (\(how)); commanded open again"
            default: "\(device) 关断期间状态改变 changed while shut off (\(how)); commanded back"
            }
        case .commandNotAcknowledged(let step, let device, let error):
            "step \(step): \(device) did not take the command\(error.map { ": \($0)" } ?? "")"
        }
    }
}
