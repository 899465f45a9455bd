import Dispatch
import Foundation
import GRDB
import Logging
import Synchronization
import SystemCalls

/// An event, a command or a drill report waiting to be written.
enum PendingRecord: Sendable {
    case event(StoredEvent)
    case command(StoredCommand)
    case drill(StoredDrill)
}

/// The historian's state, its database and its writer thread.
///
/// It is apart from the public ``Historian`` so that the writer thread can hold it while `Historian.deinit` asks the
/// thread to stop: the thread then writes what is left and lets go.
///
/// Locking: every mutable field is in `state`, a `Mutex` held only for bookkeeping, never across SQLite work or
/// logging, so that ``Historian/record(_:)`` never waits for the disk. SQLite work is serialised by the
/// `DatabasePool`'s single writer connection.
final class HistorianCore: Sendable {
    struct Fault: Sendable {
        var since: Date
        var started: ContinuousClock.Instant
        var droppedAtStart: Int
    }

    struct State: Sendable {
        var filter: StoreOnChangeFilter
        var readings = SequencedQueue<StoredReading>()
        var records = SequencedQueue<PendingRecord>()
        var fault: Fault?
        var lastError: HistorianError?
        /// Set by a failure that a fresh connection may cure (read-only, I/O error): the writer reopens first.
        var needsReopen = false
        /// Set when a read or write found the file damaged (SQLITE_CORRUPT, SQLITE_NOTADB): the next reopen moves
        /// it aside first, since reopening the same bytes would fail the same way for ever.
        var damage: HistorianError?
        /// Set when the file at `path` is no longer the one open (deleted or replaced): the next reopen lets go of
        /// the old file before opening the path again, and until then nothing is written to the old one.
        var fileChange: HistorianError?
        /// Health changes that happened while nobody subscribed, for the first subscriber: the database is opened
        /// (and a damaged one set aside) before the daemon's alarm service subscribes.
        var unheard: [HistorianHealthChange] = []
        var dropped = 0
        /// Dropping has been logged; cleared when the buffer empties, so each episode is logged once.
        var droppingLogged = false
        var written = 0
        var skipped = 0
        var lastWriteLatency: Duration?
        var lastWriteAt: Date?
        /// No new readings or records are accepted.
        var closed = false
        /// The writer thread has exited.
        var writerExited = false
        var flushWaiters: [FlushWaiter] = []
        var subscribers: [Int: AsyncStream<HistorianHealthChange>.Continuation] = [:]
        var nextSubscriber = 0
    }

    /// The open database's connections, and the identity of the file they opened, to notice the file at the path
    /// being deleted or replaced.
    struct OpenDatabase: Sendable {
        let pool: DatabasePool
        let file: FileIdentity?
    }

    /// A caller of ``Historian/flush()`` waiting for the writer.
    final class FlushWaiter: Sendable {
        let readingTarget: UInt64
        let recordTarget: UInt64
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<HistorianError?>(nil)

        init(readingTarget: UInt64, recordTarget: UInt64) {
            self.readingTarget = readingTarget
            self.recordTarget = recordTarget
        }
    }

    /// Readings per transaction when a backlog is written, so that events and commands get the writer in between.
    static let readingsPerTransaction = 5000

    let configuration: HistorianConfiguration
    let logger: Logger
    let state: Mutex<State>
    /// The writer thread's numbering of point names and qualities, as committed; emptied when the database is
    /// reopened. Apart from `state` because it is read and replaced around SQLite work, not during it.
    let ids = Mutex(Schema.IDCache())
    /// The open database, and the file it was opened on; nil while it cannot be opened, and once closed.
    let database = Mutex<OpenDatabase?>(nil)
    /// Signalled to make the writer run a cycle now instead of at the end of its wait.
    let wakeUp = DispatchSemaphore(value: 0)
    /// The writer thread, once started.
    private let writer = Mutex<WorkerThread?>(nil)
    /// Called with each batch of events once committed (``Historian/observeJournal(_:)``), by observer id.
    let journalObservers = Mutex<[Int: @Sendable ([StoredEvent]) -> Void]>([:])
    let nextJournalObserver = Atomic<Int>(0)

    var path: String { configuration.path }

    /// Opens the database; when it cannot, raises the fault and leaves the opening to the writer thread's retries.
    /// Never throws: the historian is never a precondition for the daemon's safety functions.
    init(configuration: HistorianConfiguration, logger: Logger) {
        var configuration = configuration
        configuration.bufferLimit = max(1, configuration.bufferLimit)
        configuration.recordBufferLimit = max(1, configuration.recordBufferLimit)
        configuration.pruneBatchSize = max(1, configuration.pruneBatchSize)
        configuration.batchInterval = max(0.001, configuration.batchInterval)
        configuration.maxRetryInterval = max(0.001, configuration.maxRetryInterval)
        self.configuration = configuration
        self.logger = logger
        self.state = Mutex(State(filter: StoreOnChangeFilter(heartbeat: configuration.heartbeatSeconds)))
        do {
            try reopen()
        } catch {
            let error = HistorianError(path: configuration.path, operation: "open", error: error)
            logger.critical(
                "historian cannot open the database; running without storage until it can",
                metadata: ["path": "\(configuration.path)", "error": "\(error.message)"]
            )
            noteFailure(error)
        }
    }

    func startWriter() {
        writer.withLock { writer in
            if writer == nil { writer = WorkerThread(name: "levee-historian") { [self] in runWriter() } }
        }
    }

    // MARK: - Opening

    /// Opens the database in WAL mode, refuses one written by a newer version, and migrates it.
    static func open(_ configuration: HistorianConfiguration) throws -> DatabasePool {
        let path = configuration.path
        var config = Configuration()
        config.label = "historian"
        // "SQLITE_BUSY [...] the database file could not be written because of concurrent activity"
        // (https://www.sqlite.org/rescode.html#busy): wait this long for another process's lock before failing.
        config.busyMode = .timeout(configuration.busyTimeout)
        config.prepareDatabase { db in
            // "Limit the size of WAL files left in the file-system after transactions or checkpoints"
            // (https://www.sqlite.org/pragma.html#pragma_journal_size_limit), so one backlog after a long fault
            // does not keep its WAL-sized hole on a small disk.
            try db.execute(sql: "PRAGMA journal_size_limit = 8388608")
        }
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: config)
        } catch {
            throw HistorianError(path: path, operation: "open", error: error)
        }
        do {
            // One setting for every write, on the pool's single writer connection (GRDB sets NORMAL when it turns
            // WAL on, after prepareDatabase, hence here). "In WAL mode when synchronous is FULL the WAL file is
            // synchronized after each transaction commit" (https://www.sqlite.org/pragma.html#pragma_synchronous):
            // events and commands are durable when recordEvent returns. Readings pay the same fsync once per batch
            // (two a second at the default interval), which is cheap; and one writer connection cannot fight itself
            // for the write lock the way a second, FULL-only connection would.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        } catch {
            throw HistorianError(path: path, operation: "open", error: error)
        }
        let migrator = Schema.migrator
        let applied: Set<String>
        do {
            applied = try pool.read { db in try migrator.appliedIdentifiers(db) }
        } catch {
            throw HistorianError(path: path, operation: "open", error: error)
        }
        let unknown = applied.subtracting(migrator.migrations).sorted()
        guard unknown.isEmpty else {
            throw HistorianError(
                path: path, operation: "open",
                message: "written by a newer version of Levee: it has schema migrations this version does not know ("
                    + unknown.joined(separator: ", ") + "; known: " + migrator.migrations.joined(separator: ", ")
                    + "). Refusing to open it; upgrade leveed, or move the file away to start a new history"
            )
        }
        // v1 was edited before release (Schema); a file from a development build before that has "v1" applied
        // and no points table, and every write to it would fail.
        let preRelease: Bool
        do {
            preRelease = try applied.contains("v1") && pool.read { db in try !db.tableExists("points") }
        } catch {
            throw HistorianError(path: path, operation: "open", error: error)
        }
        guard !preRelease else {
            throw HistorianError(
                path: path, operation: "open",
                message: "written by a development build of Levee whose schema v1 stored point names in every "
                    + "reading. Refusing to open it; move the file away to start a new history"
            )
        }
        do {
            try migrator.migrate(pool)
        } catch {
            throw HistorianError(path: path, operation: "migrate", error: error)
        }
        return pool
    }

    /// The open database, or an error saying the historian is closed.
    func pool(for operation: String) throws -> DatabasePool {
        if let open = database.withLock({ $0 }) { return open.pool }
        let (closed, last) = state.withLock { ($0.closed, $0.lastError) }
        if closed { throw HistorianError(path: path, operation: operation, message: "the historian is closed") }
        throw HistorianError(
            path: path, operation: operation,
            message: "the database is not open" + (last.map { ": \($0.message)" } ?? ""),
            resultCode: last?.resultCode
        )
    }

    /// Replaces the connection pool with a new one, for failures a new connection may cure: a file reopened after
    /// it became writable again is opened read-write, where SQLite had fallen back to read-only. Also opens the
    /// database the first time, and after it could not be opened.
    ///
    /// A file found damaged is moved aside first, and a file deleted or replaced while open is let go of first; the
    /// old pool is otherwise closed only once the new one is open, so reads go on during a fault.
    func reopen() throws {
        let (damage, fileChanged) = state.withLock { ($0.damage, $0.fileChange != nil) }
        if damage != nil || fileChanged {
            closeCurrent()
        }
        if let damage {
            try setAside(because: damage)
            state.withLock { $0.damage = nil }
        }
        if fileChanged || damage != nil {
            // The new file starts empty: forget what store-on-change last kept, so every point's next reading is
            // written to it instead of waiting for a change or the heartbeat.
            state.withLock { $0.filter = StoreOnChangeFilter(heartbeat: configuration.heartbeatSeconds) }
        }
        if fileChanged {
            removeOldJournal()
            state.withLock { $0.fileChange = nil }
        }
        let fresh = try openRecoveringDamage()
        let old = database.withLock { open -> OpenDatabase? in
            defer { open = fresh }
            return open
        }
        try? old?.pool.close()
        // The file may not be the one the ids came from (moved away, restored from a backup).
        ids.withLock { $0 = Schema.IDCache() }
        // Debug only: during a fault that a reopen may cure, every retry reopens.
        logger.debug("historian reopened the database", metadata: ["path": "\(path)"])
    }

    // MARK: - Readings

    func record(_ readings: [StoredReading]) {
        let limit = configuration.bufferLimit
        let startedDropping = state.withLock { state -> Bool in
            if state.closed {
                state.dropped += readings.count
                return false
            }
            for reading in readings {
                if state.filter.shouldStore(reading) {
                    state.readings.append(reading)
                } else {
                    state.skipped += 1
                }
            }
            let excess = state.readings.count - limit
            guard excess > 0 else { return false }
            state.dropped += state.readings.removeFirst(upTo: excess)
            guard !state.droppingLogged else { return false }
            state.droppingLogged = true
            return true
        }
        if startedDropping {
            logger.error(
                "historian buffer full, dropping the oldest readings",
                metadata: ["path": "\(path)", "bufferLimit": "\(limit)"]
            )
        }
    }

    // MARK: - Events and commands

    /// Queues `record`; returns whether the database is in fault (the caller then does not try to write).
    /// - Throws: a ``HistorianError`` with fate `.lost` when the record cannot even be queued.
    func enqueue(_ record: PendingRecord, operation: String) throws -> Bool {
        let limit = configuration.recordBufferLimit
        let outcome = state.withLock { state -> Result<Bool, HistorianError> in
            if state.closed {
                return .failure(
                    HistorianError(
                        path: path, operation: operation, message: "the historian is closed", recordFate: .lost
                    )
                )
            }
            if state.records.count >= limit {
                let cause = state.lastError.map { ": \($0.message)" } ?? ""
                return .failure(
                    HistorianError(
                        path: path, operation: operation,
                        message: "\(state.records.count) events and commands are already waiting in memory for the "
                            + "database\(cause)",
                        resultCode: state.lastError?.resultCode, recordFate: .lost
                    )
                )
            }
            state.records.append(record)
            return .success(state.fault != nil)
        }
        return try outcome.get()
    }

    /// The error thrown to a caller whose record was queued because the database is in fault.
    func queuedError(operation: String) -> HistorianError {
        let last = state.withLock { $0.lastError }
        return HistorianError(
            path: path, operation: operation,
            message: last.map { "the database cannot be written: \($0.message)" }
                ?? "the database cannot be written",
            resultCode: last?.resultCode, recordFate: .queuedInMemory
        )
    }

    /// Handles a failed attempt to write queued records on a caller's thread.
    func recordWriteFailed(_ error: any Error, operation: String) -> HistorianError {
        var failure = HistorianError(path: path, operation: operation, error: error)
        noteFailure(failure)
        failure.recordFate = .queuedInMemory
        return failure
    }

    /// Writes every queued event, command and drill in one transaction, then forgets them.
    ///
    /// Runs inside the writer connection's serialised access, so two callers never write the same record twice:
    /// the second sees the queue the first emptied.
    func writeRecords(_ db: Database) throws {
        let batch = state.withLock { $0.records.prefix(Int.max) }
        guard let last = batch.last else { return }
        var written: [StoredEvent] = []
        try db.inTransaction(.immediate) {
            written = []
            for item in batch {
                switch item.element {
                case .event(let event):
                    try Schema.insert(event, db)
                    // As a reader gets it back: with its row id, the time to the millisecond.
                    var stored = event
                    stored.id = db.lastInsertedRowID
                    stored.at = Schema.date(milliseconds: Schema.milliseconds(event.at))
                    written.append(stored)
                case .command(let command): try Schema.insert(command, db)
                case .drill(let drill): try Schema.insert(drill, db)
                }
            }
            return .commit
        }
        state.withLock { _ = $0.records.removeThrough(last.sequence) }
        // Still inside the writer's serialised access: observers see the entries in id order, whichever thread
        // wrote them.
        if !written.isEmpty {
            for observer in journalObservers.withLock({ Array($0.values) }) { observer(written) }
        }
    }

    // MARK: - Health

    var status: HistorianStatus {
        state.withLock { state in
            HistorianStatus(
                healthy: state.fault == nil, lastError: state.lastError, faultSince: state.fault?.since,
                bufferedReadings: state.readings.count, bufferedRecords: state.records.count,
                droppedReadings: state.dropped, writtenReadings: state.written, skippedReadings: state.skipped,
                lastWriteLatency: state.lastWriteLatency, lastWriteAt: state.lastWriteAt
            )
        }
    }

    func healthChanges() -> AsyncStream<HistorianHealthChange> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: HistorianHealthChange.self, bufferingPolicy: .bufferingNewest(64)
        )
        let (id, replay) = state.withLock { state -> (Int, [HistorianHealthChange]) in
            state.nextSubscriber += 1
            state.subscribers[state.nextSubscriber] = continuation
            var replay = state.unheard
            state.unheard = []
            // A subscriber that arrives during a fault learns of it at once.
            if state.fault != nil, let error = state.lastError, !(replay.last?.isFault ?? false) {
                replay.append(.fault(error))
            }
            return (state.nextSubscriber, replay)
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.subscribers.removeValue(forKey: id) }
        }
        for change in replay { continuation.yield(change) }
        return stream
    }

    /// Records a failure: the first one of a fault raises it (log, event, subscribers); later ones update the
    /// status and are logged only when the error changes.
    func noteFailure(_ error: HistorianError) {
        let curable: Set<Int32> = [3, 8, 10, 11, 14, 26]  // PERM, READONLY, IOERR, CORRUPT, CANTOPEN, NOTADB
        let (isNew, changed, subscribers) = state.withLock {
            state -> (Bool, Bool, [AsyncStream<HistorianHealthChange>.Continuation]) in
            let changed = state.lastError?.message != error.message || state.lastError?.resultCode != error.resultCode
            state.lastError = error
            if let code = error.primaryResultCode, curable.contains(code) { state.needsReopen = true }
            // Damage found at open is set aside there; found by a write, it is set aside by the next reopen.
            if error.isDamage, configuration.setsAsideDamage, !["open", "migrate"].contains(error.operation) {
                state.damage = error
            }
            guard state.fault == nil else { return (false, changed, []) }
            let now = Date()
            state.fault = Fault(since: now, started: .now, droppedAtStart: state.dropped)
            // Internal records bypass the limit: they are few, and the fault must be on record.
            state.records.append(
                .event(
                    StoredEvent(
                        kind: "historian-fault", source: "historian",
                        message: "the history database cannot be written: \(error)", at: now,
                        details: Self.json(["path": error.path, "error": error.message, "code": error.resultCode])
                    )
                )
            )
            if state.subscribers.isEmpty { state.keepUnheard(.fault(error)) }
            return (true, changed, Array(state.subscribers.values))
        }
        if isNew {
            logger.error(
                "historian cannot write the database, buffering in memory",
                metadata: ["path": "\(path)", "operation": "\(error.operation)", "error": "\(error.message)"]
            )
            for subscriber in subscribers { subscriber.yield(.fault(error)) }
        } else if changed {
            logger.warning(
                "historian still cannot write the database",
                metadata: ["path": "\(path)", "operation": "\(error.operation)", "error": "\(error.message)"]
            )
        }
    }

    /// Clears the fault after a cycle wrote everything buffered during it, and queues the "recovered" event.
    func noteRecovered() {
        let recovered = state.withLock {
            state -> (Int, Duration, [AsyncStream<HistorianHealthChange>.Continuation])? in
            guard let fault = state.fault else { return nil }
            state.fault = nil
            state.needsReopen = false
            let dropped = state.dropped - fault.droppedAtStart
            let duration = fault.started.duration(to: .now)
            state.records.append(
                .event(
                    StoredEvent(
                        kind: "historian-recovered", source: "historian",
                        message: "the history database can be written again; \(dropped) readings were dropped "
                            + "during the fault",
                        at: Date(),
                        details: Self.json([
                            "path": path, "droppedReadings": dropped,
                            "faultSeconds": (duration / .milliseconds(1)).rounded() / 1000,
                            "faultSince": CSV.timestamp(
                                milliseconds: Schema.milliseconds(fault.since), in: CSV.utc
                            ),
                        ])
                    )
                )
            )
            if state.subscribers.isEmpty {
                state.keepUnheard(.recovered(droppedReadings: dropped, faultDuration: duration))
            }
            return (dropped, duration, Array(state.subscribers.values))
        }
        guard let (dropped, duration, subscribers) = recovered else { return }
        logger.notice(
            "historian writes the database again",
            metadata: ["path": "\(path)", "droppedReadings": "\(dropped)", "faultDuration": "\(duration)"]
        )
        for subscriber in subscribers {
            subscriber.yield(.recovered(droppedReadings: dropped, faultDuration: duration))
        }
    }

    static func json(_ object: [String: Any?]) -> String? {
        let cleaned = object.compactMapValues { $0 }
        guard let data = try? JSONSerialization.data(withJSONObject: cleaned, options: [.sortedKeys]) else {
            return nil
        }
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: - Flush and close

    func flush() throws {
        let waiter = state.withLock { state -> FlushWaiter? in
            guard !state.writerExited else { return nil }
            let waiter = FlushWaiter(
                readingTarget: state.readings.lastSequence, recordTarget: state.records.lastSequence
            )
            state.flushWaiters.append(waiter)
            return waiter
        }
        guard let waiter else {
            let left = state.withLock { $0.readings.count + $0.records.count }
            if left == 0 { return }
            throw HistorianError(
                path: path, operation: "flush", message: "the historian is closed with \(left) records unwritten"
            )
        }
        wakeUp.signal()
        waiter.done.wait()
        if let error = waiter.outcome.withLock({ $0 }) { throw error }
    }

    /// Stops accepting records and asks the writer to write what is left and exit; does not wait.
    func requestStop() {
        state.withLock { $0.closed = true }
        wakeUp.signal()
    }

    func close() {
        requestStop()
        // Every closer waits for the writer.
        writer.withLock { $0 }?.join()
        let (subscribers, left) = state.withLock {
            state -> ([AsyncStream<HistorianHealthChange>.Continuation], (readings: Int, records: Int)) in
            let subscribers = Array(state.subscribers.values)
            state.subscribers = [:]
            return (subscribers, (state.readings.count, state.records.count))
        }
        if let open = database.withLock({ open -> OpenDatabase? in
            defer { open = nil }
            return open
        }) {
            do {
                try open.pool.close()
            } catch {
                logger.warning("historian could not close the database", metadata: ["error": "\(error)"])
            }
        }
        for subscriber in subscribers { subscriber.finish() }
        if left.readings > 0 || left.records > 0 {
            logger.error(
                "historian closed with records unwritten",
                metadata: ["path": "\(path)", "readings": "\(left.readings)", "eventsAndCommands": "\(left.records)"]
            )
        }
    }
}
