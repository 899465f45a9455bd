import Foundation
import Testing

@testable import Historian

/// Events by id for live feeds, and readings counted and summarised per bucket for long trends.
struct FeedTests {
    let t0 = Date(timeIntervalSince1970: 1_740_787_200)

    @Test func eventsAfterAnIDComeInTheOrderTheyWereWrittenWithTheirIDs() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let historian = Historian(
            configuration: testConfiguration(scratch.path("h.db")), logger: LogCapture().logger)
        defer { historian.close() }
        #expect(try await historian.lastEventID() == nil)
        #expect(try await historian.events(afterID: 0, limit: 10).isEmpty)

        // Written out of time order: a late event with an early timestamp still comes after by id.
        for (i, offset) in [5.0, 1.0, 3.0, 2.0].enumerated() {
            try await historian.recordEvent(
                StoredEvent(kind: "alarm", source: "gas-a1", message: "event \(i)", at: t0 + offset))
        }
        let all = try await historian.events(afterID: 0, limit: 100)
        #expect(all.map(\.message) == ["event 0", "event 1", "event 2", "event 3"])
        let ids = all.compactMap(\.id)
        #expect(ids.count == 4)
        #expect(ids == ids.sorted())
        #expect(try await historian.lastEventID() == ids.last)

        let after = try await historian.events(afterID: ids[1], limit: 100)
        #expect(after.map(\.message) == ["event 2", "event 3"])
        // The blocking twin, from a synchronous closure, gives the same.
        let blocking: () throws -> [StoredEvent] = { try historian.events(afterID: ids[0], limit: 2) }
        #expect(try blocking().map(\.message) == ["event 1", "event 2"])
        #expect(try await historian.events(afterID: ids[3], limit: 2).isEmpty)
        // Time-range reads carry the id too.
        #expect(try await historian.events(from: t0, to: t0 + 10).compactMap(\.id).sorted() == ids)
    }

    @Test func countsAndKnownPoints() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let historian = Historian(
            configuration: testConfiguration(scratch.path("h.db")), logger: LogCapture().logger)
        defer { historian.close() }
        historian.record((0..<10).map { reading("gas-a1.concentration", Double($0), at: Double($0)) })
        try historian.flush()

        #expect(try await historian.knowsPoint("gas-a1.concentration"))
        #expect(try await historian.knowsPoint("gas-a1.concentraton") == false)
        let base = Date(timeIntervalSince1970: 1_740_787_200)
        #expect(try await historian.readingCount(point: "gas-a1.concentration", from: base, to: base + 10) == 10)
        #expect(try await historian.readingCount(point: "gas-a1.concentration", from: base + 2, to: base + 5) == 3)
        #expect(try await historian.readingCount(point: "nothing", from: base, to: base + 10) == 0)
    }

    @Test func bucketsKeepTheLastReadingAndTheExtremes() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let historian = Historian(
            configuration: testConfiguration(scratch.path("h.db")), logger: LogCapture().logger)
        defer { historian.close() }
        let point = "pool.level"
        historian.record([
            reading(point, 1.0, at: 0),
            reading(point, 9.0, at: 2),  // a spike inside the first bucket
            reading(point, 3.0, at: 9.5),
            reading(point, nil, "comm-fail", at: 12),  // the second bucket ends on a failed read
            reading(point, 4.0, at: 11),
            // nothing in 20..<30
            reading(point, 5.0, at: 35),
        ])
        try historian.flush()
        let base = Date(timeIntervalSince1970: 1_740_787_200)

        let buckets = try await historian.readingBuckets(point: point, from: base, to: base + 40, step: 10)
        #expect(buckets.count == 3)
        #expect(buckets.map(\.start) == [base, base + 10, base + 30])
        #expect(buckets.map(\.count) == [3, 2, 1])
        #expect(buckets.map(\.minimum) == [1, 4, 5])
        #expect(buckets.map(\.maximum) == [9, 4, 5])
        #expect(buckets.map(\.last.value) == [3, nil, 5])
        #expect(buckets.map(\.last.quality) == ["good", "comm-fail", "good"])
        #expect(abs(buckets[0].last.readAt.timeIntervalSince(base + 9.5)) < 0.001)

        // Buckets start at `from`, not at the epoch; the range stays half-open.
        let shifted = try await historian.readingBuckets(point: point, from: base + 1, to: base + 35, step: 10)
        #expect(shifted.map(\.start) == [base + 1, base + 11])
        #expect(shifted.map(\.count) == [2, 2])
        #expect(try await historian.readingBuckets(point: "unknown", from: base, to: base + 40, step: 10).isEmpty)
    }
}
