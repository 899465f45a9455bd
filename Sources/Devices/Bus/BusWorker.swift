import Config
import Foundation
import Logging
import SystemCalls

/// What every bus thread shares: the thread, the lock that guards the write queue and the statistics, the queue,
/// and the stop flag. `ModbusBus` and `GPIOBus` run their own loops in `run()`.
///
/// The queue is drained before the thread stops, so a command accepted before shutdown is never dropped.
class BusWorker: @unchecked Sendable {
    // @unchecked: the mutable state here is guarded by `condition`; subclasses' own state is touched only by
    // their bus thread.
    let bus: Bus
    let logger: Logger
    let condition = NSCondition()
    let clock = ContinuousClock()
    var writes: [QueuedWrite] = []
    var stopping = false
    var stats = BusStatistics()
    private var thread: WorkerThread?  // guarded by `condition`
    private let threadName: String

    init(bus: Bus, logger: Logger, threadName: String) {
        self.bus = bus
        self.logger = logger
        self.threadName = threadName
    }

    func start() {
        condition.lock()
        defer { condition.unlock() }
        guard thread == nil else { return }
        thread = WorkerThread(name: threadName) { [self] in self.run() }
    }

    /// Stops the thread after the transaction in flight and every write already queued.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        let thread = self.thread
        condition.unlock()
        thread?.join()
    }

    var statistics: BusStatistics {
        condition.lock()
        defer { condition.unlock() }
        return stats
    }

    /// Queues a write ahead of all polls; refused, with a message naming the device and bus, once stopping.
    func enqueue(_ write: QueuedWrite) {
        condition.lock()
        if stopping {
            condition.unlock()
            write.completion(
                .failure(
                    CommandError(
                        kind: .shuttingDown, device: write.device.id,
                        message: "\(write.device.id): bus \(bus.id) is shutting down; command not sent")))
            return
        }
        writes.append(write)
        condition.signal()
        condition.unlock()
    }

    /// Swaps the devices this bus serves without stopping it, where the bus can. Returns false when it cannot
    /// and must be restarted instead (a GPIO chip's line requests are exclusive).
    func replaceDevices(_ devices: [Device]) -> Bool { false }

    /// Polls `device` faster until `until`, to time a movement closely; a no-op where polls are not scheduled.
    func boost(device: String, until: ContinuousClock.Instant) {}

    /// The bus thread's loop; returns when `stopping` is set and the queue is empty.
    func run() {
        preconditionFailure("\(type(of: self)) must override run()")
    }
}
