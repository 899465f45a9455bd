import Foundation
import GRDB
import Testing

@testable import Historian

struct MigrationTests {
    @Test func aFreshDatabaseGetsTheSchema() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path("h.db")
        let historian = try Historian(configuration: testConfiguration(path), logger: LogCapture().logger)
        historian.close()

        let db = try DatabaseQueue(path: path)
        defer { try? db.close() }
        try db.read { db in
            #expect(try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") == ["v1"])
            #expect(try db.columns(in: "readings").map(\.name) == ["id", "point", "value", "quality", "read_at"])
            #expect(
                try db.columns(in: "events").map(\.name) == [
                    "id", "at", "kind", "source", "message", "details", "drill",
                ]
            )
            #expect(
                try db.columns(in: "commands").map(\.name) == [
                    "id", "requested_at", "device", "command", "user", "source", "reason", "result", "error",
                    "stroke_seconds", "drill",
                ]
            )
            let readingIndexes = try db.indexes(on: "readings").map(\.columns)
            #expect(readingIndexes.contains(["point", "read_at"]))
            #expect(readingIndexes.contains(["read_at"]))
            #expect(try db.indexes(on: "events").map(\.columns).contains(["at"]))
            #expect(try db.indexes(on: "commands").map(\.columns).contains(["device", "requested_at"]))
        }
    }

    @Test func reopeningKeepsTheData() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path("h.db")
        let first = try Historian(configuration: testConfiguration(path), logger: LogCapture().logger)
        try first.recordEvent(StoredEvent(kind: "config-load", source: "leveed", message: "first run", at: Date()))
        first.close()

        let second = try Historian(configuration: testConfiguration(path), logger: LogCapture().logger)
        defer { second.close() }
        #expect(try second.events(from: .distantPast, to: .distantFuture).map(\.message) == ["first run"])
    }

    @Test func aDatabaseFromANewerVersionIsRefusedNamingTheFileAndTheMigrations() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path("history.db")
        try Historian(configuration: testConfiguration(path), logger: LogCapture().logger).close()
        let newer = try DatabaseQueue(path: path)
        try newer.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v2'), ('v3-alarm-shelving')")
        }
        try newer.close()

        let error = #expect(throws: HistorianError.self) {
            _ = try Historian(configuration: testConfiguration(path), logger: LogCapture().logger)
        }
        let description = try #require(error?.description)
        #expect(error?.path == path)
        #expect(error?.operation == "open")
        #expect(description.hasPrefix("\(path): open: written by a newer version of Levee"))
        #expect(description.contains("v2, v3-alarm-shelving"))

        // Refusing wrote nothing.
        let check = try DatabaseQueue(path: path)
        defer { try? check.close() }
        #expect(try check.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations") }.count == 3)
    }

    @Test func aFileThatIsNotADatabaseIsRefusedNamingTheFile() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path("history.db")
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: path))

        let error = #expect(throws: HistorianError.self) {
            _ = try Historian(configuration: testConfiguration(path), logger: LogCapture().logger)
        }
        #expect(error?.description.hasPrefix("\(path): open: SQLITE_NOTADB") == true)
    }

    @Test func aMissingDirectoryIsReportedNamingTheFile() throws {
        let path = "/nonexistent-levee-dir/history.db"
        let error = #expect(throws: HistorianError.self) {
            _ = try Historian(configuration: testConfiguration(path), logger: LogCapture().logger)
        }
        #expect(error?.description.hasPrefix("\(path): open: SQLITE_CANTOPEN") == true)
    }
}
