import Foundation

/// How urgently an operator must act, which also picks the siren and beacon outputs.
public enum AlarmPriority: String, Sendable, Hashable, Codable, CaseIterable, Comparable, CustomStringConvertible {
    case critical, high, medium, low

    public var description: String { rawValue }

    /// 0 for critical up to 3 for low: a smaller rank sorts first in every list.
    public var rank: Int {
        switch self {
        case .critical: 0
        case .high: 1
        case .medium: 2
        case .low: 3
        }
    }

    /// More urgent is smaller, so `sorted()` puts critical first.
    public static func < (lhs: AlarmPriority, rhs: AlarmPriority) -> Bool { lhs.rank < rhs.rank }
}

/// One configured alarm: a condition on a point, with what the operator sees when it comes in.
///
/// The daemon builds these from the `[[alarms]]` tables of the configuration, or takes them from `AlarmPresets`.
public struct AlarmDefinition: Sendable, Hashable, Codable {
    /// Unique id, conventionally `<device>.<point>.<suffix>` such as "gas-a1.concentration.HH".
    public var id: String
    /// The point the condition watches, `<device>.<point>` such as "gas-a1.concentration".
    public var point: String
    public var condition: Condition
    public var priority: AlarmPriority
    /// What the alarm list, phones and the big screen show; any Unicode.
    public var message: String
    /// Alarms of one group compete for first-out: the one that came in first is marked. Nil: no first-out.
    public var group: String?
    /// What hides this alarm by design while it holds, such as "pump stopped" for a low-flow alarm.
    public var suppressedBy: Suppression?
    /// Watch this point for a frozen (flat-lining) value; the engine raises a `frozen` health alarm for it.
    public var frozenAfter: FrozenCheck?

    public init(
        id: String, point: String, condition: Condition, priority: AlarmPriority, message: String,
        group: String? = nil, suppressedBy: Suppression? = nil, frozenAfter: FrozenCheck? = nil
    ) {
        self.id = id
        self.point = point
        self.condition = condition
        self.priority = priority
        self.message = message
        self.group = group
        self.suppressedBy = suppressedBy
        self.frozenAfter = frozenAfter
    }
}

/// Suppression by design (ISA-18.2): while the source holds, the alarm is hidden and silent, because the
/// process makes it meaningless ("low flow" while the pump is stopped on purpose).
///
/// When the source cannot be known (the state point's value is unusable, or not yet read after a restart) the
/// suppression keeps its last state, like a condition does; the device's own health alarm says why.
public struct Suppression: Sendable, Hashable, Codable {
    public enum Source: Sendable, Hashable, Codable {
        /// While the condition of this alarm is active, whatever its acknowledgement state.
        case alarm(String)
        /// While this digital point has this state, e.g. `("pump-1.running", false)`.
        case pointState(point: String, equals: Bool)
    }

    public var source: Source
    /// How long the suppression lasts after its source ends, so that a pump that just started can build flow
    /// before its low-flow alarm is live again.
    public var holdAfter: Duration

    public init(_ source: Source, holdAfter: Duration = .zero) {
        self.source = source
        self.holdAfter = holdAfter
    }

    public static func alarm(_ id: String, holdAfter: Duration = .zero) -> Suppression {
        Suppression(.alarm(id), holdAfter: holdAfter)
    }

    public static func point(_ point: String, equals state: Bool, holdAfter: Duration = .zero) -> Suppression {
        Suppression(.pointState(point: point, equals: state), holdAfter: holdAfter)
    }
}

/// Frozen-value detection for a point that normally moves: no change beyond `noiseBand` for `after`.
///
/// A transmitter whose loop is stuck at a fixed current, or a gateway that keeps serving its last register
/// contents, reads "good" forever; only the absence of the noise every real measurement has gives it away.
/// Each usable sample is compared with the value at the last movement (not with the previous sample), so a slow
/// drift in steps smaller than the band still counts as movement once it adds up to more than the band.
public struct FrozenCheck: Sendable, Hashable, Codable {
    public var after: Duration
    public var noiseBand: Double

    public init(after: Duration, noiseBand: Double = 0) {
        self.after = after
        self.noiseBand = noiseBand
    }
}
