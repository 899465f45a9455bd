import Foundation
import Testing

@testable import Historian

/// The store-on-change rule, as a value (`StoreOnChangeFilter`) and through a real database. Times come from
/// `readAt`, so the heartbeat is tested with synthetic dates and no sleeping.
struct StoreOnChangeTests {
    /// Feeds `readings` to a fresh filter and returns which were kept.
    func kept(_ readings: [StoredReading], heartbeat: Double = 60) -> [Bool] {
        var filter = StoreOnChangeFilter(heartbeat: heartbeat)
        return readings.map { filter.shouldStore($0) }
    }

    @Test func smallChangesInsideTheDeadbandAreNotStoredAndAJumpIs() {
        let series = [10.0, 10.05, 10.09, 9.95, 9.91, 10.25].enumerated().map { index, value in
            reading("level-1.level", value, at: Double(index), deadband: 0.1)
        }
        #expect(kept(series) == [true, false, false, false, false, true])
    }

    @Test func changesAreMeasuredFromTheLastStoredValueSoADriftIsStored() {
        let series = [10.0, 10.06, 10.12, 10.18, 10.24].enumerated().map { index, value in
            reading("level-1.level", value, at: Double(index), deadband: 0.1)
        }
        // 10.12 is 0.12 from the stored 10.0; 10.18 only 0.06 from the stored 10.12; 10.24 is 0.12 from it.
        #expect(kept(series) == [true, false, true, false, true])
    }

    @Test func aQualityChangeIsStoredEvenWithTheSameValue() {
        let series = [
            reading("gas-a1.concentration", 5, "good", at: 0, deadband: 1),
            reading("gas-a1.concentration", 5, "stale", at: 1, deadband: 1),
            reading("gas-a1.concentration", 5, "stale", at: 2, deadband: 1),
            reading("gas-a1.concentration", 5, "good", at: 3, deadband: 1),
        ]
        #expect(kept(series) == [true, true, false, true])
    }

    @Test func aValueAppearingOrDisappearingIsStored() {
        let series = [
            reading("valve-1.position", 100, "comm-fail", at: 0),
            reading("valve-1.position", nil, "comm-fail", at: 1),
            reading("valve-1.position", nil, "comm-fail", at: 2),
            reading("valve-1.position", .nan, "comm-fail", at: 3),
            reading("valve-1.position", 100, "comm-fail", at: 4),
        ]
        #expect(kept(series) == [true, true, false, false, true])
    }

    @Test func theHeartbeatStoresAnUnchangedValue() {
        let series = [0.0, 30, 59.9, 60, 119.9, 120, 125].map { seconds in
            reading("pool-2.level", 1.5, at: seconds, deadband: 0.1)
        }
        #expect(kept(series, heartbeat: 60) == [true, false, false, true, false, true, false])
    }

    @Test func pointsAreJudgedSeparately() {
        let series = [
            reading("a.value", 1, at: 0, deadband: 0.5),
            reading("b.value", 1, at: 0, deadband: 0.5),
            reading("a.value", 1.2, at: 1, deadband: 0.5),
            reading("b.value", 1.6, at: 1, deadband: 0.5),
        ]
        #expect(kept(series) == [true, true, false, true])
    }

    @Test func aClockSteppingBackStartsANewTimeBase() {
        let series = [
            reading("a.value", 1, at: 1000),
            reading("a.value", 1, at: 10),  // the clock stepped back
            reading("a.value", 1, at: 20),
            reading("a.value", 1, at: 70),
        ]
        #expect(kept(series) == [true, true, false, true])
    }

    /// The same rule through `record`, the writer thread and SQLite: what a trend would show.
    @Test func onlyTheKeptReadingsReachTheDatabase() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let historian = Historian(
            configuration: testConfiguration(scratch.path("h.db")), logger: LogCapture().logger)
        defer { historian.close() }

        historian.record([
            reading("gas-a1.concentration", 12.0, at: 0, deadband: 0.5),
            reading("gas-a1.concentration", 12.3, at: 1, deadband: 0.5),
            reading("gas-a1.concentration", 12.6, at: 2, deadband: 0.5),
            reading("gas-a1.concentration", 12.6, "out-of-range", at: 3, deadband: 0.5),
            reading("gas-a1.concentration", 12.6, "out-of-range", at: 63, deadband: 0.5),
        ])
        historian.record(reading("gas-a1.concentration", nil, "comm-fail", at: 64, deadband: 0.5))
        try historian.flush()

        let stored = try await historian.readings(
            point: "gas-a1.concentration", from: Date(timeIntervalSince1970: 0), to: .distantFuture
        )
        #expect(stored.map(\.value) == [12.0, 12.6, 12.6, 12.6, nil])
        #expect(stored.map(\.quality) == ["good", "good", "out-of-range", "out-of-range", "comm-fail"])
        let seconds = stored.map { $0.readAt.timeIntervalSince1970 - 1_740_787_200 }
        for (got, want) in zip(seconds, [0.0, 2, 3, 63, 64]) { #expect(abs(got - want) < 0.001) }
        #expect(historian.status.writtenReadings == 5)
        #expect(historian.status.skippedReadings == 1)
    }
}
