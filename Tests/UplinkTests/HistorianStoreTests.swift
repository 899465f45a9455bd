import Foundation
import GRDB
import HJ212
import Historian
import Testing

@testable import Uplink

/// Schema v3 and the Historian-backed store (the historian's own tests stay with the historian).
struct HistorianStoreTests {
    @Test func migrationV3AddsTheUplinkTables() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try openHistorian(scratch).close()
        let db = try DatabaseQueue(path: scratch.path("history.db"))
        defer { try? db.close() }
        try db.read { db in
            let migrations = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
            #expect(migrations.contains("v3"))
            #expect(try db.columns(in: "uplink_acks").map(\.name) == ["cn", "period_start", "acked_at", "had_data"])
            #expect(try db.primaryKey("uplink_acks").columns == ["cn", "period_start"])
            #expect(try db.columns(in: "uplink_state").map(\.name) == ["key", "value"])
        }
    }

    @Test func aDatabaseBeforeV3IsMigratedKeepingItsData() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let historian = try openHistorian(scratch)
        try historian.recordEvent(StoredEvent(kind: "config-load", source: "leveed", message: "before v3", at: t0))
        historian.close()
        // Undo v3 by hand, as a file written by the previous version would be.
        let old = try DatabaseQueue(path: scratch.path("history.db"))
        try old.write { db in
            try db.execute(
                sql: """
                    DROP TABLE uplink_acks; DROP TABLE uplink_state;
                    DELETE FROM grdb_migrations WHERE identifier = 'v3';
                    """)
        }
        try old.close()

        let reopened = try openHistorian(scratch)
        defer { reopened.close() }
        #expect(try reopened.events(from: .distantPast, to: .distantFuture).map(\.message) == ["before v3"])
        try reopened.recordUplinkAcknowledgement(cn: 2051, periodStart: t0, at: t0)
        #expect(try reopened.uplinkAcknowledgements(cn: 2051, from: .distantPast, to: .distantFuture).count == 1)
    }

    @Test func theStoreKeepsMarkersSettledPeriodsAndIntervalsAcrossReopening() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        do {
            let historian = try openHistorian(scratch)
            defer { historian.close() }
            let store = HistorianUplinkStore(historian: historian)
            #expect(try store.startMarker(for: .minuteData) == nil)
            try store.setStartMarker(t0, for: .minuteData)
            try store.setStartMarker(at("20250301080000"), for: .hourlyData)
            for minute in 0..<5 {
                try store.recordSettled(
                    .minuteData, periodStart: t0.addingTimeInterval(Double(minute * 60)), at: t0.addingTimeInterval(90),
                    hadData: minute != 2)
            }
            try store.recordSettled(.hourlyData, periodStart: at("20250301080000"), at: t0, hadData: true)
            // Recording again replaces.
            try store.recordSettled(.minuteData, periodStart: t0, at: t0.addingTimeInterval(95), hadData: true)
            try store.setInterval("RtdInterval", 60)
        }
        let historian = try openHistorian(scratch)
        defer { historian.close() }
        let store = HistorianUplinkStore(historian: historian)
        #expect(try store.startMarker(for: .minuteData) == t0)
        #expect(try store.startMarker(for: .hourlyData) == at("20250301080000"))
        let settled = try store.settledPeriods(for: .minuteData, from: t0.addingTimeInterval(60), to: .distantFuture)
        #expect(settled == Set((1..<5).map { t0.addingTimeInterval(Double($0 * 60)) }))
        let rows = try historian.uplinkAcknowledgements(cn: 2051, from: .distantPast, to: .distantFuture)
        #expect(rows.map(\.hadData) == [true, true, false, true, true])
        #expect(abs(rows[0].acknowledgedAt.timeIntervalSince(t0.addingTimeInterval(95))) < 0.002)
        #expect(try store.interval("RtdInterval") == 60)
        #expect(try store.interval("MinInterval") == nil)

        try store.forgetSettled(before: t0.addingTimeInterval(120))
        #expect(try historian.uplinkAcknowledgements(cn: 2051, from: .distantPast, to: .distantFuture).count == 3)
        #expect(try historian.uplinkAcknowledgements(cn: 2061, from: .distantPast, to: .distantFuture).isEmpty)
        try historian.setUplinkValue(nil, forKey: "interval.RtdInterval")
        #expect(try store.interval("RtdInterval") == nil)
    }

    @Test func aClosedHistorianMakesTheStoreThrowNamingTheFile() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let historian = try openHistorian(scratch)
        historian.close()
        let store = HistorianUplinkStore(historian: historian)
        let error = #expect(throws: HistorianError.self) {
            try store.recordSettled(.minuteData, periodStart: t0, at: t0, hadData: true)
        }
        #expect(error?.description.contains("history.db") == true)
    }
}
