import Foundation
import Messages

/// What the screens, the control socket and a drill report read from the engine.
extension AlarmEngine {
    /// The alarm summary: every alarm active or awaiting acknowledgement, most urgent priority first, then the
    /// newest episode first (what came in last is what the operator has not seen yet), then by id.
    ///
    /// Shelved, suppressed and out-of-service alarms are not on it; `alarms` lists them with their state.
    public var activeAlarms: [AlarmStatus] {
        records.filter { $0.state.isOnSummary }
            .map(status)
            .sorted { a, b in
                if a.priority != b.priority { return a.priority < b.priority }
                if a.activatedAt != b.activatedAt {
                    guard let ta = a.activatedAt else { return false }
                    guard let tb = b.activatedAt else { return true }
                    return ta > tb
                }
                return a.id < b.id
            }
    }

    /// Every alarm the engine knows, configured ones in definition order, then health alarms as they appeared.
    public var alarms: [AlarmStatus] { records.map(status) }

    /// One alarm's status, or nil for an unknown id.
    public func status(of id: String) -> AlarmStatus? { index[id].map { status(records[$0]) } }

    /// Activations (alarms coming in, including on return from shelve or suppression) in the flood window that
    /// ends at `now`: the alarm load, in alarms per 10 minutes with the default policy.
    public func floodRate(at now: ContinuousClock.Instant) -> Int { flood.count(at: now) }

    /// Whether the engine is in an alarm flood.
    public var isFlooding: Bool { flood.isFlooding }

    /// The first-out alarm of a group, while the group has not returned to all normal.
    public func firstOut(ofGroup group: String) -> String? { groups[group]?.firstOut }

    func status(_ r: Record) -> AlarmStatus {
        let note = r.outOfService ?? r.shelf?.note ?? r.acknowledged
        return AlarmStatus(
            id: r.id, point: r.point, priority: r.priority, state: r.state, conditionActive: r.conditionActive,
            value: r.value, text: r.text, group: r.group, firstOut: r.firstOut, health: r.health,
            activatedAt: r.activatedAt, since: r.since, shelvedUntil: r.shelf?.until, user: note?.user,
            reason: note?.reason)
    }
}
