import Foundation
import Synchronization
import Testing

@testable import SystemCalls

struct WorkerThreadTests {
    /// The loop runs on its own named thread; `join` and `joined` both return once it has, and not before.
    @Test func waitersReturnOnlyAfterTheLoopHasReturned() async throws {
        let release = NSCondition()
        let released = Mutex(false)
        let worker = WorkerThread(name: "levee-test-wt") {
            release.lock()
            while !released.withLock({ $0 }) { release.wait() }
            release.unlock()
        }
        // The thread carries its name where ps and top look for it (once it has started).
        func names() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").compactMap {
                try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8)
            }
        }
        for _ in 0..<500 where try !names().contains("levee-test-wt\n") { try await Task.sleep(for: .milliseconds(10)) }
        #expect(try names().contains("levee-test-wt\n"))
        #expect(!worker.isFinished)

        let blocked = Mutex(false)
        let joiner = Thread {
            worker.join()
            blocked.withLock { $0 = true }
        }
        joiner.start()
        async let suspended: Void = worker.joined()
        try await Task.sleep(for: .milliseconds(50))
        #expect(!blocked.withLock { $0 })

        release.withLock {
            released.withLock { $0 = true }
            release.broadcast()
        }
        await suspended
        #expect(worker.isFinished)
        for _ in 0..<500 where !blocked.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
        #expect(blocked.withLock { $0 })
        // Waiting after the end returns at once.
        await worker.joined()
        worker.join()
    }
}
