import Foundation
import Logging
import Synchronization

/// The journal's own thread: appends (with fdatasync), acknowledgements and rewrites happen here, so neither
/// `publish` (called from control code) nor the network thread ever waits for the disk.
///
/// Operations run in the order they were queued. `publish` queues a message's append under the client's lock,
/// before the message can be sent, so its acknowledgement always comes after it.
final class JournalWriter: @unchecked Sendable {
    // @unchecked: `queue`, `finishing` and `started` are guarded by `condition`; `file` is touched only by the
    // journal thread once it runs (and by init before that).
    enum Operation: Sendable {
        case append(seq: UInt64, OutboxMessage)
        case acknowledge(seq: UInt64)
    }

    private let file: JournalFile
    private let logger: Logger
    private let condition = NSCondition()
    private var queue: [Operation] = []
    private var finishing = false
    private var started = false
    private let exited = DispatchSemaphore(value: 0)
    private let errors = Atomic<UInt64>(0)

    init(file: JournalFile, logger: Logger) {
        self.file = file
        self.logger = logger
    }

    /// Failed journal writes so far.
    var errorCount: UInt64 { errors.load(ordering: .relaxed) }

    func start() {
        condition.lock()
        defer { condition.unlock() }
        guard !started else { return }
        started = true
        let thread = Thread { [self] in
            self.run()
            self.exited.signal()
        }
        thread.name = "mqtt-journal"
        thread.start()
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
        let wasStarted = started
        started = true
        condition.signal()
        condition.unlock()
        if wasStarted {
            exited.wait()
        } else {
            run()
        }
    }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty && !finishing { condition.wait() }
            let batch = queue
            queue.removeAll()
            let done = finishing && batch.isEmpty
            condition.unlock()
            if done { break }
            for operation in batch { perform(operation) }
        }
        file.close()
    }

    private func perform(_ operation: Operation) {
        do {
            switch operation {
            case .append(let seq, let message): try file.append(seq: seq, message)
            case .acknowledge(let seq): try file.acknowledge(seq: seq)
            }
        } catch {
            logger.error(
                "MQTT journal write failed; the message stays in memory",
                metadata: ["error": "\(error)", "path": "\(file.path)"])
            errors.add(1, ordering: .relaxed)
        }
    }
}
