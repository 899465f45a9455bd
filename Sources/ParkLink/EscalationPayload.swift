import ControlAPI
import Foundation

/// `<prefix>/<site>/escalation`, retained and durable: whether the site has called the park (level 2, "big
/// accidents stay inside the park") since its last reset. Every change is kept until the broker has it, so a park
/// learns of an escalation even if the plant reset before the link came back.
public struct EscalationPayload: Codable, Sendable, Hashable {
    public var version: Int
    public var site: String
    public var escalated: Bool
    /// The latest escalation was made during a drill: the park should not mobilise.
    public var drill: Bool
    /// The latest escalation, as the plant words it ("who: why", "DRILL " first in a drill).
    public var reason: String?
    /// Every escalation since the last reset, oldest first.
    public var reasons: [String]
    /// When `escalated` or `reasons` last changed, as the publisher saw it.
    public var since: Date
    public var at: Date

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case site, escalated, drill, reason, reasons, since, at
    }
}

extension EscalationPayload {
    init(_ d: DefenceSummary?, site: String, since: Date, at: Date) {
        let reasons = d?.escalations ?? []
        let escalated = (d?.escalated ?? false) || !reasons.isEmpty
        self.init(
            version: ParkJSON.version, site: site, escalated: escalated,
            drill: escalated && (reasons.last?.hasPrefix("DRILL ") ?? d?.drill ?? false),
            reason: escalated ? reasons.last : nil, reasons: reasons, since: since, at: at)
    }
}
