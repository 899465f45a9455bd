import Foundation
import Testing

@testable import Historian

struct RetentionTests {
    @Test func pruneDeletesOnlyRowsOlderThanEachTablesRetentionInBatches() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        var configuration = testConfiguration(scratch.path("h.db"))
        configuration.pruneBatchSize = 100
        let historian = Historian(configuration: configuration, logger: LogCapture().logger)
        defer { historian.close() }

        let now = Date(timeIntervalSince1970: 1_740_787_200)
        let day = 86_400.0
        // 250 readings 91 to 90.7 days old (readings keep 90 days), 30 from yesterday.
        historian.record(
            (0..<250).map { index in
                StoredReading(
                    point: "level-1.level", value: Double(index), quality: "good",
                    readAt: now - 91 * day + Double(index) * 100
                )
            })
        historian.record(
            (0..<30).map { index in
                StoredReading(
                    point: "level-1.level", value: Double(1000 + index), quality: "good",
                    readAt: now - day + Double(index))
            })
        // Events and commands keep 3650 days.
        for index in 0..<120 {
            try await historian.recordEvent(
                StoredEvent(kind: "fault", source: "bus-1", message: "old \(index)", at: now - 3651 * day)
            )
        }
        try await historian.recordEvent(
            StoredEvent(kind: "fault", source: "bus-1", message: "kept", at: now - 3649 * day))
        let command = StoredCommand(
            device: "valve-1", command: "close", user: "op", source: "leveectl", reason: "test",
            requestedAt: now - 3651 * day, result: "confirmed"
        )
        try await historian.recordCommand(command)
        var recent = command
        recent.requestedAt = now - 10 * day
        try await historian.recordCommand(recent)
        try historian.flush()

        let report = try historian.prune(now: now)
        #expect(report.readings == 250)
        #expect(report.events == 120)
        #expect(report.commands == 1)
        // 100 + 100 + 50 readings, 100 + 20 events, 1 command: at most 100 rows per transaction.
        #expect(report.transactions == 6)

        let readings = try await historian.readings(point: "level-1.level", from: .distantPast, to: .distantFuture)
        #expect(readings.map(\.value) == (1000..<1030).map { Double($0) })
        #expect(try await historian.events(from: .distantPast, to: .distantFuture).map(\.message) == ["kept"])
        #expect(try await historian.commands(from: .distantPast, to: .distantFuture).count == 1)

        // Nothing left to prune.
        #expect(try historian.prune(now: now) == PruneReport())
    }

    /// Readings have no read_at index: retention walks them in rowid order from the oldest, a batch per
    /// transaction, and stops at the first batch that holds a row inside the retention.
    @Test func readingsRetentionStopsAtTheFirstBatchWithANewerRowAndNeverDeletesOneEarly() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        var configuration = testConfiguration(scratch.path("h.db"))
        configuration.pruneBatchSize = 100
        configuration.eventsRetentionDays = 0
        configuration.commandsRetentionDays = 0
        let historian = Historian(configuration: configuration, logger: LogCapture().logger)
        defer { historian.close() }

        let now = Date(timeIntervalSince1970: 1_740_787_200)
        let day = 86_400.0
        func old(_ index: Int) -> StoredReading {
            StoredReading(point: "a", value: Double(index), quality: "good", readAt: now - 91 * day + Double(index))
        }
        // Rows 1-150 old, row 151 newer (89.5 days, out of order), rows 152-301 old, rows 302-321 from yesterday.
        historian.record((0..<150).map(old))
        historian.record(StoredReading(point: "b", value: 1, quality: "good", readAt: now - 89.5 * day))
        historian.record((150..<300).map(old))
        historian.record(
            (0..<20).map {
                StoredReading(point: "a", value: Double(1000 + $0), quality: "good", readAt: now - day + Double($0))
            })
        try historian.flush()
        func stored(_ point: String) throws -> [Double?] {
            try historian.readings(point: point, from: .distantPast, to: .distantFuture).map(\.value)
        }

        // Rows 1-100, then 101-200 with the newer row: 99 deleted there, and the walk stops.
        var report = try historian.prune(now: now)
        #expect(report.readings == 199)
        #expect(report.transactions == 2)
        #expect(try stored("b") == [1])
        let new = (1000..<1020).map { Double($0) }
        #expect(try stored("a") == (199..<300).map { Double($0) } + new)

        // Each later prune starts at the newer row, so it reaches one batch further: old rows behind it are kept
        // one more prune, and none is deleted early.
        report = try historian.prune(now: now)
        #expect(report.readings == 99)
        #expect(report.transactions == 1)
        #expect(try stored("a") == [298, 299] + new)
        report = try historian.prune(now: now)
        #expect(report.readings == 2)
        #expect(try stored("a") == new)
        #expect(try historian.prune(now: now) == PruneReport())
        #expect(try stored("b") == [1])

        // A day later the out-of-order row is old too; yesterday's rows are still inside the retention.
        report = try historian.prune(now: now + day)
        #expect(report.readings == 1)
        #expect(try stored("b") == [])
        #expect(try stored("a") == new)
    }

    @Test func theWriterThreadPrunesByItself() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        var configuration = testConfiguration(scratch.path("h.db"))
        configuration.prunesAutomatically = true
        configuration.pruneInterval = 0.05
        configuration.pruneBatchSize = 7
        let historian = Historian(configuration: configuration, logger: LogCapture().logger)
        defer { historian.close() }

        let now = Date()
        historian.record(
            (0..<40).map {
                StoredReading(point: "a", value: Double($0), quality: "good", readAt: now - 100 * 86_400 + Double($0))
            })
        historian.record(StoredReading(point: "a", value: 1000, quality: "good", readAt: now))
        try await waitUntil("the writer thread to prune") {
            try historian.readings(point: "a", from: .distantPast, to: .distantFuture).count == 1
        }
        #expect(try await historian.readings(point: "a", from: .distantPast, to: .distantFuture).map(\.value) == [1000])
    }
}
