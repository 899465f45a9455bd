import Alarm
import Config
import Foundation
import Messages

/// A trip the plant makes by itself: a condition on one point (a bund level, a gas concentration, a rain-outlet
/// COD) that starts a plan. The condition is the Alarm module's `Condition`, so the alarm that announces a limit
/// and the interlock that acts on it can never disagree about when it was crossed.
public struct AutomaticTrigger: Sendable, Hashable {
    public var id: String
    public var condition: Condition
    /// `<device>.<point>`, as the alarm engine names points.
    public var point: String
    public var plan: ResponsePlan
    /// What it is for, for status and the journal.
    public var description: String?

    public init(id: String, condition: Condition, point: String, plan: ResponsePlan, description: String? = nil) {
        self.id = id
        self.condition = condition
        self.point = point
        self.plan = plan
        self.description = description
    }
}

/// An automatic trigger and the running evaluation of its condition.
public struct AutomaticTriggerState: Sendable, Hashable {
    public var trigger: AutomaticTrigger
    public var condition: ConditionState

    init(trigger: AutomaticTrigger) {
        self.trigger = trigger
        self.condition = ConditionState(trigger.condition)
    }

    public var isActive: Bool { condition.isActive }
}

/// Why a bypass was refused.
public enum BypassRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    case notAdmin
    case reasonRequired
    case unknownTrigger(String)

    public var description: String {
        switch self {
        case .notAdmin: "only an administrator may bypass an automatic trip"
        case .reasonRequired: "a bypass needs a reason"
        case .unknownTrigger(let id): "no automatic trigger \"\(id)\""
        }
    }
}

extension ShutoffSequencer {
    /// A sample of a point: every automatic trigger on it is evaluated, and one that becomes active trips its plan
    /// unless bypassed. Only the change to active trips, so an administrator's override reset is not undone by
    /// the same still-active condition.
    public mutating func sample(
        point: String, value: Double?, usable: Bool, at now: ContinuousClock.Instant, date: Date? = nil
    ) -> [ShutoffAction] {
        var actions: [ShutoffAction] = []
        for i in automatic.indices where automatic[i].trigger.point == point {
            let changes = automatic[i].condition.update(value: value, usable: usable, at: now)
            if changes.last?.isActive == true {
                actions += automaticTrip(i, at: now, date: date)
            }
        }
        return actions
    }

    /// Bypasses an automatic trigger for at most `options.maximumBypass`. Administrators only, with a reason.
    public mutating func bypass(
        trigger id: String, by who: String, reason: String, isAdmin: Bool, for duration: Duration,
        at now: ContinuousClock.Instant
    ) -> Result<[ShutoffAction], BypassRefusal> {
        guard isAdmin else { return .failure(.notAdmin) }
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            return .failure(.reasonRequired)
        }
        guard automatic.contains(where: { $0.trigger.id == id }) else { return .failure(.unknownTrigger(id)) }
        let bypass = Bypass(
            trigger: id, by: who, reason: reason, from: now, until: now + min(duration, options.maximumBypass))
        bypasses.removeAll { $0.trigger == id }
        bypasses.append(bypass)
        return .success([.event(.bypassed(bypass))])
    }

    /// Ends a bypass early. If the condition is active, it trips now, as it would have without the bypass.
    public mutating func removeBypass(trigger id: String, at now: ContinuousClock.Instant) -> [ShutoffAction] {
        guard let bypass = bypasses.first(where: { $0.trigger == id }) else { return [] }
        bypasses.removeAll { $0.trigger == id }
        return [.event(.bypassRemoved(bypass, expired: false))] + tripIfActive(id, at: now)
    }

    func isBypassed(_ id: String, at now: ContinuousClock.Instant) -> Bool {
        bypasses.contains { $0.trigger == id && now < $0.until }
    }

    mutating func expireBypasses(at now: ContinuousClock.Instant) -> [ShutoffAction] {
        let expired = bypasses.filter { now >= $0.until }
        guard !expired.isEmpty else { return [] }
        bypasses.removeAll { now >= $0.until }
        var actions: [ShutoffAction] = []
        for bypass in expired {
            actions.append(.event(.bypassRemoved(bypass, expired: true)))
            actions += tripIfActive(bypass.trigger, at: now)
        }
        return actions
    }

    mutating func advanceConditions(at now: ContinuousClock.Instant) -> [ShutoffAction] {
        var actions: [ShutoffAction] = []
        for i in automatic.indices {
            if let change = automatic[i].condition.advance(to: now), change.isActive {
                actions += automaticTrip(i, at: now, date: nil)
            }
        }
        return actions
    }

    private mutating func tripIfActive(_ id: String, at now: ContinuousClock.Instant) -> [ShutoffAction] {
        guard let i = automatic.firstIndex(where: { $0.trigger.id == id }), automatic[i].isActive else { return [] }
        return automaticTrip(i, at: now, date: nil)
    }

    private mutating func automaticTrip(_ i: Int, at now: ContinuousClock.Instant, date: Date?) -> [ShutoffAction] {
        let t = automatic[i].trigger
        let whyMessage = Message(.triggerCondition, ["interlock": .text(t.id), "point": .text(t.point)])
        let why = whyMessage.render(.en)
        // The action id is the interlock and the moment it tripped: the sequencer makes no random ids.
        let action = "\(t.id)@\(Int(((date ?? Date(timeIntervalSince1970: 0)).timeIntervalSince1970 * 1000).rounded()))"
        let trigger = Trigger(
            kind: .automatic(t.id), who: "interlock \(t.id)", from: t.point, why: why, whyMessage: whyMessage,
            date: date, action: action)
        return trip(trigger, plan: t.plan, at: now)
    }
}
