import Foundation

/// One value read from a field device, as the daemon hands it to the historian.
///
/// The historian does not store every reading: ``Historian/record(_:)`` keeps one when the value moved by more than
/// `deadband` since the last one stored for the point, when the quality changed, or when `heartbeatSeconds` passed.
public struct StoredReading: Sendable, Hashable {
    /// The point's id, such as `gas-a1.concentration`.
    public var point: String
    /// The engineering value; nil when the device gave none (a failed read). NaN is treated as nil.
    public var value: Double?
    /// `good`, `stale`, `comm-fail`, `out-of-range`, `bad-config`, `initial`, ...: stored as given.
    public var quality: String
    /// When the value was read from the device. It is also the time the store-on-change rule decides with.
    public var readAt: Date
    /// How far the value may move from the last stored one without being stored again. Used only for that
    /// decision, never stored; queried readings carry 0.
    public var deadband: Double

    public init(point: String, value: Double?, quality: String, readAt: Date, deadband: Double = 0) {
        self.point = point
        self.value = value
        self.quality = quality
        self.readAt = readAt
        self.deadband = deadband
    }
}
