import Foundation
import Historian
import Messages

/// A journal event as the API sends it (`/api/v1/events`, and the stream's `journal` events).
struct EventPayload: Encodable, Sendable {
    /// The row id: the stream's event id, and what `Last-Event-ID` resumes after.
    var id: Int64?
    var at: Date
    var kind: String
    var source: String
    var message: String
    /// The entry as a catalogue message, for the page to render in its language; nil on entries stored before.
    var text: Message?
    /// Machine-readable details, as the JSON text they were stored as.
    var details: String?
    var drill: Bool

    init(_ event: StoredEvent) {
        id = event.id
        at = event.at
        kind = event.kind
        source = event.source
        message = event.message
        text = event.text
        details = event.details
        drill = event.drill
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(at, forKey: .at)
        try c.encode(kind, forKey: .kind)
        try c.encode(source, forKey: .source)
        try c.encode(message, forKey: .message)
        try c.encode(text, forKey: .text)
        try c.encode(details, forKey: .details)
        try c.encode(drill, forKey: .drill)
    }

    private enum CodingKeys: String, CodingKey { case id, at, kind, source, message, text, details, drill }
}

/// One sample of a trend (`/api/v1/history`): a stored reading, or, with a `step`, the last reading of a bucket
/// with the bucket's extremes.
struct HistorySample: Encodable, Sendable {
    /// When the value was read (with a step: the bucket's last reading).
    var readAt: Date
    /// nil when the device gave no value (comm-fail and the like): sent as null, never left out.
    var value: Double?
    var quality: String
    var bucket: Bucket?

    struct Bucket: Sendable {
        var start: Date
        var min: Double?
        var max: Double?
        var count: Int
    }

    init(_ reading: StoredReading) {
        readAt = reading.readAt
        value = reading.value
        quality = reading.quality
    }

    init(_ bucket: ReadingBucket) {
        self.init(bucket.last)
        self.bucket = Bucket(start: bucket.start, min: bucket.minimum, max: bucket.maximum, count: bucket.count)
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(readAt, forKey: .readAt)
        try c.encode(value, forKey: .value)
        try c.encode(quality, forKey: .quality)
        if let bucket {
            try c.encode(bucket.start, forKey: .bucketStart)
            try c.encode(bucket.min, forKey: .min)
            try c.encode(bucket.max, forKey: .max)
            try c.encode(bucket.count, forKey: .count)
        }
    }

    private enum CodingKeys: String, CodingKey { case readAt, value, quality, bucketStart, min, max, count }
}
