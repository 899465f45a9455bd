import Foundation
import GRDB
import Testing

@testable import Historian

struct MigrationTests {
    @Test func aFreshDatabaseGetsTheSchema() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path("h.db")
        let historian = Historian(configuration: testConfiguration(path), logger: LogCapture().logger)
        historian.close()

        let db = try DatabaseQueue(path: path)
        defer { try? db.close() }
        try db.read { db in
            #expect(try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") == ["v1", "v2", "v3", "v4"])
            #expect(try db.columns(in: "points").map(\.name) == ["id", "name"])
            #expect(try db.columns(in: "qualities").map(\.name) == ["code", "name"])
            // The fixed quality codes, which tools reading the file may rely on.
            let qualities = try Row.fetchAll(db, sql: "SELECT code, name FROM qualities ORDER BY code").map {
                "\($0[0] as Int64) \($0[1] as String)"
            }
            #expect(qualities == ["0 good", "1 stale", "2 comm-fail", "3 out-of-range", "4 bad-config", "5 initial"])
            #expect(try db.columns(in: "readings").map(\.name) == ["id", "point_id", "value", "quality", "read_at"])
            #expect(
                try db.columns(in: "events").map(\.name) == [
                    "id", "at", "kind", "source", "message", "details", "drill", "message_id", "message_args",
                ]
            )
            #expect(
                try db.columns(in: "commands").map(\.name) == [
                    "id", "requested_at", "device", "command", "user", "source", "reason", "result", "error",
                    "stroke_seconds", "drill",
                ]
            )
            // One index only: retention walks readings in rowid order (RetentionTests).
            #expect(try db.indexes(on: "readings").map(\.columns) == [["point_id", "read_at"]])
            #expect(try db.indexes(on: "events").map(\.columns).contains(["at"]))
            #expect(try db.indexes(on: "commands").map(\.columns).contains(["device", "requested_at"]))
            // v2.
            #expect(
                try db.columns(in: "drills").map(\.name) == [
                    "id", "plan", "live", "started_at", "finished_at", "started_by", "report",
                ]
            )
            #expect(try db.primaryKey("drills").columns == ["id"])
            #expect(try db.indexes(on: "drills").map(\.columns).contains(["started_at"]))
        }
    }

    @Test func reopeningKeepsTheData() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path("h.db")
        let first = Historian(configuration: testConfiguration(path), logger: LogCapture().logger)
        try first.recordEvent(StoredEvent(kind: "config-load", source: "leveed", message: "first run", at: Date()))
        first.close()

        let second = Historian(configuration: testConfiguration(path), logger: LogCapture().logger)
        defer { second.close() }
        #expect(try second.events(from: .distantPast, to: .distantFuture).map(\.message) == ["first run"])
    }

    /// A newer version's file is not damaged: it is left where it is, untouched, and the historian runs in fault
    /// without storage, saying why, rather than stopping the daemon.
    @Test func aDatabaseFromANewerVersionIsRefusedNamingTheFileAndTheMigrations() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path("history.db")
        Historian(configuration: testConfiguration(path), logger: LogCapture().logger).close()
        let newer = try DatabaseQueue(path: path)
        try newer.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v3-alarm-shelving'), ('v9')")
        }
        try newer.close()

        let historian = Historian(configuration: testConfiguration(path), logger: LogCapture().logger)
        defer { historian.close() }
        #expect(!historian.status.healthy)
        let error = try #require(historian.status.lastError)
        #expect(error.path == path)
        #expect(error.operation == "open")
        #expect(error.description.hasPrefix("\(path): open: written by a newer version of Levee"))
        #expect(error.description.contains("v3-alarm-shelving, v9"))
        let event = StoredEvent(kind: "trip", source: "sequencer", message: "kept in memory", at: Date())
        #expect(throws: HistorianError.self) { try historian.recordEvent(event) }
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).allSatisfy { !$0.contains("damaged") }
        )

        // Refusing wrote nothing.
        let check = try DatabaseQueue(path: path)
        defer { try? check.close() }
        #expect(try check.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations") }.count == 6)
    }

    /// v1 was edited before release; a development file with the earlier v1 is refused rather than faulting on every
    /// write.
    @Test func aDevelopmentDatabaseWithTheEarlierV1IsRefusedNamingTheFile() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path("history.db")
        let old = try DatabaseQueue(path: path)
        try old.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                    INSERT INTO grdb_migrations (identifier) VALUES ('v1');
                    CREATE TABLE readings (
                        id INTEGER PRIMARY KEY, point TEXT NOT NULL, value REAL, quality TEXT NOT NULL,
                        read_at INTEGER NOT NULL);
                    INSERT INTO readings (point, value, quality, read_at) VALUES ('a', 1, 'good', 0);
                    """)
        }
        try old.close()

        let historian = Historian(configuration: testConfiguration(path), logger: LogCapture().logger)
        let error = historian.status.lastError
        historian.close()
        #expect(error?.description.hasPrefix("\(path): open: written by a development build of Levee") == true)
        #expect(error?.description.contains("move the file away") == true)
        let check = try DatabaseQueue(path: path)
        defer { try? check.close() }
        #expect(try check.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM readings") } == 1)
        #expect(try check.read { try $0.tableExists("points") } == false)
    }

    @Test func aMissingDirectoryIsAFaultNamingTheFile() throws {
        let path = "/nonexistent-levee-dir/history.db"
        let historian = Historian(configuration: testConfiguration(path), logger: LogCapture().logger)
        defer { historian.close() }
        #expect(!historian.status.healthy)
        #expect(historian.status.lastError?.description.hasPrefix("\(path): open: SQLITE_CANTOPEN") == true)
    }
}
