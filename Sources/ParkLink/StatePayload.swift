import ControlAPI
import Foundation

/// `<prefix>/<site>/state`, retained: the site at a glance, for the park's list of plants and its big screen.
/// Re-sent at least every heartbeat interval, which is how the park tells a silent plant from a quiet one.
public struct StatePayload: Codable, Sendable, Hashable {
    public var version: Int
    public var site: String
    public var role: SiteRole
    public var name: String
    public var timeZone: String
    /// The same line systemd shows as the unit's status.
    public var summary: String
    public var latched: Bool
    public var plan: String?
    /// The latched trip is a verification drill (验证演练): the park must not mobilise for it.
    public var drill: Bool
    /// The id of the drill under way, if any.
    public var activeDrill: String?
    public var escalated: Bool
    /// Bypasses in force: a bypassed automatic trip will not act.
    public var bypasses: Int
    public var alarms: AlarmCounts
    /// Alarms over the last 10 minutes; above 10 is a flood.
    public var alarmRate: Int
    public var devices: Int
    public var devicesAnswering: Int
    /// When the daemon built the status this was made from.
    public var generatedAt: Date
    /// When this message was made.
    public var at: Date

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case site, role, name, timeZone, summary, latched, plan, drill, activeDrill, escalated, bypasses, alarms
        case alarmRate, devices, devicesAnswering, generatedAt, at
    }
}

/// Standing alarms (unacknowledged, acknowledged, or returned but unacknowledged) by priority; shelved, suppressed
/// and out-of-service alarms are on the alarm list but not counted here, as they ask nothing of anyone now.
public struct AlarmCounts: Codable, Sendable, Hashable {
    public var critical: Int
    public var high: Int
    public var medium: Int
    public var low: Int
    /// Unacknowledged and returned-unacknowledged, of any priority.
    public var unacknowledged: Int

    public init(critical: Int = 0, high: Int = 0, medium: Int = 0, low: Int = 0, unacknowledged: Int = 0) {
        self.critical = critical
        self.high = high
        self.medium = medium
        self.low = low
        self.unacknowledged = unacknowledged
    }

    static let standing: Set<String> = ["unacknowledged", "acknowledged", "returned-unacknowledged"]

    init(_ alarms: [AlarmEntry]) {
        self.init()
        for a in alarms where Self.standing.contains(a.state) {
            switch a.priority {
            case "critical": critical += 1
            case "high": high += 1
            case "medium": medium += 1
            case "low": low += 1
            default: break
            }
            if a.state != "acknowledged" { unacknowledged += 1 }
        }
    }
}

extension StatePayload {
    init(_ status: SiteStatus, site: String, role: SiteRole, at: Date) {
        let d = status.defence
        self.init(
            version: ParkJSON.version, site: site, role: role, name: status.siteName, timeZone: status.timeZone,
            summary: status.summary, latched: d?.latched ?? false, plan: d?.plan, drill: d?.drill ?? false,
            activeDrill: d?.activeDrill, escalated: d?.escalated ?? false, bypasses: d?.bypasses.count ?? 0,
            alarms: AlarmCounts(status.alarms), alarmRate: status.alarmRate, devices: status.devices.count,
            devicesAnswering: status.devices.filter(\.answering).count, generatedAt: status.generatedAt, at: at)
    }
}
