import Foundation
import Historian
import Logging

/// Part 3: readings per second stored into SQLite through `Historian`, against a C program inserting the same rows
/// into a table of the same shape with one prepared statement in one transaction (bench/c/sqlite_raw.c).
///
/// Every reading is stored: each one carries a new value (deadband 0), and `bufferLimit` holds the whole run, so
/// nothing is dropped. The historian's time runs from the first `record` call to `flush()`'s return, which includes
/// the store-on-change filter on the caller's thread, the writer's batching (5000 readings per transaction, one
/// fsync each) and the wait for its first cycle; the readings themselves are built before the clock starts, as
/// the C program's are.
@MainActor
struct HistorianThroughput {
    static let points = 1000
    static let cycles = 500
    static let rounds = 3
    static let ratioTarget = 0.3
    static let rateTarget = 100_000.0

    let options: Options
    let logger: Logger

    func run(_ report: Report) async throws {
        let section = "Historian"
        let dir = options.work + "/historian"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let rows = Self.points * Self.cycles
        let batches = Self.batches()

        var levee: [Double] = []
        var raw: [Double] = []
        var enqueue: [Double] = []
        for round in 0..<Self.rounds {
            let leveeFirst = round % 2 == 1
            if leveeFirst {
                let (rate, record) = try measureHistorian(batches, dir + "/levee-\(round).db", report)
                levee.append(rate)
                enqueue.append(record)
            }
            raw.append(try measureRaw(rows: rows, path: dir + "/raw-\(round).db"))
            if !leveeFirst {
                let (rate, record) = try measureHistorian(batches, dir + "/levee-\(round).db", report)
                levee.append(rate)
                enqueue.append(record)
            }
            progress("  round \(round + 1): historian \(grouped(levee.last!))/s, raw \(grouped(raw.last!))/s")
        }
        let l = median(levee)
        let c = median(raw)
        let ratios = zip(levee, raw).map { $0 / $1 }
        let ratio = median(ratios)
        report.add(
            Figure(
                name: "historian vs raw sqlite3", levee: "levee \(grouped(l)) readings/s",
                baseline: "C sqlite3, 1 transaction \(grouped(c)) rows/s", ratio: ratio,
                target: ">= \(fixed(Self.ratioTarget, 2))", pass: ratio >= Self.ratioTarget))
        report.add(
            Figure(
                name: "historian absolute", levee: "levee \(grouped(l)) readings/s",
                baseline: "target \(grouped(Self.rateTarget)) readings/s", ratio: l / Self.rateTarget,
                target: ">= 1.00", pass: l >= Self.rateTarget))
        report.note(
            section,
            "\(grouped(Double(rows))) readings (\(Self.points) points × \(Self.cycles) cycles, each a new value), "
                + "recorded 1000 at a time, then flush(); Historian defaults otherwise (WAL, synchronous FULL, "
                + "5000 readings per transaction, batch interval 0.5 s).")
        report.note(
            section,
            "Baseline: bench/c/sqlite_raw.c, the same rows into the same readings table and indexes, one prepared "
                + "INSERT, one transaction, WAL, synchronous FULL; BEGIN to COMMIT timed. Same libsqlite3.")
        report.note(
            section,
            "\(Self.rounds) pairs of rounds, alternating which goes first; rates are medians, the ratio the median "
                + "of the pairs' ratios (\(ratios.map { fixed($0, 2) }.joined(separator: ", "))). historian: "
                + "\(levee.map(grouped).joined(separator: ", ")) "
                + "readings/s; raw: \(raw.map(grouped).joined(separator: ", ")) rows/s. record() alone (filter and "
                + "queue, caller's thread): \(enqueue.map(grouped).joined(separator: ", ")) readings/s.")
    }

    /// The readings of every cycle, built before any clock starts.
    private static func batches() -> [[StoredReading]] {
        let names = (0..<points).map { "p" + String(repeating: "0", count: 4 - String($0).count) + "\($0).value" }
        let base = 1_700_000_000.0
        return (0..<cycles).map { cycle in
            (0..<points).map { p in
                StoredReading(
                    point: names[p], value: Double(cycle) + Double(p) * 0.001, quality: "good",
                    readAt: Date(timeIntervalSince1970: base + Double(cycle)), deadband: 0)
            }
        }
    }

    /// Readings per second through the historian, and the rate of `record()` calls alone.
    private func measureHistorian(_ batches: [[StoredReading]], _ path: String, _ report: Report) throws -> (
        Double, Double
    ) {
        removeDatabase(path)
        defer { removeDatabase(path) }
        let rows = batches.reduce(0) { $0 + $1.count }
        let historian = Historian(
            configuration: HistorianConfiguration(path: path, heartbeatSeconds: 60, bufferLimit: rows + 1),
            logger: logger)
        defer { historian.close() }
        let start = ContinuousClock.now
        for batch in batches { historian.record(batch) }
        let recorded = ContinuousClock.now
        try historian.flush()
        let end = ContinuousClock.now
        let status = historian.status
        if status.writtenReadings != rows || status.droppedReadings != 0 || status.skippedReadings != 0 {
            report.note(
                "Historian",
                "WARNING: \(rows) recorded, \(status.writtenReadings) written, \(status.droppedReadings) dropped, "
                    + "\(status.skippedReadings) skipped")
        }
        return (Double(status.writtenReadings) / seconds(end - start), Double(rows) / seconds(recorded - start))
    }

    private func measureRaw(rows: Int, path: String) throws -> Double {
        removeDatabase(path)
        defer { removeDatabase(path) }
        let out = try runTool(options.sqliteRaw, [path, "\(rows)", "\(Self.points)"])
        guard let rate = keyValues(out)["rate"] else { throw BenchError("sqlite_raw printed no rate: \(out)") }
        return rate
    }

    private func removeDatabase(_ path: String) {
        for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}
