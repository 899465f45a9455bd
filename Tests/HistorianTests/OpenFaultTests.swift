import Foundation
import GRDB
import Testing

@testable import Historian

/// The database failing before or under the historian in ways a retry cannot cure on its own: a damaged file at
/// start, an unwritable directory, a full disk at open, the file deleted while running. In each, `init` does not
/// throw, the fault names the file and the error, and writing resumes by itself: the historian is never a
/// precondition for the daemon's safety functions.
@Suite(.serialized) struct OpenFaultTests {
    /// A real database of `count` readings, checkpointed so that everything is in the main file and no WAL is left.
    static func realDatabase(_ path: String, count: Int) throws -> Data {
        let historian = Historian(configuration: testConfiguration(path), logger: LogCapture().logger)
        historian.record((0..<count).map { reading("p\($0 % 7)", Double($0), at: Double($0)) })
        try historian.flush()
        historian.close()
        let queue = try DatabaseQueue(path: path)
        _ = try queue.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        try queue.close()
        try? FileManager.default.removeItem(atPath: path + "-wal")
        try? FileManager.default.removeItem(atPath: path + "-shm")
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    static func randomBytes(_ count: Int) -> Data {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    enum Damage: String, CaseIterable, Sendable {
        /// Random bytes: no SQLite header at all.
        case garbled
        /// A real database's first 100 bytes (a valid header), then random bytes.
        case garbledBehindAValidHeader
        /// A real database cut in half.
        case truncated
    }

    @Test(arguments: Damage.allCases)
    func aDamagedFileIsMovedAsideAndANewDatabaseStarted(_ damage: Damage) async throws {
        let scratch = try ScratchDirectory("damaged-\(damage.rawValue)")
        defer { scratch.remove() }
        let path = scratch.path("history.db")
        let original: Data
        switch damage {
        case .garbled:
            original = Self.randomBytes(65536)
        case .garbledBehindAValidHeader:
            let real = try Self.realDatabase(scratch.path("real.db"), count: 10)
            original = real.prefix(100) + Self.randomBytes(65536 - 100)
        case .truncated:
            let real = try Self.realDatabase(path, count: 20_000)
            original = real.prefix(real.count / 2)
        }
        try original.write(to: URL(fileURLWithPath: path))

        let log = LogCapture()
        let historian = Historian(configuration: testConfiguration(path), logger: log.logger)
        defer { historian.close() }
        let health = HealthLog(historian)
        defer { health.stop() }

        let error = try #require(historian.status.lastError)
        #expect(error.path == path)
        #expect(error.operation == "open")
        #expect(error.isDamage, "\(error)")
        #expect(error.description.hasPrefix("\(path): open: SQLITE_"), "\(error)")
        let names = try FileManager.default.contentsOfDirectory(atPath: scratch.url.path)
        let aside = try #require(names.first { $0.hasPrefix("history.db.damaged-") && !$0.hasSuffix("-wal") })
        #expect(error.message.contains(scratch.path(aside)), "\(error)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.path(aside))) == original)
        #expect(log.messages(.critical).contains("historian moved a damaged database aside and starts a new one"))
        // The first subscriber hears of it even though it subscribed after the historian opened.
        try await waitUntil("the fault on the health stream") { !health.faults.isEmpty }

        historian.record(reading("after", 42, at: 0))
        try await waitUntil("recovery") { historian.status.healthy && historian.status.queueDepth == 0 }
        try await historian.recordEvent(StoredEvent(kind: "trip", source: "sequencer", message: "after", at: Date()))
        try historian.flush()
        let stored = try await historian.readings(point: "after", from: .distantPast, to: .distantFuture)
        #expect(stored.map(\.value) == [42])
        let events = try await historian.events(from: .distantPast, to: .distantFuture)
        #expect(events.map(\.kind) == ["historian-fault", "historian-recovered", "trip"])
        #expect(events.first?.message.contains(scratch.path(aside)) == true)
        // The damaged file is still there, as it was, for inspection.
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.path(aside))) == original)
    }

    /// Root ignores permissions, so the directory is made unwritable with `chattr +i`: the file cannot be created.
    @Test func anUnwritableDirectoryAtOpenIsAFaultUntilItCanBeWritten() async throws {
        try FaultTests.requireRoot()
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let directory = scratch.path("db")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard run("chattr", "+i", directory).status == 0 else {
            try Test.cancel("chattr +i is not supported here: the unwritable-directory case is untested")
        }
        defer { run("chattr", "-i", directory) }
        let path = directory + "/history.db"

        let historian = Historian(configuration: testConfiguration(path), logger: LogCapture().logger)
        defer { historian.close() }
        let health = HealthLog(historian)
        defer { health.stop() }
        #expect(!historian.status.healthy)
        let error = try #require(historian.status.lastError)
        #expect(error.path == path)
        #expect(error.description.hasPrefix("\(path): open: SQLITE_CANTOPEN"), "\(error)")
        try await waitUntil("the fault on the health stream") { !health.faults.isEmpty }

        historian.record(reading("a", 1, at: 1))
        let kept = #expect(throws: HistorianError.self) {
            try historian.recordEvent(StoredEvent(kind: "trip", source: "sequencer", message: "kept", at: Date()))
        }
        #expect(kept?.recordFate == .queuedInMemory)
        // Retries do not cure it while the directory stays unwritable.
        try await Task.sleep(for: .milliseconds(300))
        #expect(!historian.status.healthy)
        #expect(historian.status.bufferedReadings == 1)

        #expect(run("chattr", "-i", directory).status == 0)
        try await waitUntil("recovery once the directory can be written") {
            historian.status.healthy && historian.status.queueDepth == 0
        }
        historian.record(reading("a", 2, at: 2))
        try historian.flush()
        let stored = try await historian.readings(point: "a", from: .distantPast, to: .distantFuture)
        #expect(stored.map(\.value) == [1, 2])
        let events = try await historian.events(from: .distantPast, to: .distantFuture)
        #expect(events.map(\.kind) == ["historian-fault", "trip", "historian-recovered"])
        try await waitUntil("the recovery on the health stream") { !health.recoveries.isEmpty }
    }

    @Test func aFullDiskAtOpenIsAFaultUntilThereIsRoom() async throws {
        try FaultTests.requireRoot()
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let filesystem = try FaultTests.TinyFilesystem(in: scratch)
        defer { filesystem.unmount() }
        try filesystem.fill("filler")
        let path = filesystem.mountPoint + "/history.db"

        let historian = Historian(configuration: testConfiguration(path), logger: LogCapture().logger)
        defer { historian.close() }
        #expect(!historian.status.healthy)
        let error = try #require(historian.status.lastError)
        #expect(error.path == path)
        #expect(error.description.hasPrefix(path + ": "), "\(error)")
        #expect(!error.isDamage, "\(error)")
        historian.record(reading("a", 1, at: 1))
        try await Task.sleep(for: .milliseconds(300))
        #expect(!historian.status.healthy)

        try FileManager.default.removeItem(atPath: filesystem.mountPoint + "/filler")
        try await waitUntil("recovery once there is room on the \(filesystem.kind)") {
            historian.status.healthy && historian.status.queueDepth == 0
        }
        historian.record(reading("a", 2, at: 2))
        try historian.flush()
        let stored = try await historian.readings(point: "a", from: .distantPast, to: .distantFuture)
        #expect(stored.map(\.value) == [1, 2])
        let names = try FileManager.default.contentsOfDirectory(atPath: filesystem.mountPoint)
        #expect(!names.contains { $0.contains("damaged") }, "\(names)")
    }

    /// A backup restored over the running daemon's file (`mv backup.db history.db`): the historian opens the file
    /// now at the path and writes there, instead of going on with the one that was replaced.
    @Test func aFileReplacedWhileRunningIsOpenedAgainAtThePath() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path("history.db")
        let backup = scratch.path("backup.db")
        // Checkpointed, without a -wal: as `sqlite3 .backup` leaves a backup. Point p0 holds one reading, 0.
        _ = try Self.realDatabase(backup, count: 7)

        let historian = Historian(configuration: testConfiguration(path), logger: LogCapture().logger)
        defer { historian.close() }
        historian.record(reading("replaced", 1, at: 0))
        try historian.flush()
        #expect(rename(backup, path) == 0)
        try await waitUntil("the replacement noticed") {
            historian.status.lastError?.message.contains("replaced while open") == true
        }
        try await waitUntil("the file at the path opened") {
            historian.status.healthy && historian.status.queueDepth == 0
        }
        historian.record(reading("p0", 100, at: 100))
        try historian.flush()
        let stored = try await historian.readings(point: "p0", from: .distantPast, to: .distantFuture)
        #expect(stored.map(\.value) == [0, 100])
        #expect(try await historian.readings(point: "replaced", from: .distantPast, to: .distantFuture).isEmpty)
    }

    /// `rm history.db` under the running daemon: without the check, every later write would go to the unlinked
    /// file and be lost.
    @Test func aFileDeletedWhileRunningIsAFaultAndANewDatabaseIsCreatedAtThePath() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path("history.db")
        let historian = Historian(configuration: testConfiguration(path), logger: LogCapture().logger)
        defer { historian.close() }
        let health = HealthLog(historian)
        defer { health.stop() }
        historian.record(reading("before", 1, at: 0))
        try historian.flush()

        try FileManager.default.removeItem(atPath: path)
        historian.record(reading("after", 2, at: 1))
        try await waitUntil("the deletion noticed") { historian.status.lastError != nil }
        let error = try #require(historian.status.lastError)
        #expect(error.path == path)
        #expect(error.description.contains("deleted while open"), "\(error)")
        try await waitUntil("the fault on the health stream") { !health.faults.isEmpty }
        try await waitUntil("a new database at the path") {
            historian.status.healthy && historian.status.queueDepth == 0 && FileManager.default.fileExists(atPath: path)
        }
        historian.record(reading("after", 3, at: 2))
        try await historian.recordEvent(StoredEvent(kind: "trip", source: "sequencer", message: "after", at: Date()))
        try historian.flush()

        // What was written after the deletion is in the new file, read back by an independent connection.
        let check = try DatabaseQueue(path: path)
        defer { try? check.close() }
        let values = try await check.read { db in
            try Double.fetchAll(
                db,
                sql: "SELECT value FROM readings JOIN points ON points.id = point_id WHERE name = ? ORDER BY read_at",
                arguments: ["after"]
            )
        }
        #expect(values == [2, 3])
        let kinds = try await check.read { db in try String.fetchAll(db, sql: "SELECT kind FROM events ORDER BY id") }
        #expect(kinds == ["historian-fault", "historian-recovered", "trip"])
        try await waitUntil("the recovery on the health stream") { !health.recoveries.isEmpty }
    }
}
