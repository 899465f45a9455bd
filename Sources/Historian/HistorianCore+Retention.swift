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
            guard let column = Schema.timeColumn[table] else { continue }
            let cutoff = Schema.milliseconds(now.addingTimeInterval(-days * 86_400))
            while true {
                var deleted = 0
                do {
                    try pool.writeWithoutTransaction { db in
                        try db.inTransaction(.immediate) {
                            try db.execute(
                                sql: """
                                    DELETE FROM \(table) WHERE id IN (
                                        SELECT id FROM \(table) WHERE \(column) < ? ORDER BY \(column) LIMIT ?)
                                    """,
                                arguments: [cutoff, batchSize]
                            )
                            deleted = db.changesCount
                            return .commit
                        }
                    }
                } catch {
                    throw HistorianError(path: path, operation: "prune \(table)", error: error)
                }
                if deleted > 0 {
                    report[keyPath: count] += deleted
                    report.transactions += 1
                }
                if deleted < batchSize { break }
                try betweenBatches(pool)
            }
        }
        return report
    }
}
