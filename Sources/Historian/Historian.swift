import Foundation
import GRDB
import Logging

/// Stores readings, events, commands and drill reports in an SQLite database, and keeps them in memory while it
/// cannot.
///
/// The daemon hands it plain records; it knows nothing of buses or devices.
/// - Readings go through ``record(_:)``, which never blocks and never throws: a background thread writes them in
///   batches, so a slow or broken disk never holds up control.
/// - Events and commands go through ``recordEvent(_:)`` and ``recordCommand(_:)``, which return once the record is
///   committed and synced to disk, and throw when it is not (saying whether it was kept in memory for later).
///   Drill reports go through ``saveDrill(_:)`` the same way.
/// - When the database cannot be opened or written (disk full, locked, read-only, I/O error), the historian raises a
///   fault once (``status``, ``healthChanges()``, a `historian-fault` event), buffers, retries with backoff, and on
///   recovery writes the backlog in order and records a `historian-recovered` event with the readings it dropped.
///   A damaged file is moved aside and a new one started; a file deleted or replaced while open is noticed by the
///   writer (its device and inode) and the path opened again.
///
/// Call ``close()`` before exit: it writes what is queued. Dropping the last reference also stops the writer thread
/// after a last write, without waiting for it.
public final class Historian: Sendable {
    let core: HistorianCore

    /// Opens or creates the database at `configuration.path` (WAL mode) and brings its schema up to date.
    ///
    /// Never throws: the historian is never a precondition for safety. When the database cannot be opened (disk
    /// full, directory unwritable, I/O error) the historian starts in fault (``status``, ``healthChanges()``),
    /// keeps records in memory up to its limits, and its writer thread retries opening with backoff. A damaged file
    /// (not a database, corrupt, truncated) is moved aside to `<path>.damaged-<UTC time>` with its `-wal` and `-shm`
    /// and a new database is started. A file written by a newer version of Levee (migrations this version does not
    /// know) is left untouched: the historian stays in fault, saying so, without storage.
    public init(configuration: HistorianConfiguration, logger: Logger) {
        core = HistorianCore(configuration: configuration, logger: logger)
        core.startWriter()
        if core.status.healthy {
            logger.info("historian opened the database", metadata: ["path": "\(configuration.path)"])
        }
    }

    deinit {
        core.requestStop()
    }

    /// The configuration in use (limits clamped to sane minimums).
    public var configuration: HistorianConfiguration { core.configuration }

    // MARK: - Readings

    /// Queues the readings worth storing, by the store-on-change rule (``StoredReading``), for the writer thread.
    ///
    /// Never blocks on the database and never throws: it takes a lock for as long as it takes to append to an array.
    /// While the database is in fault, readings stay in memory up to `bufferLimit`, then the oldest are dropped and
    /// counted in ``status``.
    public func record(_ readings: [StoredReading]) {
        core.record(readings)
    }

    /// Queues one reading, as `record([reading])` does.
    public func record(_ reading: StoredReading) {
        core.record([reading])
    }

    // MARK: - Events and commands

    /// Writes `event` and returns once it is committed and synced to disk.
    ///
    /// Blocks the calling thread for the write (an fsync, or up to `busyTimeout` when another process holds the
    /// lock); from async code the `async` overload waits without holding a thread of the cooperative pool.
    /// - Throws: ``HistorianError`` when the event is not on disk. Its `recordFate` says whether the event was kept in
    ///   memory to be written, in order, when the database recovers (`.queuedInMemory`), or not kept (`.lost`: the
    ///   in-memory queue is full, or the historian is closed). While the database is in fault the call does not
    ///   touch it and throws `.queuedInMemory` at once; the writer thread retries.
    public func recordEvent(_ event: StoredEvent) throws {
        try recordDurably(.event(event), operation: "record event")
    }

    /// Writes `event` and returns once it is committed and synced to disk; see ``recordEvent(_:)-(StoredEvent)``.
    public func recordEvent(_ event: StoredEvent) async throws {
        try await recordDurably(.event(event), operation: "record event")
    }

    /// Writes `command` and returns once it is committed and synced to disk; errors as for ``recordEvent(_:)``.
    public func recordCommand(_ command: StoredCommand) throws {
        try recordDurably(.command(command), operation: "record command")
    }

    /// Writes `command` and returns once it is committed and synced to disk; errors as for ``recordEvent(_:)``.
    public func recordCommand(_ command: StoredCommand) async throws {
        try await recordDurably(.command(command), operation: "record command")
    }

    // MARK: - Journal observers

    /// Calls `body` with each batch of events as it is committed, in id order, each with its row id and its time
    /// to the millisecond, exactly as a reader of the database gets it back: the live feed of the journal
    /// (leveed's `watch`, which levee-web fans out to its live streams), so that no reader has to poll the table.
    ///
    /// `body` runs on the thread that wrote the batch, inside the writer's serialised access, before any later
    /// batch is written: it must return at once, and must neither block nor call back into the historian. Events
    /// written before the call are not repeated: a new observer catches up from the database (ids only grow).
    ///
    /// - Returns: the id to pass to ``removeJournalObserver(_:)``.
    @discardableResult
    public func observeJournal(_ body: @escaping @Sendable ([StoredEvent]) -> Void) -> Int {
        let id = core.nextJournalObserver.add(1, ordering: .relaxed).newValue
        core.journalObservers.withLock { $0[id] = body }
        return id
    }

    public func removeJournalObserver(_ id: Int) {
        _ = core.journalObservers.withLock { $0.removeValue(forKey: id) }
    }

    // MARK: - Drills

    /// Stores a drill report, replacing the one with the same id, and returns once it is committed and synced to disk.
    ///
    /// Save a drill when it starts and again when it finishes, so that a daemon killed in between leaves the start on
    /// record. It goes through the same queue as events and commands, in order with them, and fails the same way:
    /// errors as for ``recordEvent(_:)``. Retention never deletes drills.
    public func saveDrill(_ d: StoredDrill) throws {
        try recordDurably(.drill(d), operation: "save drill")
    }

    /// Stores a drill report and returns once it is committed and synced to disk; see ``saveDrill(_:)-(StoredDrill)``.
    public func saveDrill(_ d: StoredDrill) async throws {
        try await recordDurably(.drill(d), operation: "save drill")
    }

    private func recordDurably(_ record: PendingRecord, operation: String) throws {
        // The one door into the journal: text from people is escaped here, whoever sent it.
        let record = record.escaped
        // In fault, the writer thread retries on its own backoff; waking it for every record would turn a burst of
        // events into a burst of doomed writes.
        if try core.enqueue(record, operation: operation) {
            throw core.queuedError(operation: operation)
        }
        do {
            let pool = try core.pool(for: operation)
            try pool.writeWithoutTransaction { db in
                try core.checkFile()
                try core.writeRecords(db)
            }
        } catch {
            throw core.recordWriteFailed(error, operation: operation)
        }
    }

    private func recordDurably(_ record: PendingRecord, operation: String) async throws {
        let record = record.escaped
        // In fault, the writer thread retries on its own backoff; waking it for every record would turn a burst of
        // events into a burst of doomed writes.
        if try core.enqueue(record, operation: operation) {
            throw core.queuedError(operation: operation)
        }
        do {
            let pool = try core.pool(for: operation)
            try await pool.writeWithoutTransaction { [core] db in
                try core.checkFile()
                try core.writeRecords(db)
            }
        } catch {
            throw core.recordWriteFailed(error, operation: operation)
        }
    }

    // MARK: - Health

    /// Health and counters, for the status page and metrics.
    public var status: HistorianStatus { core.status }

    /// A new stream of faults and recoveries. A subscriber that arrives during a fault gets it at once, and the
    /// first one also gets what happened before anyone subscribed (a damaged file set aside at open, and its
    /// recovery), so the alarm is raised even when the fault was over before the daemon's services started. The
    /// stream finishes when the historian closes.
    public func healthChanges() -> AsyncStream<HistorianHealthChange> {
        core.healthChanges()
    }

    // MARK: - Flush, retention and close

    /// Blocks until every reading, event and command queued before the call is written.
    ///
    /// - Throws: ``HistorianError`` when the writer tried and the database is in fault (the records stay queued),
    ///   or when the historian closed first.
    public func flush() throws {
        try core.flush()
    }

    /// Deletes readings, events and commands older than each table's retention (drills are kept), in transactions of at most `pruneBatchSize` rows so that
    /// writing goes on between them. The writer thread runs this every `pruneInterval`; call it for tests or tools.
    ///
    /// Readings are walked from the oldest in the order they were written, and the walk stops at the first batch
    /// holding one inside the retention; an old reading written after a newer one (the clock stepped back) may so
    /// outlive its retention until a later run. No reading is deleted before its time.
    ///
    /// - Parameter now: the time retention counts back from.
    @discardableResult
    public func prune(now: Date = Date()) throws -> PruneReport {
        try core.prune(now: now)
    }

    /// Writes what is queued, stops the writer thread and closes the database.
    ///
    /// After it, ``record(_:)`` drops and counts, and the other calls throw. Records still unwritten because the
    /// database is in fault are logged as lost. Calling it again does nothing.
    public func close() {
        core.close()
    }
}
