import Foundation
import GRDB
import Synchronization

/// What the HTTP API reads from the historian: a point's readings and trends, and the journal by time or by id.
/// The daemon's `Historian` serves it in process; levee-web reads the same file through `HistorianReader`.
public protocol HistoryReading: Sendable {
    func readings(point: String, from: Date, to: Date) async throws -> [StoredReading]
    func readingCount(point: String, from: Date, to: Date) async throws -> Int
    func readingBuckets(point: String, from: Date, to: Date, step: Double) async throws -> [ReadingBucket]
    func knowsPoint(_ point: String) async throws -> Bool
    func events(from: Date, to: Date, limit: Int?) async throws -> [StoredEvent]
    func events(afterID id: Int64, limit: Int) async throws -> [StoredEvent]
    func lastEventID() async throws -> Int64?
}

extension Historian: HistoryReading {}

/// The historian's database opened read-only, by a process other than the daemon that writes it (levee-web).
///
/// SQLite in WAL mode lets readers in other processes read while the daemon writes, without blocking it: a reader
/// sees the last committed state and never takes the write lock. This connection cannot write, migrate, prune or
/// move a damaged file aside, all of which stay the daemon's business. The file is opened at the first read, and
/// again after a failure, so levee-web may start before leveed has created it.
public final class HistorianReader: HistoryReading {
    public let path: String
    private let pool = Mutex<DatabasePool?>(nil)

    public init(path: String) {
        self.path = path
    }

    private func open() throws -> DatabasePool {
        if let pool = pool.withLock({ $0 }) { return pool }
        guard FileManager.default.fileExists(atPath: path) else {
            throw HistorianError(path: path, operation: "open", message: "no database yet (has leveed started?)")
        }
        var config = Configuration()
        config.label = "historian-reader"
        config.readonly = true
        config.busyMode = .timeout(5)
        do {
            let opened = try DatabasePool(path: path, configuration: config)
            pool.withLock { $0 = opened }
            return opened
        } catch {
            throw HistorianError(path: path, operation: "open", error: error)
        }
    }

    private func read<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T)
        async throws -> T
    {
        let pool = try open()
        do {
            return try await pool.readOffPool(path: path, operation: operation, body)
        } catch {
            // Reopened at the next read: the daemon may have set a damaged file aside and started a new one.
            self.pool.withLock { $0 = nil }
            throw HistorianError(path: path, operation: operation, error: error)
        }
    }

    public func readings(point: String, from: Date, to: Date) async throws -> [StoredReading] {
        try await read("query readings") { db in try Historian.readings(db, point: point, from: from, to: to) }
    }

    public func readingCount(point: String, from: Date, to: Date) async throws -> Int {
        try await read("query readings") { db in try Historian.count(db, point: point, from: from, to: to) }
    }

    public func readingBuckets(point: String, from: Date, to: Date, step: Double) async throws -> [ReadingBucket] {
        try await read("query readings") { db in
            try Historian.buckets(db, point: point, from: from, to: to, step: step)
        }
    }

    public func knowsPoint(_ point: String) async throws -> Bool {
        try await read("query readings") { db in try Historian.pointID(db, point) != nil }
    }

    public func events(from: Date, to: Date, limit: Int?) async throws -> [StoredEvent] {
        try await read("query events") { db in try Historian.events(db, from: from, to: to, limit: limit) }
    }

    public func events(afterID id: Int64, limit: Int) async throws -> [StoredEvent] {
        try await read("query events") { db in try Historian.events(db, afterID: id, limit: limit) }
    }

    public func lastEventID() async throws -> Int64? {
        try await read("query events") { db in try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM events") }
    }
}
