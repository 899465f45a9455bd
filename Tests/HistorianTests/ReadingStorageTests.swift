import Foundation
import GRDB
import Testing

@testable import Historian

/// Readings store numbers for their point and quality; what comes back is the text that went in.
struct ReadingStorageTests {
    @Test func pointsAndQualitiesAreNumberedAndAnUnknownQualityRoundTrips() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path("h.db")
        let first = Historian(configuration: testConfiguration(path), logger: LogCapture().logger)
        first.record([
            reading("gas-a1.concentration", 12.5, "good", at: 0),
            reading("gas-a1.concentration", nil, "comm-fail", at: 1),
            reading("gas-a1.concentration", 13, "manual-override", at: 2),
            reading("液位-1.level", 2.5, "手动置数", at: 0),
            reading("液位-1.level", 2.6, "manual-override", at: 1),
        ])
        try first.flush()
        let gas = try first.readings(point: "gas-a1.concentration", from: .distantPast, to: .distantFuture)
        #expect(gas.map(\.quality) == ["good", "comm-fail", "manual-override"])
        #expect(gas.map(\.value) == [12.5, nil, 13])
        #expect(gas.allSatisfy { $0.point == "gas-a1.concentration" })
        let level = try first.readings(point: "液位-1.level", from: .distantPast, to: .distantFuture)
        #expect(level.map(\.quality) == ["手动置数", "manual-override"])
        first.close()

        // A new historian on the same file numbers what it meets again the same way.
        let second = Historian(configuration: testConfiguration(path), logger: LogCapture().logger)
        second.record([
            reading("液位-1.level", 2.7, "manual-override", at: 5), reading("valve-1.position", 0, "stale", at: 5),
        ])
        try second.flush()
        let start = Date(timeIntervalSince1970: 1_740_787_200)
        let csv = try second.exportCSV(point: nil, from: start, to: start + 10, timeZone: CSV.utc)
        #expect(
            csv == "time,point,value,quality\r\n"
                + "2025-03-01T00:00:00.000+00:00,gas-a1.concentration,12.5,good\r\n"
                + "2025-03-01T00:00:00.000+00:00,液位-1.level,2.5,手动置数\r\n"
                + "2025-03-01T00:00:01.000+00:00,gas-a1.concentration,,comm-fail\r\n"
                + "2025-03-01T00:00:01.000+00:00,液位-1.level,2.6,manual-override\r\n"
                + "2025-03-01T00:00:02.000+00:00,gas-a1.concentration,13,manual-override\r\n"
                + "2025-03-01T00:00:05.000+00:00,液位-1.level,2.7,manual-override\r\n"
                + "2025-03-01T00:00:05.000+00:00,valve-1.position,0,stale\r\n"
        )
        second.close()

        let db = try DatabaseQueue(path: path)
        defer { try? db.close() }
        try db.read { db in
            let points = try Row.fetchAll(db, sql: "SELECT id, name FROM points ORDER BY id").map {
                "\($0[0] as Int64) \($0[1] as String)"
            }
            #expect(points == ["1 gas-a1.concentration", "2 液位-1.level", "3 valve-1.position"])
            // Strings outside the fixed table get codes from 64 up, once each.
            let extra = try Row.fetchAll(db, sql: "SELECT code, name FROM qualities WHERE code > 5 ORDER BY code").map {
                "\($0[0] as Int64) \($0[1] as String)"
            }
            #expect(extra == ["64 manual-override", "65 手动置数"])
            let stored = try Row.fetchAll(db, sql: "SELECT point_id, quality FROM readings ORDER BY id").map {
                [$0[0] as Int64, $0[1] as Int64]
            }
            #expect(stored == [[1, 0], [1, 2], [1, 64], [2, 65], [2, 64], [2, 64], [3, 1]])
        }
    }

    /// A transaction that adds a point and a quality and then fails rolls their rows back; the numbers it was given
    /// must not stay in the writer's cache, or the next new names would get them too and mix up the history.
    @Test func numbersFromAFailedTransactionAreNotKept() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path("h.db")
        let historian = Historian(configuration: testConfiguration(path), logger: LogCapture().logger)
        defer { historian.close() }
        historian.record(reading("known", 1, at: 0))
        try historian.flush()

        let other = try DatabaseQueue(path: path)
        defer { closeQuietly(other) }
        try await other.write { db in
            try db.execute(
                sql: """
                    CREATE TRIGGER refuse BEFORE INSERT ON readings WHEN NEW.value = 666
                    BEGIN SELECT RAISE(ABORT, 'refused by the test'); END
                    """)
        }
        historian.record([reading("new-1", 5, "odd-1", at: 1), reading("new-1", 666, "odd-1", at: 2)])
        try await waitUntil("a fault on the refused reading") { !historian.status.healthy }
        #expect(throws: HistorianError.self) { try historian.flush() }

        try await other.write { db in try db.execute(sql: "DROP TRIGGER refuse") }
        try await waitUntil("recovery") { historian.status.healthy && historian.status.queueDepth == 0 }
        historian.record(reading("new-2", 7, "odd-2", at: 3))
        try historian.flush()

        let one = try await historian.readings(point: "new-1", from: .distantPast, to: .distantFuture)
        #expect(one.map(\.value) == [5, 666])
        #expect(one.map(\.quality) == ["odd-1", "odd-1"])
        let two = try await historian.readings(point: "new-2", from: .distantPast, to: .distantFuture)
        #expect(two.map(\.value) == [7])
        #expect(two.map(\.quality) == ["odd-2"])
        #expect(try await historian.readings(point: "known", from: .distantPast, to: .distantFuture).count == 1)
    }
}
