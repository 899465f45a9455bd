import Config
import Foundation

/// Why a reset was refused, in words an operator can act on.
public enum ResetRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    case notLatched
    case reasonRequired
    /// Trip conditions are still active; only an administrator may override, naming them.
    case conditionsActive([String])

    public var description: String {
        switch self {
        case .notLatched: "nothing to reset: the shutoff is not latched"
        case .reasonRequired: "a reset needs a reason"
        case .conditionsActive(let ids):
            "trip conditions still active: \(ids.joined(separator: ", ")); an administrator may override"
        }
    }
}

/// Why a restore (reopening) was refused.
public enum RestoreRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    case latched
    case reasonRequired
    /// No plan has latched since the last restore.
    case nothingToRestore
    /// Opening a held outlet is for administrators.
    case overrideNeedsAdmin
    /// An override names a device the plan did not touch.
    case notInPlan(String)

    public var description: String {
        switch self {
        case .latched: "the shutoff is latched: reset it first"
        case .reasonRequired: "a restore needs a reason"
        case .nothingToRestore: "nothing to restore: no plan has run since the last restore"
        case .overrideNeedsAdmin: "opening a held outlet is for an administrator (root)"
        case .notInPlan(let device): "\(device) is not in the plan being restored"
        }
    }
}

/// What survives a restart: the latch and every step's state. Bypasses do not survive on purpose: a restart
/// returns every automatic trigger to service, the fail-safe direction.
public struct ShutoffSnapshot: Sendable, Hashable, Codable {
    public var isLatched: Bool
    public var trips: [Trigger]
    public var plan: ResponsePlan?
    public var steps: [StepState]
    public var escalations: [Escalation]
    /// Each plan device's state when the plan latched; absent in snapshots from before it was kept.
    public var lineUp: [LineUpEntry]?
    /// The last restore's verdicts.
    public var lastRestore: RestorePreview?
}

extension ShutoffSequencer {
    // MARK: Reset and restore

    /// Clears the latch and any escalation. Refused without a reason, and while any trip condition is active unless an administrator
    /// overrides (the overridden conditions are journaled). Never reopens anything: it returns no commands, and the
    /// valves stay where the trip put them until an operator runs `restore(plan:...)`.
    /// - Parameter activeConditions: conditions the caller knows to be active (alarm engine, button still pressed);
    ///   the sequencer adds its own active automatic triggers.
    public mutating func reset(
        by who: String, reason: String, activeConditions: [String], override: Bool, isAdmin: Bool,
        at now: ContinuousClock.Instant
    ) -> Result<[ShutoffAction], ResetRefusal> {
        guard isLatched || isEscalated else { return .failure(.notLatched) }
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            return .failure(.reasonRequired)
        }
        var active = activeConditions
        for state in automatic where state.isActive && !active.contains(state.trigger.id) {
            active.append(state.trigger.id)
        }
        if !active.isEmpty && !(override && isAdmin) {
            return .failure(.conditionsActive(active))
        }
        isLatched = false
        // The escalation ends with the reset: the park is told the plant has it in hand again.
        escalations = []
        escalatedPools = []
        return .success([.event(.reset(by: who, reason: reason, overridden: active))])
    }

    // MARK: Restart

    /// The state to store so that a restart comes back as it left.
    public var snapshot: ShutoffSnapshot {
        ShutoffSnapshot(
            isLatched: isLatched, trips: trips, plan: plan, steps: steps, escalations: escalations,
            lineUp: lineUp.values.sorted { $0.device < $1.device }, lastRestore: lastRestore)
    }

    /// Comes back from a restart. A latched snapshot comes back latched and re-asserts the target of every step
    /// that was not confirmed (commanded, failed, or awaiting manual action); steps still waiting on others keep
    /// waiting. Only the plan's own targets are commanded, so nothing the plan closes is ever opened.
    ///
    /// An unlatched snapshot with a restore under way is watched through to the end: its unsettled steps are
    /// re-armed (the command went out before the crash; the deadline's retry re-sends it, then fails it), and
    /// feedback confirms them as it arrives. Nothing new is reopened: only what the operator already confirmed.
    public mutating func restore(_ snapshot: ShutoffSnapshot, at now: ContinuousClock.Instant) -> [ShutoffAction] {
        isLatched = snapshot.isLatched
        trips = snapshot.trips
        plan = snapshot.plan
        steps = snapshot.steps
        escalations = snapshot.escalations
        lineUp = Dictionary((snapshot.lineUp ?? []).map { ($0.device, $0) }, uniquingKeysWith: { a, _ in a })
        lastRestore = snapshot.lastRestore
        observed = [:]
        let restoring = isRestoring
        var actions: [ShutoffAction] = [.event(.restarted(latched: isLatched, restoring: restoring))]
        if restoring {
            for i in steps.indices where steps[i].phase == .commanded {
                steps[i].commandedAt = now
                steps[i].lastCommandAt = now
                steps[i].runAttempts = 1
                steps[i].startedBeforeRestart = true
            }
        }
        guard isLatched else { return actions }
        for i in steps.indices where steps[i].phase != .confirmed && steps[i].phase != .waiting {
            steps[i].phase = .commanded
            steps[i].cause = .daemon(
                from: "restart", why: "re-asserted after restart (\(steps[i].cause?.text ?? "cause unknown"))",
                cause: steps[i].cause)
            let wasCommanded = steps[i].commandedAt != nil || steps[i].attempts > 0
            actions += command(i, at: now, newRun: true)
            // Its first command went out before the restart: a time from now would understate it.
            if wasCommanded && steps[i].phase != .confirmed { steps[i].startedBeforeRestart = true }
        }
        actions += release(at: now)
        return actions
    }
}
