import Foundation
import Messages

/// The engine's alarm states as a `Codable` value, for the daemon to journal and reload across a restart.
///
/// Times are wall-clock `Date`s, because a `ContinuousClock.Instant` means nothing to another process or after a
/// reboot; the engine converts with one reading of both clocks on the way out and on the way in. Only alarms
/// with something to remember are saved (not normal, active underneath, or first-out).
public struct AlarmSnapshot: Sendable, Hashable, Codable {
    /// Who did an operator action that still shapes a state, and why.
    public struct Note: Sendable, Hashable, Codable {
        public var user: String
        public var reason: String?
        public var at: Date
    }

    /// One alarm's saved state.
    public struct Entry: Sendable, Hashable, Codable {
        public var id: String
        /// For a device-health alarm, its condition: the engine makes the alarm again on restore.
        public var health: HealthCondition?
        /// The text in English, as saved before messages had ids; read when `text` is absent.
        public var message: String
        /// The text with its message id (absent in a snapshot saved before messages had ids).
        public var text: Message?
        /// The state as the operator saw it, for readers of the journal.
        public var state: AlarmState
        /// The state ignoring shelve, suppression and out of service.
        public var base: AlarmState
        public var conditionActive: Bool
        public var suppressed: Bool
        public var value: Double?
        public var firstOut: Bool
        public var activatedAt: Date?
        public var since: Date?
        public var shelvedUntil: Date?
        public var shelvedBy: Note?
        public var outOfService: Note?
        public var acknowledged: Note?
    }

    public var takenAt: Date
    public var alarms: [Entry]
    /// The priorities whose sirens were sounding.
    public var sounding: [AlarmPriority]
    /// Activations still inside the flood window, and whether a flood was on.
    public var recentActivations: [Date]
    public var flooding: Bool
}

/// What a restore did: the actions to perform (sirens that were sounding), and the saved alarms the current
/// definitions no longer have, which the daemon should log.
public struct RestoreOutcome: Sendable, Hashable {
    public var actions: [AlarmAction]
    public var unknownAlarms: [String]
}

extension AlarmEngine {
    /// Saves the alarm states.
    /// - Parameters:
    ///   - now: the continuous-clock reading taken together with `date`.
    public func snapshot(at now: ContinuousClock.Instant, date: Date) -> AlarmSnapshot {
        func wall(_ i: ContinuousClock.Instant) -> Date { date.addingTimeInterval((i - now).inSeconds) }
        func note(_ n: Note?) -> AlarmSnapshot.Note? {
            n.map { .init(user: $0.user, reason: $0.reason, at: wall($0.at)) }
        }
        let entries = records.filter { $0.state != .normal || $0.conditionActive || $0.firstOut }.map { r in
            AlarmSnapshot.Entry(
                id: r.id, health: r.health, message: r.message, text: r.text, state: r.state, base: r.base,
                conditionActive: r.conditionActive, suppressed: r.suppressed, value: r.value, firstOut: r.firstOut,
                activatedAt: r.activatedAt.map(wall), since: r.since.map(wall),
                shelvedUntil: r.shelf.map { wall($0.until) },
                shelvedBy: note(r.shelf?.note), outOfService: note(r.outOfService), acknowledged: note(r.acknowledged))
        }
        return AlarmSnapshot(
            takenAt: date, alarms: entries, sounding: sounding.sorted(),
            recentActivations: flood.activations.filter { now - $0 < options.flood.window }.map(wall),
            flooding: flood.isFlooding)
    }

    /// Puts saved alarm states back into a freshly built engine, before its first scan.
    ///
    /// Active alarms come back active with their acknowledgement, shelve (with the same wall-clock expiry) and
    /// out-of-service states, so they clear through their deadband and off-delay like any other; a shelve that
    /// expired while the daemon was down ends on the first `tick`. Sirens that were sounding sound again.
    /// - Parameters:
    ///   - now: the continuous-clock reading taken together with `date`.
    public mutating func restore(
        _ snapshot: AlarmSnapshot, at now: ContinuousClock.Instant, date: Date
    ) -> RestoreOutcome {
        func instant(_ d: Date) -> ContinuousClock.Instant { now + .seconds(d.timeIntervalSince(date)) }
        func note(_ n: AlarmSnapshot.Note?) -> Note? {
            n.map { Note(user: $0.user, reason: $0.reason, at: instant($0.at)) }
        }
        var unknown: [String] = []
        for e in snapshot.alarms {
            var i = index[e.id]
            if i == nil, let h = e.health, h.alarmID == e.id {
                i = records.count
                index[e.id] = i
                records.append(
                    Record(
                        id: e.id, point: h.subject, priority: options.health.priority(of: h.kind),
                        text: e.text ?? h.title(measured: nil),
                        group: nil, suppression: nil, health: h, condition: nil))
            }
            guard let i else {
                unknown.append(e.id)
                continue
            }
            var r = records[i]
            // A health alarm keeps the text it was raised with (its detail, its measured time).
            if r.health != nil, let text = e.text { r.text = text }
            r.base = e.base
            r.conditionActive = e.conditionActive
            if let c = r.condition {
                r.condition = ConditionState(c.condition, active: e.conditionActive, changedAt: e.since.map(instant))
            }
            if case .frozen(let point) = r.health, let detector = frozen[point] {
                frozen[point] = FrozenDetector(detector.check, frozen: e.conditionActive)
            }
            r.suppressed = e.suppressed
            r.value = e.value
            r.firstOut = e.firstOut
            r.activatedAt = e.activatedAt.map(instant)
            r.since = e.since.map(instant)
            if let until = e.shelvedUntil, let by = note(e.shelvedBy) {
                r.shelf = Shelf(until: instant(until), note: by)
            }
            r.outOfService = note(e.outOfService)
            r.acknowledged = note(e.acknowledged)
            records[i] = r
        }
        // Disarm every group, then let the usual rule re-arm those with nothing on the summary.
        for g in groupOrder {
            groups[g]!.firstOut = groups[g]!.members.first { records[$0].firstOut }.map { records[$0].id }
            groups[g]!.armed = false
        }
        rearmGroups()
        flood.restore(activations: snapshot.recentActivations.map(instant), isFlooding: snapshot.flooding)
        sounding = Set(snapshot.sounding)
        return RestoreOutcome(actions: sounding.sorted().map { .annunciate($0) }, unknownAlarms: unknown)
    }
}
