import Foundation
import Logging
import Synchronization
import SystemCalls

/// The one writer of a ``SnapshotFile``: a thread of its own that saves the newest submitted snapshot.
///
/// Callers submit a snapshot while they hold the lock of the state it was taken from, so the order of submission is
/// the order of the state: an older snapshot can never land after a newer one, which two tasks writing the file
/// themselves allowed. Saves are coalesced (only the newest pending one is written), the fsync happens on this
/// thread, never on Swift's cooperative pool, and a caller that must not report an action accepted before it is
/// durable awaits ``durable(_:)``. A failed save is retried every second until it succeeds or a newer snapshot
/// replaces it; callers waiting meanwhile are told of the failure.
public final class SnapshotWriter: Sendable {
    public let path: String
    private let logger: Logger
    private let state: Mutex<State>
    private let wakeUp = DispatchSemaphore(value: 0)
    private let worker = Mutex<WorkerThread?>(nil)

    private struct State: @unchecked Sendable {
        // @unchecked: the file is used only by the writer thread; the struct is only ever behind the Mutex.
        var file: SnapshotFile
        var submitted: UInt64 = 0
        var pending: (sequence: UInt64, data: Data)?
        var written: UInt64 = 0
        var lastError: SnapshotError?
        var waiters: [(sequence: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
        var stopping = false
    }

    /// The snapshot stored when the writer was opened, if any.
    public let initial: Data?

    /// Opens `path` (see ``SnapshotFile``) and starts the writer thread.
    public init(path: String, logger: Logger) throws {
        let file = try SnapshotFile(path: path)
        self.path = path
        self.logger = logger
        self.initial = file.read()
        state = Mutex(State(file: file))
        let thread = WorkerThread(name: "levee-snapshot") { [self] in run() }
        worker.withLock { $0 = thread }
    }

    /// Queues `data` as the newest snapshot and returns its sequence number. Never blocks on the disk. Call it
    /// while holding the lock of the state `data` was taken from.
    @discardableResult
    public func submit(_ data: Data) -> UInt64 {
        let sequence = state.withLock { s in
            s.submitted += 1
            s.pending = (s.submitted, data)
            return s.submitted
        }
        wakeUp.signal()
        return sequence
    }

    /// Returns once the snapshot numbered `sequence`, or a newer one, is on disk.
    ///
    /// - Throws: ``SnapshotError`` when the save failed (the writer keeps retrying).
    public func durable(_ sequence: UInt64) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let outcome: Result<Void, any Error>? = state.withLock { s in
                if s.written >= sequence { return .success(()) }
                if s.stopping { return .failure(SnapshotError(path: path, message: "the writer has stopped")) }
                s.waiters.append((sequence, continuation))
                return nil
            }
            if let outcome { continuation.resume(with: outcome) }
        }
    }

    /// Submits and waits for it to be durable.
    public func save(_ data: Data) async throws {
        try await durable(submit(data))
    }

    /// Writes what is pending and stops the thread.
    public func close() {
        state.withLock { $0.stopping = true }
        wakeUp.signal()
        worker.withLock { $0 }?.join()
    }

    private func run() {
        var retryAfterFailure = false
        while true {
            if retryAfterFailure {
                _ = wakeUp.wait(timeout: .now() + 1)
            } else {
                wakeUp.wait()
            }
            let (job, file, stopping) = state.withLock { s in
                defer { s.pending = nil }
                return (s.pending, s.file, s.stopping)
            }
            if let job {
                do {
                    try file.write(job.data)
                    retryAfterFailure = false
                    let ready = state.withLock { s in
                        s.written = job.sequence
                        if s.lastError != nil {
                            logger.notice("state file written again", metadata: ["file": "\(path)"])
                        }
                        s.lastError = nil
                        let ready = s.waiters.filter { $0.sequence <= job.sequence }
                        s.waiters.removeAll { $0.sequence <= job.sequence }
                        return ready
                    }
                    for w in ready { w.continuation.resume() }
                } catch {
                    let failure = SnapshotError(path: path, message: "\(error)")
                    retryAfterFailure = true
                    let failed = state.withLock { s in
                        if s.pending == nil { s.pending = job }  // retry it unless a newer one came
                        let first = s.lastError == nil
                        s.lastError = failure
                        let failed = s.waiters.filter { $0.sequence <= job.sequence }
                        s.waiters.removeAll { $0.sequence <= job.sequence }
                        return (first, failed)
                    }
                    if failed.0 {
                        logger.critical("state file not saved", metadata: ["file": "\(path)", "error": "\(error)"])
                    }
                    for w in failed.1 { w.continuation.resume(throwing: failure) }
                }
            }
            if stopping && state.withLock({ $0.pending == nil }) { break }
        }
        let left = state.withLock { s in
            defer { s.waiters.removeAll() }
            return s.waiters
        }
        for w in left { w.continuation.resume(throwing: SnapshotError(path: path, message: "the writer has stopped")) }
    }

    /// The last save's failure, while the file cannot be written; nil when it is up to date.
    public var fault: SnapshotError? { state.withLock { $0.lastError } }
}

/// A snapshot that could not be saved, naming the file.
public struct SnapshotError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }
}

extension SnapshotWriter {
    /// Opens the writer for `path`, or logs at critical and returns nil when the file cannot be opened or allocated:
    /// the daemon's safety functions then run on without it rather than not at all.
    public static func openOrLog(path: String, what: String, logger: Logger) -> SnapshotWriter? {
        do {
            return try SnapshotWriter(path: path, logger: logger)
        } catch {
            logger.critical(
                "state file cannot be opened; running without it",
                metadata: ["state": "\(what)", "file": "\(path)", "error": "\(error)"])
            return nil
        }
    }
}
