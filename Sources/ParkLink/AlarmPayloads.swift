import ControlAPI
import Foundation

/// `<prefix>/<site>/alarms`, retained: every alarm that is not normal, most urgent first.
public struct AlarmsPayload: Codable, Sendable, Hashable {
    public var version: Int
    public var site: String
    public var alarms: [AlarmPayload]
    /// Alarms over the last 10 minutes; above 10 is a flood.
    public var rate: Int
    public var at: Date

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case site, alarms, rate, at
    }
}

/// One alarm on the list, as the plant's control room shows it.
public struct AlarmPayload: Codable, Sendable, Hashable {
    public var id: String
    public var point: String
    /// critical, high, medium, low.
    public var priority: String
    /// unacknowledged, acknowledged, returned-unacknowledged, shelved, suppressed-by-design, out-of-service.
    public var state: String
    /// The condition itself is active now.
    public var active: Bool
    /// The value when the list last changed: a value alone changing does not resend the list.
    public var value: Double?
    public var message: String
    public var group: String?
    public var firstOut: Bool
    public var since: Date?
    public var shelvedUntil: Date?
    public var user: String?
    public var reason: String?
}

/// `<prefix>/<site>/alarms/events`, not retained, durable: one alarm's transition (ISA-18.2), `normal` standing
/// for "not on the list". At-least-once: a duplicate has the same `site`, `alarm`, `to` and `at`.
public struct AlarmEventPayload: Codable, Sendable, Hashable {
    public var version: Int
    public var site: String
    public var alarm: String
    public var point: String
    public var priority: String
    /// normal or a state of the list.
    public var from: String
    public var to: String
    public var active: Bool
    public var value: Double?
    public var message: String
    public var group: String?
    public var firstOut: Bool
    /// Who acknowledged, shelved or removed it, and why.
    public var user: String?
    public var reason: String?
    public var at: Date

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case site, alarm, point, priority, from, to, active, value, message, group, firstOut, user, reason, at
    }
}

extension AlarmPayload {
    init(_ a: AlarmEntry) {
        self.init(
            id: a.id, point: a.point, priority: a.priority, state: a.state, active: a.conditionActive,
            value: ParkJSON.finite(a.value), message: a.message, group: a.group, firstOut: a.firstOut, since: a.since,
            shelvedUntil: a.shelvedUntil, user: a.user, reason: a.reason)
    }
}

extension AlarmsPayload {
    /// The list without its values and time: what decides whether the list has changed.
    var structure: AlarmsPayload {
        var copy = self
        copy.at = Date(timeIntervalSince1970: 0)
        for i in copy.alarms.indices { copy.alarms[i].value = nil }
        return copy
    }
}

extension AlarmEventPayload {
    /// The transitions from `previous` to `current`: an alarm that appeared (from normal), one whose state or
    /// condition changed, and one that left the list (to normal). In the order of the current list, then the
    /// departed ones in their old order.
    static func transitions(from previous: [AlarmEntry], to current: [AlarmEntry], site: String, at: Date)
        -> [AlarmEventPayload]
    {
        let before = Dictionary(previous.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let now = Set(current.map(\.id))
        var events: [AlarmEventPayload] = []
        var seen = Set<String>()
        for a in current where seen.insert(a.id).inserted {
            let old = before[a.id]
            if let old, old.state == a.state, old.conditionActive == a.conditionActive { continue }
            events.append(.init(a, from: old?.state ?? "normal", to: a.state, active: a.conditionActive, site, at))
        }
        for a in previous where !now.contains(a.id) && seen.insert(a.id).inserted {
            events.append(.init(a, from: a.state, to: "normal", active: false, site, at))
        }
        return events
    }

    init(_ a: AlarmEntry, from: String, to: String, active: Bool, _ site: String, _ at: Date) {
        self.init(
            version: ParkJSON.version, site: site, alarm: a.id, point: a.point, priority: a.priority, from: from,
            to: to, active: active, value: ParkJSON.finite(a.value), message: a.message, group: a.group,
            firstOut: a.firstOut, user: a.user, reason: a.reason, at: at)
    }
}
