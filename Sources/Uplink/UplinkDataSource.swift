import Foundation
import HJ212

/// A point's latest value, as the daemon hands it to the uplink for real-time data (2011).
public struct UplinkSample: Sendable, Hashable {
    /// Levee's point name, such as `outfall-1.cod`.
    public var point: String
    /// nil when the device gave no value.
    public var value: Double?
    /// Levee's quality string: `good`, `comm-fail`, `out-of-range`, `stale`, `bad-config`, `initial`, ...
    public var quality: String
    /// The instrument is bypassed for maintenance: its data goes up flagged M.
    public var bypassed: Bool
    /// When the value was read.
    public var at: Date

    public init(point: String, value: Double?, quality: String, bypassed: Bool = false, at: Date) {
        self.point = point
        self.value = value
        self.quality = quality
        self.bypassed = bypassed
        self.at = at
    }

    /// The HJ 212 flag of the sample (``DataFlag/init(quality:bypassed:)``).
    public var flag: DataFlag { DataFlag(quality: quality, bypassed: bypassed) }
}

/// A point's statistics over one period, for minute, hourly and daily data.
public struct UplinkAggregate: Sendable, Hashable {
    /// Time-weighted average; nil when the period held readings but no value (faults only).
    public var average: Double?
    public var minimum: Double?
    public var maximum: Double?
    public var flag: DataFlag

    public init(average: Double?, minimum: Double?, maximum: Double?, flag: DataFlag) {
        self.average = average
        self.minimum = minimum
        self.maximum = maximum
        self.flag = flag
    }
}

/// Where the uplink's data comes from: the daemon's live values and the historian's history.
///
/// The session calls it on the uplink's own thread, and may block there (a historian read).
public protocol UplinkDataSource: Sendable {
    /// The latest sample of each point, as of `now`.
    func currentSamples(at now: Date) -> [UplinkSample]

    /// The statistics of each of `points` over `from ..< to`. A point with no data in the period is left out.
    /// - Throws: when the data cannot be read now (the historian is in fault); the uplink tries again later rather
    ///   than take the period as empty.
    func aggregates(points: [String], from: Date, to: Date) throws -> [String: UplinkAggregate]
}
