import Foundation

/// The readings of one point within one time bucket, summarised for a trend too long to draw point by point: the
/// last reading as it was, and the extremes, so that a spike between two samples is not lost.
public struct ReadingBucket: Sendable, Hashable {
    /// The bucket's start: `from + k × step`.
    public var start: Date
    /// The last reading in the bucket: its time, value (nil for a failed read) and quality.
    public var last: StoredReading
    /// The lowest and highest values in the bucket; nil when no reading in it had a value.
    public var minimum: Double?
    public var maximum: Double?
    /// How many stored readings the bucket holds.
    public var count: Int

    public init(start: Date, last: StoredReading, minimum: Double?, maximum: Double?, count: Int) {
        self.start = start
        self.last = last
        self.minimum = minimum
        self.maximum = maximum
        self.count = count
    }
}
