import Foundation
import GRDB
import Testing

@testable import Historian

#if canImport(Glibc)
    import Glibc
#endif

/// The database failing under the historian: a full disk, another process's lock, a file that cannot be written.
/// In each, readings buffer, the fault is raised once, and writing resumes by itself when the cause goes away.
///
/// These need root (mount, chattr); each is cancelled with the reason when the machine cannot stage it.
@Suite(.serialized) struct FaultTests {
    /// A filesystem of about a megabyte: an ext4 image on a loop device, or a tmpfs with `size=1m` when loop
    /// devices are unavailable.
    struct TinyFilesystem {
        let mountPoint: String
        let kind: String

        init(in scratch: ScratchDirectory) throws {
            mountPoint = scratch.path("mnt")
            try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
            let image = scratch.path("fs.img")
            if run("truncate", "-s", "2M", image).status == 0, run("mkfs.ext4", "-q", "-m", "0", image).status == 0,
                run("mount", "-o", "loop", image, mountPoint).status == 0
            {
                kind = "ext4 on a loop device"
            } else if run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint).status == 0 {
                kind = "tmpfs"
            } else {
                try Test.cancel(
                    "cannot mount a tiny filesystem (no loop device and no tmpfs mount): disk-full untested")
            }
        }

        func unmount() {
            if run("umount", mountPoint).status != 0 { run("umount", "-l", mountPoint) }
        }

        /// Writes a file until the filesystem has no byte left.
        func fill(_ name: String) throws {
            let fd = open(mountPoint + "/" + name, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            defer { close(fd) }
            let chunk = [UInt8](repeating: 0x55, count: 65536)
            for size in [65536, 4096, 512, 1] {
                while chunk.withUnsafeBytes({ write(fd, $0.baseAddress, size) }) > 0 {}
                guard errno == ENOSPC else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            }
            fsync(fd)
        }
    }

    static func requireRoot() throws {
        if getuid() != 0 { try Test.cancel("needs root to mount filesystems and set file attributes") }
    }

    @Test func diskFullBuffersDropsTheOldestAndResumesInOrder() async throws {
        try Self.requireRoot()
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let filesystem = try TinyFilesystem(in: scratch)
        defer { filesystem.unmount() }
        let path = filesystem.mountPoint + "/history.db"
        var configuration = testConfiguration(path)
        configuration.bufferLimit = 50
        let log = LogCapture()
        let historian = Historian(configuration: configuration, logger: log.logger)
        defer { historian.close() }
        let health = HealthLog(historian)
        defer { health.stop() }

        historian.record(reading("before", 1, at: 0))
        try historian.flush()
        try filesystem.fill("filler")

        // Fill readings in until a write fails: the WAL must grow, and there is no room.
        var recorded = 1
        try await waitUntil("a fault on the full \(filesystem.kind)") {
            historian.record(reading("during", Double(recorded), at: Double(recorded)))
            recorded += 1
            return !historian.status.healthy
        }
        let fault = try #require(historian.status.lastError)
        #expect(fault.path == path)
        #expect(fault.primaryResultCode == 13)
        #expect(fault.description.contains("SQLITE_FULL"))
        #expect(fault.description.hasPrefix(path + ": write"))
        try await waitUntil("the fault on the health stream") { !health.faults.isEmpty }
        #expect(health.faults.first?.message.hasPrefix("SQLITE_FULL") == true)

        // 80 more in one call: the buffer keeps the newest 50 and counts the rest as dropped.
        historian.record((0..<80).map { reading("p", Double($0), at: 10_000 + Double($0)) })
        recorded += 80
        var status = historian.status
        #expect(status.bufferedReadings == 50)
        #expect(status.droppedReadings >= 30)
        #expect(status.writtenReadings + status.bufferedReadings + status.droppedReadings == recorded)

        // An event cannot be written now, but it is kept.
        let eventError = #expect(throws: HistorianError.self) {
            try historian.recordEvent(
                StoredEvent(kind: "alarm", source: "gas-a1", message: "kept for later", at: Date()))
        }
        #expect(eventError?.recordFate == .queuedInMemory)
        #expect(historian.status.bufferedRecords >= 1)

        // Free the space: the writer finds out by itself.
        try FileManager.default.removeItem(atPath: filesystem.mountPoint + "/filler")
        try await waitUntil("recovery") {
            let status = historian.status
            return status.healthy && status.queueDepth == 0
        }
        try historian.flush()
        status = historian.status
        #expect(status.writtenReadings + status.droppedReadings == recorded)

        let p = try await historian.readings(point: "p", from: .distantPast, to: .distantFuture)
        #expect(p.map(\.value) == (30..<80).map { Double($0) })
        #expect(try await historian.readings(point: "before", from: .distantPast, to: .distantFuture).count == 1)

        let events = try await historian.events(from: .distantPast, to: .distantFuture)
        let faults = events.filter { $0.kind == "historian-fault" }
        let recoveries = events.filter { $0.kind == "historian-recovered" }
        #expect(!faults.isEmpty)
        #expect(faults.first?.message.contains("SQLITE_FULL") == true)
        #expect(faults.first?.message.contains(path) == true)
        #expect(recoveries.count == faults.count)
        #expect(events.contains { $0.message == "kept for later" })
        try await waitUntil("the recovery on the health stream") { !health.recoveries.isEmpty }
        #expect(health.recoveries.reduce(0, +) == status.droppedReadings)
        #expect(recoveries.last?.message.contains("readings were dropped") == true)
        #expect(log.messages(.error).contains("historian buffer full, dropping the oldest readings"))
    }

    @Test func aLockHeldByAnotherConnectionIsAFaultUntilReleased() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path("history.db")
        let log = LogCapture()
        let historian = Historian(configuration: testConfiguration(path), logger: log.logger)
        defer { historian.close() }
        let health = HealthLog(historian)
        defer { health.stop() }

        historian.record(reading("a", 0, at: 0))
        try historian.flush()

        var unsafe = Configuration()
        unsafe.allowsUnsafeTransactions = true  // to hold a transaction open across accesses
        let other = try DatabaseQueue(path: path, configuration: unsafe)
        defer { closeQuietly(other) }
        try await other.writeWithoutTransaction { db in try db.execute(sql: "BEGIN EXCLUSIVE") }

        var next = 1
        try await waitUntil("a fault while the lock is held") {
            historian.record(reading("a", Double(next), at: Double(next)))
            next += 1
            return !historian.status.healthy
        }
        // A few more while locked; record never waits for the lock.
        for _ in 0..<20 {
            historian.record(reading("a", Double(next), at: Double(next)))
            next += 1
        }
        let error = try #require(historian.status.lastError)
        #expect(error.primaryResultCode == 5)
        #expect(error.description.hasPrefix("\(path): write"))
        #expect(error.description.contains("SQLITE_BUSY"))
        #expect(historian.status.bufferedReadings >= 20)
        #expect(throws: HistorianError.self) { try historian.flush() }
        let eventError = #expect(throws: HistorianError.self) {
            try historian.recordEvent(
                StoredEvent(kind: "trip", source: "sequencer", message: "while locked", at: Date()))
        }
        #expect(eventError?.recordFate == .queuedInMemory)

        try await other.writeWithoutTransaction { db in try db.execute(sql: "ROLLBACK") }
        try await waitUntil("recovery after the lock is released") {
            let status = historian.status
            return status.healthy && status.queueDepth == 0
        }
        try historian.flush()

        let stored = try await historian.readings(point: "a", from: .distantPast, to: .distantFuture)
        #expect(stored.map(\.value) == (0..<next).map { Double($0) })
        let events = try await historian.events(from: .distantPast, to: .distantFuture)
        #expect(events.map(\.kind) == ["historian-fault", "trip", "historian-recovered"])
        #expect(events.last?.message.contains("0 readings were dropped") == true)
        #expect(historian.status.droppedReadings == 0)
        try await waitUntil("the recovery on the health stream") { !health.recoveries.isEmpty }
        #expect(health.faults.count == 1)
        #expect(health.recoveries == [0])
        // Raised once, however many retries failed.
        #expect(
            log.messages(.error).filter { $0 == "historian cannot write the database, buffering in memory" }.count == 1)
    }

    /// The buffer limit with a deterministic fault: nothing is written while the lock is held, so every count is exact.
    @Test func pastTheBufferLimitTheOldestReadingsAreDroppedAndCounted() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path("history.db")
        var configuration = testConfiguration(path)
        configuration.bufferLimit = 10
        let historian = Historian(configuration: configuration, logger: LogCapture().logger)
        defer { historian.close() }
        let health = HealthLog(historian)
        defer { health.stop() }

        var unsafe = Configuration()
        unsafe.allowsUnsafeTransactions = true
        let other = try DatabaseQueue(path: path, configuration: unsafe)
        defer { closeQuietly(other) }
        try await other.writeWithoutTransaction { db in try db.execute(sql: "BEGIN EXCLUSIVE") }

        historian.record(reading("a", 0, at: 0))
        try await waitUntil("a fault while the lock is held") { !historian.status.healthy }
        historian.record((1..<25).map { reading("a", Double($0), at: Double($0)) })
        #expect(historian.status.bufferedReadings == 10)
        #expect(historian.status.droppedReadings == 15)

        try await other.writeWithoutTransaction { db in try db.execute(sql: "ROLLBACK") }
        try await waitUntil("recovery") { historian.status.healthy && historian.status.queueDepth == 0 }
        let stored = try await historian.readings(point: "a", from: .distantPast, to: .distantFuture)
        #expect(stored.map(\.value) == (15..<25).map { Double($0) })
        try await waitUntil("the recovery on the health stream") { !health.recoveries.isEmpty }
        #expect(health.recoveries == [15])
        let recovered = try await historian.events(from: .distantPast, to: .distantFuture).last
        #expect(recovered?.kind == "historian-recovered")
        #expect(recovered?.details?.contains("\"droppedReadings\":15") == true)
    }

    /// Root ignores file permissions, so "unwritable" is staged with the immutable attribute (`chattr +i`) on the
    /// database and its WAL: writes fail with EPERM (SQLITE_IOERR_WRITE), and a reopened connection falls back to
    /// read-only (SQLITE_READONLY) until the attribute is cleared.
    @Test func anUnwritableFileIsAFaultUntilItCanBeWrittenAgain() async throws {
        try Self.requireRoot()
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let probe = scratch.path("probe")
        try Data().write(to: URL(fileURLWithPath: probe))
        guard run("chattr", "+i", probe).status == 0 else {
            try Test.cancel("chattr +i is not supported here: the unwritable-file case is untested")
        }
        run("chattr", "-i", probe)

        let path = scratch.path("history.db")
        let historian = Historian(configuration: testConfiguration(path), logger: LogCapture().logger)
        defer { historian.close() }
        historian.record(reading("a", 0, at: 0))
        try historian.flush()

        #expect(run("chattr", "+i", path, path + "-wal").status == 0)
        defer { run("chattr", "-i", path, path + "-wal") }
        var next = 1
        try await waitUntil("a fault on the immutable file") {
            historian.record(reading("a", Double(next), at: Double(next)))
            next += 1
            return !historian.status.healthy
        }
        let error = try #require(historian.status.lastError)
        #expect(error.path == path)
        #expect([8, 10].contains(error.primaryResultCode))  // SQLITE_READONLY or SQLITE_IOERR
        // Let a retry reopen the file while it is still immutable.
        try await Task.sleep(for: .milliseconds(300))
        #expect(!historian.status.healthy)

        #expect(run("chattr", "-i", path, path + "-wal").status == 0)
        try await waitUntil("recovery once the file can be written") {
            let status = historian.status
            return status.healthy && status.queueDepth == 0
        }
        try historian.flush()
        let stored = try await historian.readings(point: "a", from: .distantPast, to: .distantFuture)
        #expect(stored.map(\.value) == (0..<next).map { Double($0) })
    }
}
