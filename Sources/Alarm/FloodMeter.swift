import Foundation

/// When a burst of alarms counts as a flood (EEMUA 191, ISA-18.2): more than `enterAbove` activations in
/// `window` for one operator, ending when the rate falls below `leaveBelow`.
///
/// The gap between the two thresholds (EEMUA's 10 and 5 per 10 minutes) keeps the flood indication from
/// chattering when the load hovers around 10.
public struct FloodPolicy: Sendable, Hashable, Codable {
    public var window: Duration
    public var enterAbove: Int
    public var leaveBelow: Int

    public init(window: Duration = .seconds(600), enterAbove: Int = 10, leaveBelow: Int = 5) {
        self.window = window
        self.enterAbove = enterAbove
        self.leaveBelow = leaveBelow
    }
}

/// Counts activations in a sliding window and says when a flood starts and ends.
struct FloodMeter: Sendable, Hashable {
    var policy: FloodPolicy
    /// Activation instants inside the window, in the order recorded.
    private(set) var activations: [ContinuousClock.Instant] = []
    private(set) var isFlooding = false

    init(policy: FloodPolicy) {
        self.policy = policy
    }

    /// Activations in the window ending at `now`.
    func count(at now: ContinuousClock.Instant) -> Int {
        activations.reduce(0) { $0 + (now - $1 < policy.window && $1 <= now ? 1 : 0) }
    }

    mutating func record(_ at: ContinuousClock.Instant) {
        activations.append(at)
    }

    /// Drops what left the window and reports a crossing of either threshold.
    mutating func evaluate(at now: ContinuousClock.Instant) -> AlarmAction? {
        activations.removeAll { now - $0 >= policy.window }
        let n = count(at: now)
        if !isFlooding, n > policy.enterAbove {
            isFlooding = true
            return .flood(.started, count: n)
        }
        if isFlooding, n < policy.leaveBelow {
            isFlooding = false
            return .flood(.ended, count: n)
        }
        return nil
    }

    /// Puts back a saved window after a restart.
    mutating func restore(activations: [ContinuousClock.Instant], isFlooding: Bool) {
        self.activations = activations
        self.isFlooding = isFlooding
    }
}

/// Watches one point for a frozen value; see `FrozenCheck`.
///
/// Like a condition, it neither raises nor clears on an unusable sample, and restarts its timer when usable
/// samples return: flatness can only be claimed for a time the value was actually seen.
struct FrozenDetector: Sendable, Hashable {
    var check: FrozenCheck
    private(set) var isFrozen = false
    private var reference: Double?
    private var movedAt: ContinuousClock.Instant?

    init(_ check: FrozenCheck, frozen: Bool = false) {
        self.check = check
        self.isFrozen = frozen
    }

    /// Takes a sample; returns the changes it causes, oldest first (a freeze found on the held value before this
    /// sample, then a thaw by this sample).
    mutating func update(
        value: Double?, usable: Bool, at now: ContinuousClock.Instant
    ) -> [(frozen: Bool, at: ContinuousClock.Instant)] {
        var changes: [(frozen: Bool, at: ContinuousClock.Instant)] = []
        if let change = advance(to: now) { changes.append(change) }
        guard usable, let value, value.isFinite else {
            reference = nil
            movedAt = nil
            return changes
        }
        guard let ref = reference else {
            reference = value
            movedAt = now
            return changes
        }
        if abs(value - ref) > check.noiseBand {
            reference = value
            movedAt = now
            if isFrozen {
                isFrozen = false
                changes.append((false, now))
            }
        }
        return changes
    }

    /// Raises the condition once the value has been flat for `after`.
    mutating func advance(to now: ContinuousClock.Instant) -> (frozen: Bool, at: ContinuousClock.Instant)? {
        guard !isFrozen, let moved = movedAt, now - moved >= check.after else { return nil }
        isFrozen = true
        return (true, moved + check.after)
    }
}
