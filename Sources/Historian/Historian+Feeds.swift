import Foundation
import GRDB

/// Queries for live feeds and long trends: events by row id, so a reader that lost its connection resumes exactly
/// where it stopped, and readings counted or summarised per time bucket, so a year's trend is never loaded row by
/// row.
extension Historian {
    // MARK: - Events by id

    /// The events whose row id is above `id`, in id order (the order they were written), at most `limit`.
    ///
    /// Ids only grow, so a reader that remembers the last id it saw and asks again misses nothing still stored,
    /// across its own restarts and the daemon's; events pruned by retention are gone.
    public func events(afterID id: Int64, limit: Int) throws -> [StoredEvent] {
        try core.read("query events") { db in try Self.events(db, afterID: id, limit: limit) }
    }

    public func events(afterID id: Int64, limit: Int) async throws -> [StoredEvent] {
        try await core.read("query events") { db in try Self.events(db, afterID: id, limit: limit) }
    }

    /// The id of the last event stored, or nil when there is none: where a new live reader starts.
    public func lastEventID() throws -> Int64? {
        try core.read("query events") { db in try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM events") }
    }

    public func lastEventID() async throws -> Int64? {
        try await core.read("query events") { db in try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM events") }
    }

    // MARK: - Readings: counts and buckets

    /// Whether any reading of `point` was ever stored (and its name not since forgotten): tells a point with no
    /// readings in a range from a point that does not exist.
    public func knowsPoint(_ point: String) throws -> Bool {
        try core.read("query readings") { db in try Self.pointID(db, point) != nil }
    }

    public func knowsPoint(_ point: String) async throws -> Bool {
        try await core.read("query readings") { db in try Self.pointID(db, point) != nil }
    }

    /// How many readings of `point` have `from <= readAt < to`; counted on the (point, time) index without loading
    /// them, so a caller can refuse a range too large to return.
    public func readingCount(point: String, from: Date, to: Date) throws -> Int {
        try core.read("query readings") { db in try Self.count(db, point: point, from: from, to: to) }
    }

    public func readingCount(point: String, from: Date, to: Date) async throws -> Int {
        try await core.read("query readings") { db in try Self.count(db, point: point, from: from, to: to) }
    }

    /// The readings of `point` with `from <= readAt < to` in buckets of `step` seconds starting at `from`, oldest
    /// first; a bucket with no reading is left out.
    ///
    /// Rows are read through a cursor, one at a time, so memory grows with the number of buckets, not of readings.
    /// - Parameter step: the bucket width in seconds; at least one millisecond.
    public func readingBuckets(point: String, from: Date, to: Date, step: Double) throws -> [ReadingBucket] {
        try core.read("query readings") { db in try Self.buckets(db, point: point, from: from, to: to, step: step) }
    }

    public func readingBuckets(point: String, from: Date, to: Date, step: Double) async throws -> [ReadingBucket] {
        try await core.read("query readings") { db in
            try Self.buckets(db, point: point, from: from, to: to, step: step)
        }
    }

    // MARK: - SQL

    static func events(_ db: Database, afterID id: Int64, limit: Int) throws -> [StoredEvent] {
        try Row.fetchAll(
            db, sql: "SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?", arguments: [id, max(0, limit)]
        ).map(Schema.event)
    }

    static func pointID(_ db: Database, _ point: String) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT id FROM points WHERE name = ?", arguments: [point])
    }

    static func count(_ db: Database, point: String, from: Date, to: Date) throws -> Int {
        try Int.fetchOne(
            db,
            sql: """
                SELECT COUNT(*) FROM readings
                WHERE point_id = (SELECT id FROM points WHERE name = ?) AND read_at >= ? AND read_at < ?
                """,
            arguments: [point, Schema.milliseconds(from), Schema.milliseconds(to)]
        ) ?? 0
    }

    static func buckets(_ db: Database, point: String, from: Date, to: Date, step: Double) throws
        -> [ReadingBucket]
    {
        let origin = Schema.milliseconds(from)
        let width = max(1, Int64((step * 1000).rounded()))
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT r.read_at, r.value, q.name AS quality FROM readings r
                JOIN qualities q ON q.code = r.quality
                WHERE r.point_id = (SELECT id FROM points WHERE name = ?) AND r.read_at >= ? AND r.read_at < ?
                ORDER BY r.read_at, r.id
                """,
            arguments: [point, origin, Schema.milliseconds(to)])
        var buckets: [ReadingBucket] = []
        var index: Int64 = -1
        while let row = try rows.next() {
            let readAt: Int64 = row[0]
            let value: Double? = row[1]
            let reading = StoredReading(
                point: point, value: value, quality: row[2], readAt: Schema.date(milliseconds: readAt))
            let bucket = (readAt - origin) / width
            if bucket != index || buckets.isEmpty {
                index = bucket
                buckets.append(
                    ReadingBucket(
                        start: Schema.date(milliseconds: origin + bucket * width), last: reading, minimum: value,
                        maximum: value, count: 1))
                continue
            }
            buckets[buckets.count - 1].last = reading
            buckets[buckets.count - 1].count += 1
            if let value {
                let b = buckets[buckets.count - 1]
                buckets[buckets.count - 1].minimum = min(b.minimum ?? value, value)
                buckets[buckets.count - 1].maximum = max(b.maximum ?? value, value)
            }
        }
        return buckets
    }
}
