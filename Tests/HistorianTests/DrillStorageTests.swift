import Foundation
import GRDB
import Testing

@testable import Historian

/// Drill reports and stroke history: what goes in comes back, in the right order, and outlives restarts, upgrades and
/// retention.
struct DrillStorageTests {
    let t0 = Date(timeIntervalSince1970: 1_740_787_200.250)

    func drill(_ id: String, startedAt: Date, live: Bool = true, finishedAt: Date? = nil) -> StoredDrill {
        StoredDrill(
            id: id, plan: "rain-outlet-shutoff", live: live, startedAt: startedAt, finishedAt: finishedAt,
            startedBy: "张工", report: #"{"id":"\#(id)","siteName":"某某化工","note":"<b>\"quoted\"</b>"}"#
        )
    }

    func expectSame(_ got: StoredDrill?, _ want: StoredDrill, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let got else {
            Issue.record("drill \(want.id) is missing", sourceLocation: sourceLocation)
            return
        }
        #expect(got.id == want.id, sourceLocation: sourceLocation)
        #expect(got.plan == want.plan, sourceLocation: sourceLocation)
        #expect(got.live == want.live, sourceLocation: sourceLocation)
        #expect(got.startedBy == want.startedBy, sourceLocation: sourceLocation)
        #expect(got.report == want.report, sourceLocation: sourceLocation)
        #expect(abs(got.startedAt.timeIntervalSince(want.startedAt)) < 0.001, sourceLocation: sourceLocation)
        switch (got.finishedAt, want.finishedAt) {
        case (nil, nil): break
        case (let a?, let b?): #expect(abs(a.timeIntervalSince(b)) < 0.001, sourceLocation: sourceLocation)
        default: Issue.record("finishedAt \(String(describing: got.finishedAt))", sourceLocation: sourceLocation)
        }
    }

    @Test func drillsAreSavedListedNewestFirstAndFoundById() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let historian = Historian(
            configuration: testConfiguration(scratch.path("h.db")), logger: LogCapture().logger)
        defer { historian.close() }

        let old = drill("drill-2024", startedAt: t0 - 365 * 86_400, live: false, finishedAt: t0 - 365 * 86_400 + 600)
        let new = drill("drill-2025", startedAt: t0)
        let middle = drill("drill-2024-b", startedAt: t0 - 100 * 86_400)
        for d in [old, new, middle] { try historian.saveDrill(d) }

        let all = try historian.drills()
        #expect(all.map(\.id) == ["drill-2025", "drill-2024-b", "drill-2024"])
        expectSame(all.last, old)
        #expect(try historian.drills(limit: 2).map(\.id) == ["drill-2025", "drill-2024-b"])
        #expect(try historian.drills(limit: 0).isEmpty)

        expectSame(try historian.drill(id: "drill-2025"), new)
        expectSame(try historian.drill(id: "drill-2024"), old)
        #expect(try historian.drill(id: "no-such-drill") == nil)
    }

    /// The async overloads, which wait on a GRDB queue instead of blocking a thread of the cooperative pool.
    @Test func drillsSavedAndReadFromAsyncCode() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let historian = Historian(
            configuration: testConfiguration(scratch.path("h.db")), logger: LogCapture().logger)
        defer { historian.close() }

        let old = drill("drill-2024", startedAt: t0 - 365 * 86_400, live: false)
        let new = drill("drill-2025", startedAt: t0, finishedAt: t0 + 600)
        try await historian.saveDrill(new)
        try await historian.saveDrill(old)

        #expect(try await historian.drills().map(\.id) == ["drill-2025", "drill-2024"])
        #expect(try await historian.drills(limit: 1).map(\.id) == ["drill-2025"])
        expectSame(try await historian.drill(id: "drill-2025"), new)
        #expect(try await historian.drill(id: "no-such-drill") == nil)
    }

    /// A drill is saved when it starts and again when it finishes: the second save replaces the first.
    @Test func savingAnIdAgainReplacesTheDrill() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let historian = Historian(
            configuration: testConfiguration(scratch.path("h.db")), logger: LogCapture().logger)
        defer { historian.close() }

        let started = drill("drill-1", startedAt: t0)
        try historian.saveDrill(started)
        var finished = started
        finished.finishedAt = t0 + 1805.5
        finished.report = #"{"id":"drill-1","finished":true}"#
        try historian.saveDrill(finished)

        let all = try historian.drills()
        #expect(all.count == 1)
        expectSame(all.first, finished)
    }

    @Test func aDrillSurvivesCloseAndReopen() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path("h.db")
        let saved = drill("drill-1", startedAt: t0, finishedAt: t0 + 60)
        let first = Historian(configuration: testConfiguration(path), logger: LogCapture().logger)
        try first.saveDrill(saved)
        first.close()

        let second = Historian(configuration: testConfiguration(path), logger: LogCapture().logger)
        defer { second.close() }
        expectSame(try second.drill(id: "drill-1"), saved)
    }

    /// Drill evidence is kept whatever the retention: pruning every other table leaves drills alone.
    @Test func retentionNeverPrunesDrills() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        var configuration = testConfiguration(scratch.path("h.db"))
        configuration.eventsRetentionDays = 1
        configuration.commandsRetentionDays = 1
        configuration.readingsRetentionDays = 1
        let historian = Historian(configuration: configuration, logger: LogCapture().logger)
        defer { historian.close() }

        let ancient = drill("drill-2015", startedAt: t0 - 3700 * 86_400)
        try historian.saveDrill(ancient)
        try historian.recordEvent(StoredEvent(kind: "trip", source: "drill", message: "old", at: t0 - 3700 * 86_400))
        let report = try historian.prune(now: t0)
        #expect(report.events == 1)
        expectSame(try historian.drill(id: "drill-2015"), ancient)
    }

    @Test func strokesAreConfirmedMeasuredMovementsNewestFirst() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let historian = Historian(
            configuration: testConfiguration(scratch.path("h.db")), logger: LogCapture().logger)
        defer { historian.close() }

        func command(
            _ device: String, _ command: String, _ result: String, _ seconds: Double?, at offset: Double,
            drill: Bool = false
        ) -> StoredCommand {
            StoredCommand(
                device: device, command: command, user: "sequencer", source: "sequencer", reason: "test",
                requestedAt: t0 + offset, result: result, strokeSeconds: seconds, drill: drill
            )
        }
        let commands = [
            command("rain-outlet-1", "close", "confirmed", 18.1, at: 0),
            command("rain-outlet-1", "open", "confirmed", 21.0, at: 100),
            command("rain-outlet-1", "close", "confirmed", 18.4, at: 200, drill: true),
            command("rain-outlet-1", "close", "failed", 60.0, at: 300),  // not confirmed
            command("rain-outlet-1", "close", "confirmed", nil, at: 400),  // confirmed, not measured
            command("rain-outlet-1", "close", "acknowledged", nil, at: 500),
            command("pool-inlet", "close", "confirmed", 95.0, at: 600),  // another valve
            command("rain-outlet-1", "close", "confirmed", 17.9, at: 700),
        ]
        // Recorded out of time order: the query orders by requested_at, not by insertion.
        for c in commands.reversed() { try historian.recordCommand(c) }

        let all = try historian.strokes(device: "rain-outlet-1")
        #expect(all.map(\.seconds) == [17.9, 18.4, 21.0, 18.1])
        #expect(all.map(\.command) == ["close", "close", "open", "close"])
        #expect(all.map(\.drill) == [false, true, false, false])
        #expect(all.allSatisfy { $0.device == "rain-outlet-1" })
        #expect(abs((all.first?.at ?? .distantPast).timeIntervalSince(t0 + 700)) < 0.001)

        #expect(try historian.strokes(device: "rain-outlet-1", command: "close").map(\.seconds) == [17.9, 18.4, 18.1])
        #expect(try historian.strokes(device: "rain-outlet-1", command: "open").map(\.seconds) == [21.0])
        #expect(
            try historian.strokes(device: "rain-outlet-1", command: "close", limit: 2).map(\.seconds) == [17.9, 18.4])
        #expect(try historian.strokes(device: "rain-outlet-1", limit: 1).map(\.seconds) == [17.9])
        #expect(try historian.strokes(device: "pool-inlet").map(\.seconds) == [95.0])
        #expect(try historian.strokes(device: "no-such-valve").isEmpty)
    }

    @Test func strokesFromAsyncCode() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let historian = Historian(
            configuration: testConfiguration(scratch.path("h.db")), logger: LogCapture().logger)
        defer { historian.close() }
        for (offset, seconds) in [(0.0, 18.0), (10, 19.0), (20, 20.0)] {
            try await historian.recordCommand(
                StoredCommand(
                    device: "v1", command: offset == 10 ? "open" : "close", user: "op", source: "sequencer",
                    reason: "test", requestedAt: t0 + offset, result: "confirmed", strokeSeconds: seconds))
        }
        #expect(try await historian.strokes(device: "v1").map(\.seconds) == [20, 19, 18])
        #expect(try await historian.strokes(device: "v1", command: "close", limit: 1).map(\.seconds) == [20])
    }

    /// A file written by a version with only v1 gains the drills table on open and keeps every row it had.
    @Test func aVersion1DatabaseGainsDrillsAndKeepsItsRows() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path("history.db")
        let old = try DatabaseQueue(path: path)
        try Schema.migrator.migrate(old, upTo: "v1")
        try old.write { db in
            // As v1 wrote it: the message columns came with v4.
            try db.execute(
                sql: "INSERT INTO events (at, kind, source, message, details, drill) VALUES (?, ?, ?, ?, NULL, 0)",
                arguments: [Schema.milliseconds(t0), "config-load", "leveed", "v1 run"])
            try Schema.insert(
                StoredCommand(
                    device: "rain-outlet-1", command: "close", user: "op", source: "leveectl", reason: "before v2",
                    requestedAt: t0 + 1, result: "confirmed", strokeSeconds: 18.2), db)
            var ids = Schema.IDCache()
            try Schema.insert([reading("level-1.level", 0.42, at: 0)], db, ids: &ids)
        }
        #expect(try old.read { try $0.tableExists("drills") } == false)
        try old.close()

        let historian = Historian(configuration: testConfiguration(path), logger: LogCapture().logger)
        #expect(try historian.events(from: .distantPast, to: .distantFuture).map(\.message) == ["v1 run"])
        #expect(try historian.strokes(device: "rain-outlet-1").map(\.seconds) == [18.2])
        #expect(
            try historian.readings(point: "level-1.level", from: .distantPast, to: .distantFuture).map(\.value)
                == [0.42])
        #expect(try historian.drills().isEmpty)
        let saved = drill("drill-after-upgrade", startedAt: t0 + 10)
        try historian.saveDrill(saved)
        historian.close()

        let check = try DatabaseQueue(path: path)
        defer { try? check.close() }
        try check.read { (db: Database) throws in
            #expect(try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") == ["v1", "v2", "v3", "v4"])
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM drills") == 1)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM events") == 1)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM commands") == 1)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM readings") == 1)
        }
    }
}
