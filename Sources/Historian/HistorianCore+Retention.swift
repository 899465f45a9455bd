import Foundation
import GRDB

extension HistorianCore {
    /// Deletes rows older than each table's retention, `pruneBatchSize` rows per transaction.
    ///
    /// Each batch is its own short transaction on the writer connection, so writes from other threads take their
    /// turn between batches; `betweenBatches` lets the writer thread, which cannot wait for itself, write its queue
    /// there too. Freed pages are reused by later inserts, so the file stops growing without a VACUUM, which would
    /// hold the write lock for as long as it copies the whole file.
    func prune(now: Date, betweenBatches: (DatabasePool) throws -> Void = { _ in }) throws -> PruneReport {
        let pool = try pool(for: "prune")
        let batchSize = configuration.pruneBatchSize
        var report = PruneReport()
        let retention: [(table: String, days: Double, count: WritableKeyPath<PruneReport, Int>)] = [
            ("readings", configuration.readingsRetentionDays, \.readings),
            ("events", configuration.eventsRetentionDays, \.events),
            ("commands", configuration.commandsRetentionDays, \.commands),
        ]
        for (table, days, count) in retention where days > 0 {
            let cutoff = Schema.milliseconds(now.addingTimeInterval(-days * 86_400))
            let batch: (Database) throws -> (deleted: Int, more: Bool)
            if table == "readings" {
                batch = { db in try Self.pruneReadings(db, before: cutoff, limit: batchSize) }
            } else {
                guard let column = Schema.timeColumn[table] else { continue }
                batch = { db in
                    try db.execute(
                        sql: """
                            DELETE FROM \(table) WHERE id IN (
                                SELECT id FROM \(table) WHERE \(column) < ? ORDER BY \(column) LIMIT ?)
                            """,
                        arguments: [cutoff, batchSize]
                    )
                    return (db.changesCount, db.changesCount == batchSize)
                }
            }
            while true {
                var outcome = (deleted: 0, more: false)
                do {
                    try pool.writeWithoutTransaction { db in
                        try db.inTransaction(.immediate) {
                            outcome = try batch(db)
                            return .commit
                        }
                    }
                } catch {
                    throw HistorianError(path: path, operation: "prune \(table)", error: error)
                }
                if outcome.deleted > 0 {
                    report[keyPath: count] += outcome.deleted
                    report.transactions += 1
                }
                if !outcome.more { break }
                try betweenBatches(pool)
            }
        }
        return report
    }

    /// One batch of readings retention: the `limit` oldest rows by rowid, of which those with `read_at < cutoff`
    /// are deleted. Returns how many, and whether to go on: only when the whole batch was older than the cutoff.
    ///
    /// Readings have no index on `read_at` (it cost a quarter of the insert rate), so this walks the table from its
    /// oldest row in rowid order, which is cheap: the rows are in the table's own b-tree order and the walk stops at
    /// the first batch that holds a row at or after the cutoff. Readings are appended in about time order, so that
    /// is where the old rows end. A row out of order is never deleted early, since only rows before the cutoff are;
    /// old rows behind a newer one, past its batch, are kept one more prune, or until the newer one is old too.
    /// (So a clock stepped back leaves rows stamped ahead of the ones after them, and until they age out each prune
    /// deletes at most one batch: the file then grows for as long as the clock was ahead.)
    static func pruneReadings(_ db: Database, before cutoff: Int64, limit: Int) throws -> (deleted: Int, more: Bool) {
        let rows = try Row.fetchCursor(
            db, sql: "SELECT id, read_at FROM readings ORDER BY id LIMIT ?", arguments: [limit])
        var count = 0
        var oldRange: ClosedRange<Int64>?
        var reachedCutoff = false
        while let row = try rows.next() {
            count += 1
            let id: Int64 = row[0]
            let readAt: Int64 = row[1]
            if readAt < cutoff {
                oldRange = (oldRange?.lowerBound ?? id)...id
            } else {
                reachedCutoff = true
            }
        }
        guard let oldRange else { return (0, false) }
        // Every row with an id in this range is in the batch: the batch is the lowest ids there are.
        try db.execute(
            sql: "DELETE FROM readings WHERE id BETWEEN ? AND ? AND read_at < ?",
            arguments: [oldRange.lowerBound, oldRange.upperBound, cutoff]
        )
        return (db.changesCount, !reachedCutoff && count == limit)
    }
}
