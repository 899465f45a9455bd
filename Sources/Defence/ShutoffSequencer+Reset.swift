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

    public var description: String {
        switch self {
        case .latched: "the shutoff is latched: reset it first"
        case .reasonRequired: "a restore needs a reason"
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

    /// Reopens what a plan shut, all at once, tracked step by step like a trip. Only when not latched: a latched
    /// trip must be reset first, so nobody reopens onto a live spill by mistake.
    public mutating func restore(
        plan tripped: ResponsePlan, by who: String, reason: String, at now: ContinuousClock.Instant
    )
        -> Result<[ShutoffAction], RestoreRefusal>
    {
        guard !isLatched else { return .failure(.latched) }
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            return .failure(.reasonRequired)
        }
        let restore = tripped.inverted
        trips = []
        plan = restore
        steps = restore.steps.map(StepState.init)
        var actions: [ShutoffAction] = [.event(.restoreStarted(by: who, reason: reason, plan: tripped.name))]
        actions += release(at: now)
        return .success(actions)
    }

    // MARK: Restart

    /// The state to store so that a restart comes back as it left.
    public var snapshot: ShutoffSnapshot {
        ShutoffSnapshot(isLatched: isLatched, trips: trips, plan: plan, steps: steps, escalations: escalations)
    }

    /// Comes back from a restart. A latched snapshot comes back latched and re-asserts the target of every step
    /// that was not confirmed (commanded, failed, or awaiting manual action); steps still waiting on others keep
    /// waiting. Only the plan's own targets are commanded, so nothing the plan closes is ever opened. An unlatched
    /// snapshot (say, a restore that was under way) commands nothing: reopening needs a person.
    public mutating func restore(_ snapshot: ShutoffSnapshot, at now: ContinuousClock.Instant) -> [ShutoffAction] {
        isLatched = snapshot.isLatched
        trips = snapshot.trips
        plan = snapshot.plan
        steps = snapshot.steps
        escalations = snapshot.escalations
        observed = [:]
        var actions: [ShutoffAction] = [.event(.restarted(latched: isLatched))]
        guard isLatched else { return actions }
        for i in steps.indices where steps[i].phase != .confirmed && steps[i].phase != .waiting {
            steps[i].phase = .commanded
            actions += command(i, at: now, newRun: true)
        }
        actions += release(at: now)
        return actions
    }
}
