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
