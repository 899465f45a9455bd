import Foundation

/// Waiting for I/O in tests. The limits are generous because a loaded CI machine is slow: these wait for a
/// condition, they never time one.
public enum TestWait {
    /// Polls `condition` every 20 ms until it holds or `seconds` pass; returns whether it held.
    public static func until(_ seconds: Double = 20, _ condition: () throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return try condition()
    }
}

/// A test's own failure to set something up, with what went wrong.
public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Work a test must do synchronously for a long time (CPU-bound loops, blocking system calls), moved off Swift's
/// cooperative pool. The pool has one thread per core (two on CI): a test that held one for half a minute starved
/// every other test's waits, and they failed on their deadlines instead of on what they check.
public enum OffPool {
    /// A blocking condition a waiting test evaluates off the pool, on a serial dispatch queue of its own (serial
    /// queues are served by libdispatch's overcommit threads, never by the cooperative pool's).
    ///
    /// `@unchecked Sendable`: the condition is not Sendable, but it runs only while the task that owns it is
    /// suspended waiting for the answer, so it never runs beside the code that shares its captures.
    public final class Check: @unchecked Sendable {
        private let condition: () throws -> Bool
        private let queue = DispatchQueue(label: "levee-test-wait")

        public init(_ condition: @escaping () throws -> Bool) { self.condition = condition }

        /// Whether the condition holds now; a condition that throws does not.
        public func holds() async -> Bool {
            await withCheckedContinuation { continuation in
                queue.async { continuation.resume(returning: (try? self.condition()) == true) }
            }
        }
    }

    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}
