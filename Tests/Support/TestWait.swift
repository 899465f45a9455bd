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
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}
