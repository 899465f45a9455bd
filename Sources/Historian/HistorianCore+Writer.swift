import Dispatch
import Foundation
import GRDB

/// The writer thread: batches readings, retries through faults, prunes.
///
/// It is a dedicated `Thread`, not a task: SQLite calls block (for the busy timeout, for fsync), and Swift's
/// cooperative pool has only as many threads as cores. Its SQLite work goes through the pool's writer connection,
/// which GRDB serialises with the events and commands written from callers' threads.
extension HistorianCore {
    func runWriter() {
        let firstRetry = min(0.25, configuration.maxRetryInterval)
        var retryDelay = firstRetry
        var failedLastCycle = false
        var nextPrune = ContinuousClock.now + .seconds(min(configuration.pruneInterval, 60))
        while true {
            let closing = state.withLock { $0.closed }
            if !closing {
                _ = wakeUp.wait(timeout: .now() + (failedLastCycle ? retryDelay : configuration.batchInterval))
            }
            let (closingNow, attempted) = state.withLock { ($0.closed, $0.flushWaiters) }
            var failure: HistorianError?
            do {
                try writeCycle()
                if configuration.prunesAutomatically, !closingNow, ContinuousClock.now >= nextPrune {
                    nextPrune = .now + .seconds(max(configuration.pruneInterval, 1))
                    let report = try prune(now: Date()) { pool in try writePending(pool) }
                    if report.total > 0 {
                        logger.info(
                            "historian pruned old rows",
                            metadata: [
                                "readings": "\(report.readings)", "events": "\(report.events)",
                                "commands": "\(report.commands)", "transactions": "\(report.transactions)",
                            ]
                        )
                    }
                }
                if failedLastCycle { retryDelay = firstRetry }
                failedLastCycle = false
            } catch {
                let error = HistorianError(path: path, operation: "write", error: error)
                failure = error
                noteFailure(error)
                if failedLastCycle { retryDelay = min(retryDelay * 2, configuration.maxRetryInterval) }
                failedLastCycle = true
            }
            resolveFlushWaiters(attempted: attempted, failure: failure, exiting: closingNow)
            if closingNow { break }
        }
    }

    /// One attempt to write everything queued: (re)opens the database first when it is not open or the last
    /// failure asked for it, checks that the file at the path is still the one open, and declares recovery when a
    /// fault is on.
    func writeCycle() throws {
        if state.withLock({ $0.needsReopen }) || database.withLock({ $0 == nil }) {
            try reopen()
            state.withLock { $0.needsReopen = false }
        }
        try checkFile()
        let pool = try pool(for: "write")
        try writePending(pool)
        if state.withLock({ $0.fault != nil }) {
            noteRecovered()
            try writeRecords(pool)
        }
    }

    /// Writes the queued events and commands, then the readings queued so far, a bounded transaction at a time,
    /// with the events and commands that arrive meanwhile let in between.
    func writePending(_ pool: DatabasePool) throws {
        let target = state.withLock { $0.readings.lastSequence }
        try writeRecords(pool)
        while try writeReadings(pool, through: target) {
            try writeRecords(pool)
        }
    }

    func writeRecords(_ pool: DatabasePool) throws {
        do {
            try pool.writeWithoutTransaction { db in try writeRecords(db) }
        } catch {
            throw HistorianError(path: path, operation: "write events and commands", error: error)
        }
    }

    /// Writes one transaction of readings up to sequence `target`; returns whether some remain.
    func writeReadings(_ pool: DatabasePool, through target: UInt64) throws -> Bool {
        let chunk = state.withLock { $0.readings.prefix(Self.readingsPerTransaction, through: target) }
        guard let last = chunk.last else { return false }
        let start = ContinuousClock.now
        do {
            try pool.writeWithoutTransaction { db in
                var ids = self.ids.withLock { $0 }
                try db.inTransaction(.immediate) {
                    try Schema.insert(chunk.lazy.map(\.element), db, ids: &ids)
                    return .commit
                }
                self.ids.withLock { $0 = ids }
            }
        } catch {
            throw HistorianError(path: path, operation: "write readings", error: error)
        }
        let latency = start.duration(to: .now)
        return state.withLock { state in
            let removed = state.readings.removeThrough(last.sequence)
            // Readings dropped for room while this transaction ran are in the database after all.
            state.dropped -= chunk.count - removed
            state.written += chunk.count
            state.lastWriteLatency = latency
            state.lastWriteAt = Date()
            if state.readings.isEmpty { state.droppingLogged = false }
            return !state.readings.isPast(target)
        }
    }

    /// Wakes the callers of `flush()` whose records are written, those the failed cycle attempted, and every one
    /// when the writer exits.
    func resolveFlushWaiters(attempted: [FlushWaiter], failure: HistorianError?, exiting: Bool) {
        let ready = state.withLock { state -> [(FlushWaiter, HistorianError?)] in
            if exiting { state.writerExited = true }
            var ready: [(FlushWaiter, HistorianError?)] = []
            var remaining: [FlushWaiter] = []
            for waiter in state.flushWaiters {
                let written =
                    state.readings.isPast(waiter.readingTarget) && state.records.isPast(waiter.recordTarget)
                if written {
                    ready.append((waiter, nil))
                } else if let failure, attempted.contains(where: { $0 === waiter }) {
                    ready.append((waiter, failure))
                } else if exiting {
                    let closed = HistorianError(
                        path: path, operation: "flush", message: "the historian closed before writing everything"
                    )
                    ready.append((waiter, failure ?? closed))
                } else {
                    remaining.append(waiter)
                }
            }
            state.flushWaiters = remaining
            return ready
        }
        for (waiter, error) in ready {
            waiter.outcome.withLock { $0 = error }
            waiter.done.signal()
        }
    }
}
