import Foundation
import GRDB
import GRDBSQLite
import Messages

/// The history database's schema, one GRDB migration per version.
///
/// Version v1:
/// ```sql
/// -- Every point name the writer has seen, numbered, so that a reading stores 8 bytes instead of its name, and its
/// -- index entry too. Rows are added in the same transaction as the first reading of the point, never deleted.
/// CREATE TABLE points (
///     id INTEGER PRIMARY KEY,
///     name TEXT NOT NULL UNIQUE   -- gas-a1.concentration, ...
/// );
/// -- Quality strings, numbered. Codes 0-5 are fixed, for every database (a tool may rely on them); codes 6-63 are
/// -- reserved for later fixed ones. Any other string a device layer hands over is stored too: it gets the next code
/// -- from 64 up, added in the same transaction as the first reading that carries it, and reads back as given.
/// CREATE TABLE qualities (
///     code INTEGER PRIMARY KEY,
///     name TEXT NOT NULL UNIQUE
/// );
/// INSERT INTO qualities (code, name) VALUES
///     (0, 'good'), (1, 'stale'), (2, 'comm-fail'), (3, 'out-of-range'), (4, 'bad-config'), (5, 'initial');
///
/// -- Readings kept by the store-on-change rule. read_at: milliseconds since 1970-01-01 UTC, an INTEGER because it
/// -- is half the size of GRDB's default text dates and compares as a number.
/// CREATE TABLE readings (
///     id INTEGER PRIMARY KEY,
///     point_id INTEGER NOT NULL,  -- points.id
///     value REAL,                 -- NULL when the device gave no value
///     quality INTEGER NOT NULL,   -- qualities.code
///     read_at INTEGER NOT NULL
/// );
/// CREATE INDEX readings_point_read_at ON readings(point_id, read_at);  -- trends and export
///
/// -- The audit trail. at and requested_at: milliseconds since 1970 UTC; drill: 0 or 1.
/// CREATE TABLE events (
///     id INTEGER PRIMARY KEY,
///     at INTEGER NOT NULL,
///     kind TEXT NOT NULL,         -- device-state, fault, config-load, historian-fault, alarm, trip, ...
///     source TEXT NOT NULL,
///     message TEXT NOT NULL,
///     details TEXT,               -- JSON, as given
///     drill INTEGER NOT NULL DEFAULT 0,
///     message_id TEXT,            -- v4: the catalogue id of message (Messages), NULL on older rows
///     message_args TEXT           -- v4: its arguments as a JSON object, NULL on older rows
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
///
/// Version v2 adds the verification drills (验证演练), one row per drill, its report kept whole:
/// ```sql
/// -- started_at and finished_at: milliseconds since 1970 UTC; live: 0 (tabletop check) or 1 (real equipment).
/// -- report: the drill report as JSON, as given; the historian does not read it (its layout is the Drills
/// -- module's). Saving a drill whose id is stored replaces the row. Retention never prunes this table: a drill
/// -- is the plant's evidence that its plan works, asked for by the park and the bureau years later.
/// CREATE TABLE drills (
///     id TEXT PRIMARY KEY,
///     plan TEXT NOT NULL,
///     live INTEGER NOT NULL,
///     started_at INTEGER NOT NULL,
///     finished_at INTEGER,
///     started_by TEXT NOT NULL,
///     report TEXT NOT NULL
/// );
/// CREATE INDEX drills_started_at ON drills(started_at);
/// ```
/// Stroke history needs no table of its own: it is the `commands` rows with `result = 'confirmed'` and a
/// `stroke_seconds`, found by the `(device, requested_at)` index.
///
/// Version v3 adds the HJ 212 uplink's memory of what the bureau's platform has acknowledged (Uplink module,
/// ``Historian/recordUplinkAcknowledgement(cn:periodStart:at:hadData:)``), so that a restart neither re-sends a
/// minute or hourly period nor forgets one still owed:
/// ```sql
/// -- One row per settled period. cn: the HJ 212 command code as a number (2051 minute, 2061 hourly data);
/// -- period_start and acked_at: milliseconds since 1970 UTC. had_data: 1 when the period was sent and the platform
/// -- answered 9014; 0 when there was no data to send, so it is not looked at again. The uplink deletes rows older
/// -- than its backfill horizon itself; the historian's retention leaves this table alone.
/// CREATE TABLE uplink_acks (
///     cn INTEGER NOT NULL,
///     period_start INTEGER NOT NULL,
///     acked_at INTEGER NOT NULL,
///     had_data INTEGER NOT NULL DEFAULT 1,
///     PRIMARY KEY (cn, period_start)
/// ) WITHOUT ROWID;
/// -- The uplink's few settings of its own, as text: its start markers (from when periods are owed) and the data
/// -- intervals the platform set (1062, 1064).
/// CREATE TABLE uplink_state (
///     key TEXT PRIMARY KEY,
///     value TEXT NOT NULL
/// ) WITHOUT ROWID;
/// ```
///
/// GRDB adds `grdb_migrations(identifier)`, the applied versions. There are no CHECK or foreign-key constraints on
/// purpose: a row the writer cannot insert would stay at the head of its queue and stop all writing.
///
/// Readings have no index on `read_at` alone: it cost about a quarter of the insert rate (bench/, historian figure).
/// Retention walks the table in rowid order instead (``HistorianCore/pruneReadings(_:before:limit:)``), and an
/// export of every point reads the `(point_id, read_at)` index once per point.
///
/// A new version is a new migration appended below, never an edit of an old one. (v1 itself was edited once, to
/// number points and qualities, before any database left development: no plant has the earlier layout, and
/// ``HistorianCore/open(_:)`` refuses a development file that does.)
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        // Edited in place before release (points and qualities numbered, the read_at index dropped): see above.
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE points (
                        id INTEGER PRIMARY KEY,
                        name TEXT NOT NULL UNIQUE
                    );
                    CREATE TABLE qualities (
                        code INTEGER PRIMARY KEY,
                        name TEXT NOT NULL UNIQUE
                    );
                    INSERT INTO qualities (code, name) VALUES
                        (0, 'good'), (1, 'stale'), (2, 'comm-fail'), (3, 'out-of-range'), (4, 'bad-config'),
                        (5, 'initial');
                    CREATE TABLE readings (
                        id INTEGER PRIMARY KEY,
                        point_id INTEGER NOT NULL,
                        value REAL,
                        quality INTEGER NOT NULL,
                        read_at INTEGER NOT NULL
                    );
                    CREATE INDEX readings_point_read_at ON readings(point_id, read_at);
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
        migrator.registerMigration("v2") { db in
            try db.execute(
                sql: """
                    CREATE TABLE drills (
                        id TEXT PRIMARY KEY,
                        plan TEXT NOT NULL,
                        live INTEGER NOT NULL,
                        started_at INTEGER NOT NULL,
                        finished_at INTEGER,
                        started_by TEXT NOT NULL,
                        report TEXT NOT NULL
                    );
                    CREATE INDEX drills_started_at ON drills(started_at);
                    """
            )
        }
        migrator.registerMigration("v3") { db in
            try db.execute(
                sql: """
                    CREATE TABLE uplink_acks (
                        cn INTEGER NOT NULL,
                        period_start INTEGER NOT NULL,
                        acked_at INTEGER NOT NULL,
                        had_data INTEGER NOT NULL DEFAULT 1,
                        PRIMARY KEY (cn, period_start)
                    ) WITHOUT ROWID;
                    CREATE TABLE uplink_state (
                        key TEXT PRIMARY KEY,
                        value TEXT NOT NULL
                    ) WITHOUT ROWID;
                    """
            )
        }
        // The journal keeps each entry's catalogue id and arguments, so every reader renders it in its own
        // language; `message` stays, in English, for the tools that read the text and for the rows before this.
        migrator.registerMigration("v4") { db in
            try db.execute(
                sql: """
                    ALTER TABLE events ADD COLUMN message_id TEXT;
                    ALTER TABLE events ADD COLUMN message_args TEXT;
                    """
            )
        }
        return migrator
    }

    /// The audit tables retention prunes by their time column; readings are pruned in rowid order instead. `drills`
    /// is left out on purpose: drill evidence is kept for good.
    static let timeColumn: [String: String] = ["events": "at", "commands": "requested_at"]

    // MARK: - Rows

    static func milliseconds(_ date: Date) -> Int64 {
        let ms = (date.timeIntervalSince1970 * 1000).rounded()
        // Dates beyond ±292 million years cannot be stored; clamp rather than trap on a garbage timestamp.
        return ms.isFinite ? Int64(max(min(ms, 9.2e18), -9.2e18)) : 0
    }

    static func date(milliseconds ms: Int64) -> Date {
        Date(timeIntervalSince1970: Double(ms) / 1000)
    }

    static let insertReadingSQL = "INSERT INTO readings (point_id, value, quality, read_at) VALUES (?, ?, ?, ?)"

    /// The writer's numbering of point names and quality strings, as committed to the database.
    ///
    /// With it a reading costs two dictionary lookups rather than two statements. It is filled from the database on
    /// first use, and a name it does not know is looked up (and added) in the transaction that needs it. The writer
    /// works on a copy and keeps it only once that transaction has committed: ids from a rolled-back transaction
    /// would be handed out again to other names.
    struct IDCache: Sendable {
        var loaded = false
        var points: [String: Int64] = [:]
        var qualities: [String: Int64] = [:]

        mutating func load(_ db: Database) throws {
            guard !loaded else { return }
            for row in try Row.fetchAll(db, sql: "SELECT name, id FROM points") { points[row[0]] = row[1] }
            for row in try Row.fetchAll(db, sql: "SELECT name, code FROM qualities") { qualities[row[0]] = row[1] }
            loaded = true
        }

        mutating func point(_ name: String, _ db: Database) throws -> Int64 {
            if let id = points[name] { return id }
            let id = try Schema.number(
                name, db, insert: "INSERT OR IGNORE INTO points (name) VALUES (?)",
                select: "SELECT id FROM points WHERE name = ?")
            points[name] = id
            return id
        }

        mutating func quality(_ name: String, _ db: Database) throws -> Int64 {
            if let code = qualities[name] { return code }
            // The next code from 64 up: 0-63 are the fixed table's (see the schema).
            let code = try Schema.number(
                name, db,
                insert: """
                    INSERT OR IGNORE INTO qualities (code, name)
                    SELECT max(64, coalesce(max(code), 0) + 1), ? FROM qualities
                    """,
                select: "SELECT code FROM qualities WHERE name = ?")
            qualities[name] = code
            return code
        }
    }

    /// Adds `name` with `insert` unless it is there, and returns its number by `select`.
    private static func number(_ name: String, _ db: Database, insert: String, select: String) throws -> Int64 {
        try db.cachedStatement(sql: insert).execute(arguments: [name])
        guard let number = try Int64.fetchOne(db.cachedStatement(sql: select), arguments: [name]) else {
            throw DatabaseError(
                resultCode: .SQLITE_ERROR, message: "no number for \(name) after inserting it", sql: select)
        }
        return number
    }

    /// Inserts readings through GRDB's cached statement, binding with the SQLite C API directly: building GRDB's
    /// `StatementArguments` boxes every value and was a fifth of the cost of a batch (bench/, historian figure).
    ///
    /// Call it inside a transaction, with a copy of the writer's `ids` to keep only once that transaction commits.
    static func insert(_ readings: some Sequence<StoredReading>, _ db: Database, ids: inout IDCache) throws {
        try ids.load(db)
        let statement = try db.cachedStatement(sql: insertReadingSQL)
        let stmt = statement.sqliteStatement
        defer {
            sqlite3_reset(stmt)
            sqlite3_clear_bindings(stmt)
        }
        for reading in readings {
            // Before the reset below: a new name runs statements of its own.
            let point = try ids.point(reading.point, db)
            let quality = try ids.quality(reading.quality, db)
            sqlite3_reset(stmt)
            sqlite3_bind_int64(stmt, 1, point)
            if let v = reading.value, !v.isNaN {
                sqlite3_bind_double(stmt, 2, v)
            } else {
                sqlite3_bind_null(stmt, 2)
            }
            sqlite3_bind_int64(stmt, 3, quality)
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
            sql: """
                INSERT INTO events (at, kind, source, message, details, drill, message_id, message_args)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """
        )
        try statement.execute(arguments: [
            milliseconds(event.at), event.kind, event.source, event.message, event.details, event.drill,
            event.text?.id.rawValue, event.text.flatMap(messageArgs),
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

    static func insert(_ drill: StoredDrill, _ db: Database) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO drills (id, plan, live, started_at, finished_at, started_by, report)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """
        )
        try statement.execute(arguments: [
            drill.id, drill.plan, drill.live, milliseconds(drill.startedAt), drill.finishedAt.map(milliseconds),
            drill.startedBy, drill.report,
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
            details: row["details"], drill: row["drill"], id: row["id"],
            text: message(id: row["message_id"], args: row["message_args"])
        )
    }

    /// A message's arguments as the `message_args` column keeps them: a JSON object, keys sorted.
    static func messageArgs(_ message: Message) -> String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(message.args)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The message of a row: nil on a row from before v4 (or a database not yet migrated, read by levee-web),
    /// whose `message` text is all there is. An id this version does not know reads as its raw text (`Message`).
    static func message(id: String?, args: String?) -> Message? {
        guard let id, let idJSON = try? JSONEncoder().encode(id) else { return nil }
        let json = #"{"id":"# + String(decoding: idJSON, as: UTF8.self) + #","args":"# + (args ?? "{}") + "}"
        return try? JSONDecoder().decode(Message.self, from: Data(json.utf8))
    }

    static func command(_ row: Row) -> StoredCommand {
        StoredCommand(
            device: row["device"], command: row["command"], user: row["user"], source: row["source"],
            reason: row["reason"], requestedAt: date(milliseconds: row["requested_at"]), result: row["result"],
            error: row["error"], strokeSeconds: row["stroke_seconds"], drill: row["drill"]
        )
    }

    static func drill(_ row: Row) -> StoredDrill {
        StoredDrill(
            id: row["id"], plan: row["plan"], live: row["live"], startedAt: date(milliseconds: row["started_at"]),
            finishedAt: (row["finished_at"] as Int64?).map { date(milliseconds: $0) }, startedBy: row["started_by"],
            report: row["report"]
        )
    }

    static func stroke(_ row: Row) -> StoredStroke {
        StoredStroke(
            device: row["device"], command: row["command"], seconds: row["stroke_seconds"],
            at: date(milliseconds: row["requested_at"]), drill: row["drill"]
        )
    }
}
