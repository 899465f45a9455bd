import Foundation
import GRDB

/// Reading history back, for trends, the status page, `leveectl history export`, drill reports and stroke drift.
///
/// Time ranges are half-open, `from ..< to`, so consecutive windows neither overlap nor leave gaps. Results come
/// from the database only: call ``Historian/flush()`` first to include what is still queued. Each query has an
/// `async` overload that runs on a GRDB reader connection's queue instead of blocking the caller's thread.
extension Historian {
    /// The stored readings of `point` with `from <= readAt < to`, oldest first. `deadband` is 0 in the results.
    public func readings(point: String, from: Date, to: Date) throws -> [StoredReading] {
        try core.read("query readings") { db in try Self.readings(db, point: point, from: from, to: to) }
    }

    public func readings(point: String, from: Date, to: Date) async throws -> [StoredReading] {
        try await core.read("query readings") { db in try Self.readings(db, point: point, from: from, to: to) }
    }

    /// The events with `from <= at < to`, oldest first; at most `limit` (the oldest ones) when given.
    public func events(from: Date, to: Date, limit: Int? = nil) throws -> [StoredEvent] {
        try core.read("query events") { db in try Self.events(db, from: from, to: to, limit: limit) }
    }

    public func events(from: Date, to: Date, limit: Int? = nil) async throws -> [StoredEvent] {
        try await core.read("query events") { db in try Self.events(db, from: from, to: to, limit: limit) }
    }

    /// The commands given to `device` (to every device when nil) with `from <= requestedAt < to`, oldest first.
    public func commands(device: String? = nil, from: Date, to: Date) throws -> [StoredCommand] {
        try core.read("query commands") { db in try Self.commands(db, device: device, from: from, to: to) }
    }

    public func commands(device: String? = nil, from: Date, to: Date) async throws -> [StoredCommand] {
        try await core.read("query commands") { db in try Self.commands(db, device: device, from: from, to: to) }
    }

    /// The stored drills, newest first (by start), at most `limit`.
    public func drills(limit: Int = 50) throws -> [StoredDrill] {
        try core.read("query drills") { db in try Self.drills(db, limit: limit) }
    }

    public func drills(limit: Int = 50) async throws -> [StoredDrill] {
        try await core.read("query drills") { db in try Self.drills(db, limit: limit) }
    }

    /// The drill with this id, or nil.
    public func drill(id: String) throws -> StoredDrill? {
        try core.read("query drills") { db in try Self.drill(db, id: id) }
    }

    public func drill(id: String) async throws -> StoredDrill? {
        try await core.read("query drills") { db in try Self.drill(db, id: id) }
    }

    /// The confirmed movements of valve `device` with a measured stroke time, newest first (by `requestedAt`), at most
    /// `limit`; only those of `command` (`open`, `close`) when given. Drill movements are included and marked.
    ///
    /// This is the history a new stroke is judged against for drift: the commands recorded with
    /// `result = "confirmed"` and a `strokeSeconds`.
    public func strokes(device: String, command: String? = nil, limit: Int = 20) throws -> [StoredStroke] {
        try core.read("query strokes") { db in try Self.strokes(db, device: device, command: command, limit: limit) }
    }

    public func strokes(device: String, command: String? = nil, limit: Int = 20) async throws -> [StoredStroke] {
        try await core.read("query strokes") { db in
            try Self.strokes(db, device: device, command: command, limit: limit)
        }
    }

    /// The readings of `point` (of every point when nil) with `from <= readAt < to` as CSV, oldest first.
    ///
    /// Format, for spreadsheets and `leveectl history export`:
    /// ```
    /// time,point,value,quality
    /// 2025-03-01T08:00:00.250+08:00,gas-a1.concentration,12.5,good
    /// 2025-03-01T08:00:05.000+08:00,gas-a1.concentration,,comm-fail
    /// ```
    /// Times are ISO 8601 with milliseconds and the UTC offset of `timeZone` at that instant; a missing value is an
    /// empty field; fields are quoted as RFC 4180 says (when they hold a comma, a double quote or a line break, with
    /// quotes doubled) and lines end in CRLF, as RFC 4180 also says.
    ///
    /// Values carry the point's own precision: `decimals[point]` places when given (an integer register's scale
    /// sets them), else the shortest text of the value the device gave (`CSV.value`), never a double's noise such
    /// as 12.300000000000001.
    ///
    /// With `excel`, the file starts with a UTF-8 byte-order mark (without it, Excel on Chinese Windows reads the
    /// file as GBK) and times are the wall clock of `timeZone` as `2025-03-01 08:00:00`, which Excel reads as a
    /// date and time; the header names the zone, since the times no longer carry their offset.
    public func exportCSV(
        point: String?, from: Date, to: Date, timeZone: TimeZone = .current, decimals: [String: Int] = [:],
        excel: Bool = false
    ) throws -> String {
        try core.read("export readings") { db in
            try Self.csv(db, point: point, from: from, to: to, in: timeZone, decimals: decimals, excel: excel)
        }
    }

    public func exportCSV(
        point: String?,
        from: Date,
        to: Date,
        timeZone: TimeZone = .current,
        decimals: [String: Int] = [:],
        excel: Bool = false
    ) async throws -> String {
        try await core.read("export readings") { db in
            try Self.csv(db, point: point, from: from, to: to, in: timeZone, decimals: decimals, excel: excel)
        }
    }

    /// The names of every point that has ever been recorded, sorted.
    public func pointNames() throws -> [String] {
        try core.read("list points") { db in try String.fetchAll(db, sql: "SELECT name FROM points ORDER BY name") }
    }

    // MARK: - SQL

    /// The columns of a reading, with its point's name and its quality's text. The writer adds a point's and a
    /// quality's row in the transaction of the first reading that uses it, and nothing deletes them, so the joins
    /// lose no reading.
    private static let readingColumns = """
        SELECT r.read_at, p.name AS point, r.value, q.name AS quality FROM readings r
        JOIN points p ON p.id = r.point_id
        JOIN qualities q ON q.code = r.quality
        """

    static func readings(_ db: Database, point: String, from: Date, to: Date) throws -> [StoredReading] {
        try Row.fetchAll(
            db,
            sql: readingColumns + """

                WHERE r.point_id = (SELECT id FROM points WHERE name = ?) AND r.read_at >= ? AND r.read_at < ?
                ORDER BY r.read_at, r.id
                """,
            arguments: [point, Schema.milliseconds(from), Schema.milliseconds(to)]
        ).map(Schema.reading)
    }

    static func events(_ db: Database, from: Date, to: Date, limit: Int?) throws -> [StoredEvent] {
        try Row.fetchAll(
            db,
            sql: "SELECT * FROM events WHERE at >= ? AND at < ? ORDER BY at, id LIMIT ?",
            arguments: [Schema.milliseconds(from), Schema.milliseconds(to), limit ?? -1]
        ).map(Schema.event)
    }

    private static func commands(_ db: Database, device: String?, from: Date, to: Date) throws -> [StoredCommand] {
        var sql = "SELECT * FROM commands WHERE requested_at >= ? AND requested_at < ?"
        var arguments: StatementArguments = [Schema.milliseconds(from), Schema.milliseconds(to)]
        if let device {
            sql += " AND device = ?"
            arguments += [device]
        }
        return try Row.fetchAll(db, sql: sql + " ORDER BY requested_at, id", arguments: arguments).map(Schema.command)
    }

    private static func drills(_ db: Database, limit: Int) throws -> [StoredDrill] {
        try Row.fetchAll(
            db, sql: "SELECT * FROM drills ORDER BY started_at DESC, id DESC LIMIT ?", arguments: [max(0, limit)]
        ).map(Schema.drill)
    }

    private static func drill(_ db: Database, id: String) throws -> StoredDrill? {
        try Row.fetchOne(db, sql: "SELECT * FROM drills WHERE id = ?", arguments: [id]).map(Schema.drill)
    }

    private static func strokes(_ db: Database, device: String, command: String?, limit: Int) throws -> [StoredStroke] {
        // The (device, requested_at) index, read backwards from the newest row.
        var sql = """
            SELECT device, command, stroke_seconds, requested_at, drill FROM commands
            WHERE device = ? AND stroke_seconds IS NOT NULL AND result = 'confirmed'
            """
        var arguments: StatementArguments = [device]
        if let command {
            sql += " AND command = ?"
            arguments += [command]
        }
        arguments += [max(0, limit)]
        return try Row.fetchAll(db, sql: sql + " ORDER BY requested_at DESC, id DESC LIMIT ?", arguments: arguments)
            .map(Schema.stroke)
    }

    private static func csv(
        _ db: Database, point: String?, from: Date, to: Date, in zone: TimeZone, decimals: [String: Int], excel: Bool
    ) throws -> String {
        // For every point, `IN` has SQLite read the (point_id, read_at) index once per point, then sort what it
        // found; without it, a day's export would scan the whole table (there is no index on read_at alone).
        let points = point == nil ? "IN (SELECT id FROM points)" : "= (SELECT id FROM points WHERE name = ?)"
        let sql =
            readingColumns
            + "\nWHERE r.point_id \(points) AND r.read_at >= ? AND r.read_at < ? ORDER BY r.read_at, r.id"
        var arguments: StatementArguments = point.map { [$0] } ?? []
        arguments += [Schema.milliseconds(from), Schema.milliseconds(to)]
        var csv =
            excel
            ? "\u{FEFF}" + CSV.field("time (\(zone.identifier))") + ",point,value,quality\r\n"
            : "time,point,value,quality\r\n"
        let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
        while let row = try rows.next() {
            let readAt: Int64 = row[0]
            let name: String = row[1]
            let value: Double? = row[2]
            csv += excel ? CSV.localTime(milliseconds: readAt, in: zone) : CSV.timestamp(milliseconds: readAt, in: zone)
            csv += ","
            csv += CSV.field(name)
            csv += ","
            csv += value.map { CSV.value($0, decimals: decimals[name]) } ?? ""
            csv += ","
            csv += CSV.field(row[3])
            csv += "\r\n"
        }
        return csv
    }
}

extension HistorianCore {
    /// Runs `body` on a reader connection, blocking the calling thread.
    func read<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
        let pool = try pool(for: operation)
        do {
            return try pool.read(body)
        } catch {
            throw HistorianError(path: path, operation: operation, error: error)
        }
    }

    /// Runs `body` on a reader connection's queue, suspending the calling task.
    func read<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool(for: operation).readOffPool(path: path, operation: operation, body)
    }
}

extension DatabasePool {
    /// Runs `body` in a read transaction on a reader's dispatch queue and resumes the caller with its result.
    ///
    /// GRDB's own `async` read hops back to the caller's executor before it gives the reader connection back. On
    /// Swift's cooperative pool (one thread per core) that made `close()`, which waits for every reader to be
    /// given back, wait on a job queued behind the thread `close()` itself was blocking; a test saw a stream's
    /// read and a close hold the pool for minutes. Here the connection is given back on the reader's own queue,
    /// before the caller is resumed, so giving it back never waits for the pool.
    func readOffPool<T: Sendable>(
        path: String, operation: String, _ body: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            asyncRead { database in
                continuation.resume(
                    with: Result { try body(database.get()) }.mapError {
                        HistorianError(path: path, operation: operation, error: $0)
                    })
            }
        }
    }
}
