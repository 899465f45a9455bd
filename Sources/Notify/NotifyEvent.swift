import Config
import Foundation

/// Something that may be worth telling the duty officer, as levee-notify builds it from leveed's status and journal:
/// everything the message needs, so that rendering it asks nothing of leveed.
public struct NotifyEvent: Sendable, Hashable, Codable {
    /// What identifies repeats of the same thing: the alarm id, or "trip", "drill", "health:<device>"...
    public var key: String
    public var kind: NotifyEventKind
    /// The alarm's priority (critical, high, medium, low); nil for events that are not alarms.
    public var priority: String?
    public var group: String?
    /// The device's id, name and location, when the event concerns one device.
    public var device: String?
    public var deviceName: String?
    public var location: String?
    /// What happened, as leveed worded it (the alarm's configured message, the journal's text).
    public var title: String
    /// The measured values that matter, each with its quality.
    public var values: [Value]
    /// Whether the plant's shutoff is latched (tripped and not reset); nil when unknown.
    public var latched: Bool?
    /// Whether this alarm was the first out of a flood.
    public var firstOut: Bool
    /// When leveed recorded it.
    public var at: Date
    /// True during a verification drill: the message says so.
    public var drill: Bool

    /// One measured value: what it is, the number (nil when there is no good reading), its unit and quality.
    public struct Value: Sendable, Hashable, Codable {
        public var name: String
        public var value: Double?
        public var unit: String?
        /// "good", "stale", "bad", "comm-fail"...: as leveed reports it.
        public var quality: String

        public init(name: String, value: Double?, unit: String? = nil, quality: String) {
            self.name = name
            self.value = value
            self.unit = unit
            self.quality = quality
        }
    }

    public init(
        key: String, kind: NotifyEventKind, priority: String? = nil, group: String? = nil, device: String? = nil,
        deviceName: String? = nil, location: String? = nil, title: String, values: [Value] = [],
        latched: Bool? = nil, firstOut: Bool = false, at: Date, drill: Bool = false
    ) {
        self.key = key
        self.kind = kind
        self.priority = priority
        self.group = group
        self.device = device
        self.deviceName = deviceName
        self.location = location
        self.title = title
        self.values = values
        self.latched = latched
        self.firstOut = firstOut
        self.at = at
        self.drill = drill
    }
}

extension NotifyRule {
    /// Whether this rule takes `event`: every list the rule gives must contain the event's value.
    public func matches(_ event: NotifyEvent) -> Bool {
        if let kinds, !kinds.contains(event.kind) { return false }
        if let priorities {
            guard let p = event.priority, priorities.contains(p) else { return false }
        }
        if let groups {
            guard let g = event.group, groups.contains(g) else { return false }
        }
        if let devices {
            guard let d = event.device, devices.contains(d) else { return false }
        }
        return true
    }
}
