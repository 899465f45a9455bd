import Foundation
import GRDB
import Testing

@testable import Historian

/// Events and commands: what goes in comes back, to the millisecond, in any script.
struct RecordsTests {
    let t0 = Date(timeIntervalSince1970: 1_740_787_200.123)

    @Test func eventsRoundTripWithChineseText() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let historian = Historian(
            configuration: testConfiguration(scratch.path("h.db")), logger: LogCapture().logger)
        defer { historian.close() }

        let events = [
            StoredEvent(
                kind: "alarm", source: "气体检测-A1", message: "可燃气体浓度高高报警：25 %LEL", at: t0,
                details: #"{"limit":"高高","value":25.0}"#
            ),
            StoredEvent(
                kind: "trip", source: "sequencer", message: "三线关断：雨水排口阀门关闭", at: t0.addingTimeInterval(0.5),
                drill: true
            ),
            StoredEvent(kind: "config-load", source: "leveed", message: "levee.toml, 15 devices", at: t0 + 2),
        ]
        for event in events { try await historian.recordEvent(event) }

        let stored = try await historian.events(from: t0 - 1, to: t0 + 10)
        #expect(stored.count == 3)
        for (got, want) in zip(stored, events) {
            #expect(got.kind == want.kind)
            #expect(got.source == want.source)
            #expect(got.message == want.message)
            #expect(got.details == want.details)
            #expect(got.drill == want.drill)
            #expect(abs(got.at.timeIntervalSince(want.at)) < 0.001)
        }
        #expect(try await historian.events(from: t0 - 1, to: t0 + 10, limit: 2).map(\.kind) == ["alarm", "trip"])
        // Half-open range: an event at `to` is outside.
        #expect(try await historian.events(from: t0 - 1, to: t0 + 2).count == 2)
    }

    @Test func commandsRoundTripAndFilterByDevice() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let historian = Historian(
            configuration: testConfiguration(scratch.path("h.db")), logger: LogCapture().logger)
        defer { historian.close() }

        let close = StoredCommand(
            device: "雨水排口-1", command: "close", user: "张工", source: "10.0.0.7", reason: "暴雨前关闭排口",
            requestedAt: t0, result: "confirmed", strokeSeconds: 18.4
        )
        let refused = StoredCommand(
            device: "valve-2", command: "open", user: "operator", source: "leveectl", reason: "test, \"quoted\"",
            requestedAt: t0 + 1, result: "refused", error: "interlock: gas alarm active", drill: true
        )
        try await historian.recordCommand(close)
        try await historian.recordCommand(refused)

        let all = try await historian.commands(from: t0, to: t0 + 2)
        #expect(all.count == 2)
        let first = try #require(all.first)
        #expect(first.device == "雨水排口-1")
        #expect(first.user == "张工")
        #expect(first.reason == "暴雨前关闭排口")
        #expect(first.result == "confirmed")
        #expect(first.error == nil)
        #expect(first.strokeSeconds == 18.4)
        #expect(first.drill == false)
        #expect(abs(first.requestedAt.timeIntervalSince(t0)) < 0.001)
        let second = try #require(all.last)
        #expect(second.error == "interlock: gas alarm active")
        #expect(second.strokeSeconds == nil)
        #expect(second.drill)
        #expect(second.reason == "test, \"quoted\"")

        #expect(try await historian.commands(device: "valve-2", from: t0, to: t0 + 2).map(\.command) == ["open"])
    }

    /// The synchronous API writes before returning: a second connection sees the row without any flush.
    @Test func recordEventIsCommittedWhenItReturns() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path("h.db")
        let historian = Historian(configuration: testConfiguration(path), logger: LogCapture().logger)
        defer { historian.close() }

        try historian.recordEvent(StoredEvent(kind: "fault", source: "bus-1", message: "timeout", at: t0))
        let other = try DatabaseQueue(path: path)
        #expect(try other.read { db in try String.fetchAll(db, sql: "SELECT message FROM events") } == ["timeout"])
        try other.close()
    }

    /// Durability rests on these two settings: WAL, and an fsync of the WAL at every commit.
    @Test func theDatabaseIsInWALModeWithFullSynchronous() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let historian = Historian(
            configuration: testConfiguration(scratch.path("h.db")), logger: LogCapture().logger)
        defer { historian.close() }

        let pool = try historian.core.pool(for: "test")
        let (journal, synchronous) = try pool.writeWithoutTransaction { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
        }
        #expect(journal == "wal")
        #expect(synchronous == 2)  // FULL
    }

    @Test func afterCloseRecordsAreRefusedAsLost() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let historian = Historian(
            configuration: testConfiguration(scratch.path("h.db")), logger: LogCapture().logger)
        historian.record(reading("a.value", 1, at: 0))
        historian.close()
        historian.close()  // twice is harmless

        let error = #expect(throws: HistorianError.self) {
            try historian.recordEvent(StoredEvent(kind: "fault", source: "x", message: "late", at: t0))
        }
        #expect(error?.recordFate == .lost)
        historian.record(reading("a.value", 2, at: 1))
        #expect(historian.status.droppedReadings == 1)
        #expect(historian.status.writtenReadings == 1)

        let reopened = Historian(
            configuration: testConfiguration(scratch.path("h.db")), logger: LogCapture().logger)
        defer { reopened.close() }
        #expect(try reopened.readings(point: "a.value", from: .distantPast, to: .distantFuture).map(\.value) == [1])
    }
}
