import Foundation
import GRDB

/// A minute or hourly period the HJ 212 uplink has settled: acknowledged by the bureau's platform, or found
/// without data.
public struct StoredUplinkAcknowledgement: Sendable, Hashable {
    /// The HJ 212 command code as a number: 2051 minute data, 2061 hourly data.
    public var cn: Int
    public var periodStart: Date
    public var acknowledgedAt: Date
    /// false when the period had no data and nothing was sent.
    public var hadData: Bool

    public init(cn: Int, periodStart: Date, acknowledgedAt: Date, hadData: Bool = true) {
        self.cn = cn
        self.periodStart = periodStart
        self.acknowledgedAt = acknowledgedAt
        self.hadData = hadData
    }
}

/// The HJ 212 uplink's acknowledgement records and small state (schema v3), for the Uplink module's store.
///
/// These calls write at once on the calling thread (a short transaction, synced to disk like events), rather than
/// through the writer thread's queue: the uplink must know an acknowledgement is on disk before it moves on, and it
/// calls from its own thread, never from the cooperative pool. They throw while the database cannot be written;
/// the uplink then keeps the state in memory and says so.
extension Historian {
    /// Records that the period of `cn` starting at `periodStart` is settled. Recording it again replaces the row.
    public func recordUplinkAcknowledgement(cn: Int, periodStart: Date, at: Date, hadData: Bool = true) throws {
        try uplinkWrite("record uplink acknowledgement") { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO uplink_acks (cn, period_start, acked_at, had_data) VALUES (?, ?, ?, ?)
                    """,
                arguments: [cn, Schema.milliseconds(periodStart), Schema.milliseconds(at), hadData])
        }
    }

    /// The settled periods of `cn` with `from <= periodStart < to`, oldest first.
    public func uplinkAcknowledgements(cn: Int, from: Date, to: Date) throws -> [StoredUplinkAcknowledgement] {
        try core.read("query uplink acknowledgements") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT cn, period_start, acked_at, had_data FROM uplink_acks
                    WHERE cn = ? AND period_start >= ? AND period_start < ? ORDER BY period_start
                    """,
                arguments: [cn, Schema.milliseconds(from), Schema.milliseconds(to)]
            ).map { row in
                StoredUplinkAcknowledgement(
                    cn: row[0], periodStart: Schema.date(milliseconds: row[1]),
                    acknowledgedAt: Schema.date(milliseconds: row[2]), hadData: row[3])
            }
        }
    }

    /// Deletes the settled periods (of every CN) that started before `before`; returns how many.
    @discardableResult
    public func deleteUplinkAcknowledgements(before: Date) throws -> Int {
        var deleted = 0
        try uplinkWrite("prune uplink acknowledgements") { db in
            try db.execute(
                sql: "DELETE FROM uplink_acks WHERE period_start < ?", arguments: [Schema.milliseconds(before)])
            deleted = db.changesCount
        }
        return deleted
    }

    /// The uplink's value for `key`, or nil.
    public func uplinkValue(forKey key: String) throws -> String? {
        try core.read("query uplink state") { db in
            try String.fetchOne(db, sql: "SELECT value FROM uplink_state WHERE key = ?", arguments: [key])
        }
    }

    /// Sets the uplink's value for `key`; nil deletes it.
    public func setUplinkValue(_ value: String?, forKey key: String) throws {
        try uplinkWrite("save uplink state") { db in
            if let value {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO uplink_state (key, value) VALUES (?, ?)", arguments: [key, value])
            } else {
                try db.execute(sql: "DELETE FROM uplink_state WHERE key = ?", arguments: [key])
            }
        }
    }

    private func uplinkWrite(_ operation: String, _ body: (Database) throws -> Void) throws {
        let pool = try core.pool(for: operation)
        do {
            try pool.write(body)
        } catch {
            throw HistorianError(path: core.path, operation: operation, error: error)
        }
    }
}
