import Foundation
import GRDB
import GRDBSQLite

/// The history database's schema, one GRDB migration per version.
///
/// Version v1:
/// ```sql
/// -- Readings kept by the store-on-change rule. read_at: milliseconds since 1970-01-01 UTC, an INTEGER because it
/// -- is half the size of GRDB's default text dates and compares as a number.
/// CREATE TABLE readings (
///     id INTEGER PRIMARY KEY,
///     point TEXT NOT NULL,
///     value REAL,                 -- NULL when the device gave no value
///     quality TEXT NOT NULL,      -- good, stale, comm-fail, out-of-range, bad-config, initial, ...
///     read_at INTEGER NOT NULL
/// );
/// CREATE INDEX readings_point_read_at ON readings(point, read_at);  -- trends and export of one point
/// CREATE INDEX readings_read_at ON readings(read_at);               -- retention, export of all points
///
/// -- The audit trail. at and requested_at: milliseconds since 1970 UTC; drill: 0 or 1.
/// CREATE TABLE events (
///     id INTEGER PRIMARY KEY,
///     at INTEGER NOT NULL,
///     kind TEXT NOT NULL,         -- device-state, fault, config-load, historian-fault, alarm, trip, ...
///     source TEXT NOT NULL,
///     message TEXT NOT NULL,
///     details TEXT,               -- JSON, as given
///     drill INTEGER NOT NULL DEFAULT 0
/// );
/// CREATE INDEX events_at ON events(at);
/// CREATE TABLE commands (
///     id INTEGER PRIMARY KEY,
///     requested_at INTEGER NOT NULL,
///     device TEXT NOT NULL,
///     command TEXT NOT NULL,
///     user TEXT NOT NULL,
///     source TEXT NOT NULL,       -- an IP address, leveectl, sequencer, ...
///     reason TEXT NOT NULL,
///     result TEXT NOT NULL,       -- acknowledged, refused, failed, confirmed, ...
///     error TEXT,
///     stroke_seconds REAL,
///     drill INTEGER NOT NULL DEFAULT 0
/// );
/// CREATE INDEX commands_device_requested_at ON commands(device, requested_at);
/// CREATE INDEX commands_requested_at ON commands(requested_at);
/// ```
/// GRDB adds `grdb_migrations(identifier)`, the applied versions. There are no CHECK or foreign-key constraints on
/// purpose: a row the writer cannot insert would stay at the head of its queue and stop all writing.
///
/// A new version is a new migration appended below, never an edit of an old one.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE readings (
                        id INTEGER PRIMARY KEY,
                        point TEXT NOT NULL,
                        value REAL,
                        quality TEXT NOT NULL,
                        read_at INTEGER NOT NULL
                    );
                    CREATE INDEX readings_point_read_at ON readings(point, read_at);
                    CREATE INDEX readings_read_at ON readings(read_at);
                    CREATE TABLE events (
                        id INTEGER PRIMARY KEY,
                        at INTEGER NOT NULL,
                        kind TEXT NOT NULL,
                        source TEXT NOT NULL,
                        message TEXT NOT NULL,
                        details TEXT,
                        drill INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE INDEX events_at ON events(at);
                    CREATE TABLE commands (
                        id INTEGER PRIMARY KEY,
                        requested_at INTEGER NOT NULL,
                        device TEXT NOT NULL,
                        command TEXT NOT NULL,
                        user TEXT NOT NULL,
                        source TEXT NOT NULL,
                        reason TEXT NOT NULL,
                        result TEXT NOT NULL,
                        error TEXT,
                        stroke_seconds REAL,
                        drill INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE INDEX commands_device_requested_at ON commands(device, requested_at);
                    CREATE INDEX commands_requested_at ON commands(requested_at);
                    """
            )
        }
        return migrator
    }

    /// The tables retention prunes, with their time column.
    static let timeColumn: [String: String] = ["readings": "read_at", "events": "at", "commands": "requested_at"]

    // MARK: - Rows

    static func milliseconds(_ date: Date) -> Int64 {
        let ms = (date.timeIntervalSince1970 * 1000).rounded()
        // Dates beyond ±292 million years cannot be stored; clamp rather than trap on a garbage timestamp.
        return ms.isFinite ? Int64(max(min(ms, 9.2e18), -9.2e18)) : 0
    }

    static func date(milliseconds ms: Int64) -> Date {
        Date(timeIntervalSince1970: Double(ms) / 1000)
    }

    static let insertReadingSQL = "INSERT INTO readings (point, value, quality, read_at) VALUES (?, ?, ?, ?)"

    /// Inserts readings through GRDB's cached statement, binding with the SQLite C API directly: building GRDB's
    /// `StatementArguments` boxes every value and was a fifth of the cost of a batch (bench/, historian figure).
    static func insert(_ readings: some Sequence<StoredReading>, _ db: Database) throws {
        let statement = try db.cachedStatement(sql: insertReadingSQL)
        let stmt = statement.sqliteStatement
        // SQLITE_TRANSIENT: SQLite copies the text before the bind returns, so Swift's buffers may go away.
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        defer {
            sqlite3_reset(stmt)
            sqlite3_clear_bindings(stmt)
        }
        for reading in readings {
            sqlite3_reset(stmt)
            _ = reading.point.withCString { sqlite3_bind_text(stmt, 1, $0, -1, transient) }
            if let v = reading.value, !v.isNaN {
                sqlite3_bind_double(stmt, 2, v)
            } else {
                sqlite3_bind_null(stmt, 2)
            }
            _ = reading.quality.withCString { sqlite3_bind_text(stmt, 3, $0, -1, transient) }
            sqlite3_bind_int64(stmt, 4, milliseconds(reading.readAt))
            let rc = sqlite3_step(stmt)
            guard rc == SQLITE_DONE else {
                throw DatabaseError(
                    resultCode: ResultCode(rawValue: sqlite3_extended_errcode(db.sqliteConnection)),
                    message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: insertReadingSQL)
            }
        }
    }

    static func insert(_ event: StoredEvent, _ db: Database) throws {
        let statement = try db.cachedStatement(
            sql: "INSERT INTO events (at, kind, source, message, details, drill) VALUES (?, ?, ?, ?, ?, ?)"
        )
        try statement.execute(arguments: [
            milliseconds(event.at), event.kind, event.source, event.message, event.details, event.drill,
        ])
    }

    static func insert(_ command: StoredCommand, _ db: Database) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO commands (requested_at, device, command, user, source, reason, result, error,
                    stroke_seconds, drill)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        )
        try statement.execute(arguments: [
            milliseconds(command.requestedAt), command.device, command.command, command.user, command.source,
            command.reason, command.result, command.error, command.strokeSeconds, command.drill,
        ])
    }

    static func reading(_ row: Row) -> StoredReading {
        StoredReading(
            point: row["point"], value: row["value"], quality: row["quality"],
            readAt: date(milliseconds: row["read_at"])
        )
    }

    static func event(_ row: Row) -> StoredEvent {
        StoredEvent(
            kind: row["kind"], source: row["source"], message: row["message"], at: date(milliseconds: row["at"]),
            details: row["details"], drill: row["drill"]
        )
    }

    static func command(_ row: Row) -> StoredCommand {
        StoredCommand(
            device: row["device"], command: row["command"], user: row["user"], source: row["source"],
            reason: row["reason"], requestedAt: date(milliseconds: row["requested_at"]), result: row["result"],
            error: row["error"], strokeSeconds: row["stroke_seconds"], drill: row["drill"]
        )
    }
}
