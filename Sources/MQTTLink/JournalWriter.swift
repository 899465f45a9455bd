import Foundation
import Logging
import Synchronization
import SystemCalls

/// The journal's own thread: appends (with fdatasync), acknowledgements and rewrites happen here, so neither
/// `publish` (called from control code) nor the network thread ever waits for the disk.
///
/// Operations run in the order they were queued. `publish` queues a message's append under the client's lock,
/// before the message can be sent, so its acknowledgement always comes after it.
final class JournalWriter: @unchecked Sendable {
    // @unchecked: `queue`, `finishing`, `started` and `thread` are guarded by `condition`; `file`, `degraded` and
    // `backoff` are touched only by the journal thread once it runs (and by init before that); `hooks` is behind its
    // mutex.
    enum Operation: Sendable {
        case append(seq: UInt64, OutboxMessage)
        case acknowledge(seq: UInt64)
    }

    /// What the writer needs of the client to catch up after a fault.
    struct Hooks: Sendable {
        /// The durable messages the outbox holds now, by seq, in order.
        var durable: @Sendable () -> [(seq: UInt64, message: OutboxMessage)]
        /// Takes into the outbox the messages of a journal that could only be opened late (it held an earlier
        /// run's undelivered messages); they are sent after what is queued, rather than lost.
        var adopt: @Sendable ([OutboxMessage]) -> Void
        /// The journal's fault in words, or nil once it writes again.
        var fault: @Sendable (String?) -> Void
    }

    /// The first wait before the journal is tried again after a fault, and the longest.
    static let retryFirst = 1.0
    static let retryMost = 30.0

    let path: String
    private var file: JournalFile?
    private let logger: Logger
    private let condition = NSCondition()
    private var queue: [Operation] = []
    private var finishing = false
    private var started = false
    /// The journal's thread, once started.
    private var thread: WorkerThread?
    private let errors = Atomic<UInt64>(0)
    private let hooks = Mutex<Hooks?>(nil)
    /// The file is missing or a write failed: queued operations are dropped (the outbox still has the messages)
    /// and the whole durable set is written once the file can be (re)opened, with backoff.
    private var degraded: Bool
    private var backoff = JournalWriter.retryFirst

    /// `file` is nil when the journal could not be opened at start-up: the writer keeps trying to open it.
    init(path: String, file: JournalFile?, logger: Logger) {
        self.path = path
        self.file = file
        self.logger = logger
        self.degraded = file == nil
    }

    func attach(_ hooks: Hooks) { self.hooks.withLock { $0 = hooks } }

    /// Failed journal writes so far.
    var errorCount: UInt64 { errors.load(ordering: .relaxed) }

    func start() {
        condition.lock()
        defer { condition.unlock() }
        guard !started else { return }
        started = true
        thread = WorkerThread(name: "mqtt-journal") { [self] in run() }
    }

    func enqueue(_ operation: Operation) {
        condition.lock()
        queue.append(operation)
        condition.signal()
        condition.unlock()
    }

    /// Writes everything queued, closes the file and ends the thread. Blocks the caller: call it from a thread
    /// that may block (the network thread does, as it exits).
    func finish() {
        condition.lock()
        finishing = true
        let running = thread
        started = true
        condition.signal()
        condition.unlock()
        if let running {
            running.join()
        } else {
            run()
        }
    }

    private func run() {
        var retryAt = Date()
        while true {
            condition.lock()
            while queue.isEmpty && !finishing {
                if degraded {
                    if !condition.wait(until: retryAt) { break }
                } else {
                    condition.wait()
                }
            }
            let batch = queue
            queue.removeAll()
            let finishingNow = finishing
            condition.unlock()
            if degraded && (Date() >= retryAt || finishingNow) {
                // The outbox is the truth: what this batch asked is in the durable set written now.
                if catchUp() {
                    degraded = false
                    backoff = Self.retryFirst
                } else {
                    retryAt = Date().addingTimeInterval(backoff)
                    backoff = min(backoff * 2, Self.retryMost)
                }
            } else if !degraded {
                for operation in batch where !perform(operation) {
                    degraded = true
                    retryAt = Date().addingTimeInterval(backoff)
                    break
                }
            }
            if finishingNow && (batch.isEmpty || degraded) { break }
        }
        file?.close()
    }

    /// Opens the journal if it was not, and rewrites it with every durable message the outbox holds.
    private func catchUp() -> Bool {
        guard let hooks = hooks.withLock({ $0 }) else { return false }
        do {
            if file == nil {
                let (opened, loaded) = try JournalFile.open(path: path)
                file = opened
                if !loaded.messages.isEmpty {
                    logger.notice(
                        "MQTT journal opened late; its earlier messages are queued after this run's",
                        metadata: ["path": "\(path)", "count": "\(loaded.messages.count)"])
                    hooks.adopt(loaded.messages.map(\.message))
                }
            }
            try file?.replace(with: hooks.durable())
            hooks.fault(nil)
            logger.notice("MQTT journal writable again; durable messages are on disk", metadata: ["path": "\(path)"])
            return true
        } catch {
            hooks.fault(error.description)
            logger.error(
                "MQTT journal still cannot be written; durable messages stay in memory",
                metadata: ["error": "\(error)", "path": "\(path)", "retry_s": "\(backoff)"])
            return false
        }
    }

    private func perform(_ operation: Operation) -> Bool {
        guard let file else { return false }
        do {
            switch operation {
            case .append(let seq, let message): try file.append(seq: seq, message)
            case .acknowledge(let seq): try file.acknowledge(seq: seq)
            }
            return true
        } catch {
            logger.error(
                "MQTT journal write failed; durable messages stay in memory until it can be written again",
                metadata: ["error": "\(error)", "path": "\(file.path)"])
            errors.add(1, ordering: .relaxed)
            hooks.withLock { $0 }?.fault(error.description)
            return false
        }
    }
}
