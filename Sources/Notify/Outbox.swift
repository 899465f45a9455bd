import Foundation
import GRDB

/// A failure of the outbox's database, with the file and the step that failed.
public struct OutboxError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var operation: String
    public var message: String
    public var description: String { "notify outbox \(path): \(operation): \(message)" }
}

/// One row of the outbox: a message, where it stands, and the channel's last answer.
public struct OutboxEntry: Sendable, Hashable {
    public enum State: String, Sendable, Hashable {
        /// Recorded, not yet delivered: tried at `nextAttempt`.
        case pending
        /// The channel accepted it.
        case sent
        /// Given up after `give_up_after_s` of failures.
        case failed
    }

    public var id: Int64
    public var message: OutgoingMessage
    public var createdAt: Date
    public var attempts: Int
    public var nextAttempt: Date
    public var state: State
    /// What the channel answered last: the modem's `+CMGS: 12`, the robot's `{"errcode":0}`, or why it failed.
    public var answer: String?
    public var doneAt: Date?
}

/// The durable outbox, levee-notify's own SQLite file (WAL): a message is recorded here before it is sent, retried
/// with a doubling wait while its channel fails, and found again after a restart. It also keeps the dispatcher's
/// state (open incidents, rate windows), so that the ladder goes on climbing after a restart.
///
/// GRDB's async `read`/`write` run on the pool's own dispatch queues, so no call here blocks the cooperative pool.
public final class Outbox: Sendable {
    public let path: String
    private let pool: DatabasePool

    /// Opens or creates the file at `path`.
    public init(path: String) throws {
        self.path = path
        var config = Configuration()
        config.label = "notify-outbox"
        // "SQLITE_BUSY [...] concurrent activity" (https://www.sqlite.org/rescode.html#busy): leveectl may be reading.
        config.busyMode = .timeout(5)
        do {
            pool = try DatabasePool(path: path, configuration: config)
            // "In WAL mode when synchronous is FULL the WAL file is synchronized after each transaction commit"
            // (https://www.sqlite.org/pragma.html#pragma_synchronous): a message recorded is on disk before it is sent.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            try Self.migrator.migrate(pool)
        } catch {
            throw OutboxError(path: path, operation: "open", message: "\(error)")
        }
    }

    /// Opens an existing outbox for reading only, as `leveectl notify status` does beside a running levee-notify
    /// (WAL lets it read while levee-notify writes).
    public init(readOnlyPath path: String) throws {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else {
            throw OutboxError(path: path, operation: "open", message: "no such file (has levee-notify run?)")
        }
        var config = Configuration()
        config.label = "notify-outbox-reader"
        config.readonly = true
        config.busyMode = .timeout(5)
        do {
            pool = try DatabasePool(path: path, configuration: config)
        } catch {
            throw OutboxError(path: path, operation: "open", message: "\(error)")
        }
    }

    /// What `leveectl notify status` shows, read in one transaction: the dispatcher's state, the counts by state,
    /// and the newest `limit` messages. Synchronous: for the command line, not for the cooperative pool.
    public func snapshot(limit: Int) throws -> (Dispatcher.State?, [OutboxEntry.State: Int], [OutboxEntry]) {
        do {
            return try pool.read { db in
                let data = try Data.fetchOne(db, sql: "SELECT state FROM dispatcher WHERE id = 1")
                let state = data.flatMap { try? JSONDecoder().decode(Dispatcher.State.self, from: $0) }
                var counts: [OutboxEntry.State: Int] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM outbox GROUP BY state") {
                    if let s = OutboxEntry.State(rawValue: row["state"]) { counts[s] = row["n"] }
                }
                let recent = try Row.fetchAll(
                    db, sql: "SELECT * FROM outbox ORDER BY id DESC LIMIT ?", arguments: [limit]
                )
                .map(Self.entry)
                return (state, counts, recent)
            }
        } catch {
            throw OutboxError(path: path, operation: "read", message: "\(error)")
        }
    }

    /// Records `message` synchronously: `leveectl notify test` adds its message here, and the running levee-notify
    /// sends it on its next tick through the same path an alarm takes.
    @discardableResult
    public func recordNow(_ message: OutgoingMessage, now: Date) throws -> Int64 {
        do {
            return try pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO outbox (created_ms, kind, incident, person, channel, address, title, body, next_ms)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        Self.ms(now), message.kind.rawValue, message.incident, message.person, message.channel,
                        message.address, message.title, message.text, Self.ms(now),
                    ])
                return db.lastInsertedRowID
            }
        } catch {
            throw OutboxError(path: path, operation: "record", message: "\(error)")
        }
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE outbox (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        created_ms INTEGER NOT NULL,
                        kind TEXT NOT NULL,
                        incident INTEGER,
                        person TEXT NOT NULL,
                        channel TEXT NOT NULL,
                        address TEXT,
                        title TEXT NOT NULL,
                        body TEXT NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        next_ms INTEGER NOT NULL,
                        state TEXT NOT NULL DEFAULT 'pending',
                        answer TEXT,
                        done_ms INTEGER
                    );
                    CREATE INDEX outbox_pending ON outbox(state, next_ms);
                    CREATE TABLE dispatcher (id INTEGER PRIMARY KEY CHECK (id = 1), state BLOB NOT NULL);
                    """)
        }
        return m
    }

    // MARK: Writing

    /// Records `message`, due at once; returns its row id.
    @discardableResult
    public func record(_ message: OutgoingMessage, now: Date) async throws -> Int64 {
        try await write("record") { db in
            try db.execute(
                sql: """
                    INSERT INTO outbox (created_ms, kind, incident, person, channel, address, title, body, next_ms)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    Self.ms(now), message.kind.rawValue, message.incident, message.person, message.channel,
                    message.address, message.title, message.text, Self.ms(now),
                ])
            return db.lastInsertedRowID
        }
    }

    /// The channel accepted message `id`.
    public func markSent(_ id: Int64, answer: String, now: Date) async throws {
        try await write("mark sent") { db in
            try db.execute(
                sql: "UPDATE outbox SET state = 'sent', attempts = attempts + 1, answer = ?, done_ms = ? WHERE id = ?",
                arguments: [answer, Self.ms(now), id])
        }
    }

    /// A try of message `id` failed: the next is due after `retryMin` doubled per failure up to `retryMax`, or the
    /// message is given up when it is older than `giveUpAfter`. Returns the new state.
    @discardableResult
    public func markFailed(
        _ id: Int64, answer: String, now: Date, retryMin: TimeInterval, retryMax: TimeInterval,
        giveUpAfter: TimeInterval
    ) async throws -> OutboxEntry.State {
        try await write("mark failed") { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT attempts, created_ms FROM outbox WHERE id = ?", arguments: [id])
            else { return .failed }
            let attempts: Int = row["attempts"] + 1
            let created = Self.date(row["created_ms"])
            if now.timeIntervalSince(created) >= giveUpAfter {
                try db.execute(
                    sql: "UPDATE outbox SET state = 'failed', attempts = ?, answer = ?, done_ms = ? WHERE id = ?",
                    arguments: [attempts, answer, Self.ms(now), id])
                return .failed
            }
            let wait = Self.backoff(attempts: attempts, min: retryMin, max: retryMax)
            try db.execute(
                sql: "UPDATE outbox SET attempts = ?, answer = ?, next_ms = ? WHERE id = ?",
                arguments: [attempts, answer, Self.ms(now.addingTimeInterval(wait)), id])
            return .pending
        }
    }

    /// The wait after the `attempts`-th failure: `min`, doubled per further failure, at most `max`.
    public static func backoff(attempts: Int, min: TimeInterval, max: TimeInterval) -> TimeInterval {
        let doublings = Swift.min(Swift.max(attempts - 1, 0), 30)
        return Swift.min(min * Double(1 << doublings), max)
    }

    /// Saves the dispatcher's state.
    public func saveState(_ state: Dispatcher.State) async throws {
        let data = try JSONEncoder().encode(state)
        try await write("save state") { db in
            try db.execute(sql: "INSERT OR REPLACE INTO dispatcher (id, state) VALUES (1, ?)", arguments: [data])
        }
    }

    // MARK: Reading

    /// The dispatcher's saved state, or nil when none was saved or it cannot be read (then a fresh one is used).
    public func loadState() async throws -> Dispatcher.State? {
        let data = try await read("load state") { db in
            try Data.fetchOne(db, sql: "SELECT state FROM dispatcher WHERE id = 1")
        }
        return data.flatMap { try? JSONDecoder().decode(Dispatcher.State.self, from: $0) }
    }

    /// Pending messages due at `now`, oldest first.
    public func due(now: Date, limit: Int = 100) async throws -> [OutboxEntry] {
        try await read("due") { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM outbox WHERE state = 'pending' AND next_ms <= ? ORDER BY id LIMIT ?",
                arguments: [Self.ms(now), limit]
            ).map(Self.entry)
        }
    }

    /// The earliest time a pending message is due, or nil when none is pending.
    public func nextDue() async throws -> Date? {
        try await read("next due") { db in
            try Int64.fetchOne(db, sql: "SELECT MIN(next_ms) FROM outbox WHERE state = 'pending'").map(Self.date)
        }
    }

    /// The most recent messages, newest first: for `leveectl notify status` and the tests.
    public func recent(limit: Int = 50) async throws -> [OutboxEntry] {
        try await read("recent") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM outbox ORDER BY id DESC LIMIT ?", arguments: [limit]).map(
                Self.entry)
        }
    }

    /// How many messages are in each state.
    public func counts() async throws -> [OutboxEntry.State: Int] {
        try await read("counts") { db in
            var result: [OutboxEntry.State: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM outbox GROUP BY state") {
                if let s = OutboxEntry.State(rawValue: row["state"]) { result[s] = row["n"] }
            }
            return result
        }
    }

    // MARK: Helpers

    private func write<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T)
        async throws -> T
    {
        do {
            return try await pool.write(body)
        } catch {
            throw OutboxError(path: path, operation: operation, message: "\(error)")
        }
    }

    private func read<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws
        -> T
    {
        do {
            return try await pool.read(body)
        } catch {
            throw OutboxError(path: path, operation: operation, message: "\(error)")
        }
    }

    private static func entry(_ row: Row) -> OutboxEntry {
        let message = OutgoingMessage(
            kind: OutgoingMessage.Kind(rawValue: row["kind"]) ?? .alarm, incident: row["incident"],
            person: row["person"],
            channel: row["channel"], address: row["address"], title: row["title"], text: row["body"])
        let done: Int64? = row["done_ms"]
        return OutboxEntry(
            id: row["id"], message: message, createdAt: date(row["created_ms"]), attempts: row["attempts"],
            nextAttempt: date(row["next_ms"]), state: OutboxEntry.State(rawValue: row["state"]) ?? .pending,
            answer: row["answer"], doneAt: done.map(date))
    }

    static func ms(_ d: Date) -> Int64 {
        let v = (d.timeIntervalSince1970 * 1000).rounded()
        return v.isFinite ? Int64(Swift.max(Swift.min(v, 9e15), -9e15)) : 0
    }

    static func date(_ ms: Int64) -> Date { Date(timeIntervalSince1970: Double(ms) / 1000) }
}
