/// Counters a bus keeps, for tests, metrics and the status line.
public struct BusStatistics: Sendable, Hashable {
    /// Read transactions attempted, per device.
    public var reads: [String: Int] = [:]
    /// Write transactions attempted, per device.
    public var writes: [String: Int] = [:]
    /// Transactions that failed (timeout, exception, link), per device.
    public var failures: [String: Int] = [:]
    /// Replies dropped unread because they failed a check (late, duplicated, wrong transaction, unit, function,
    /// byte count, CRC...), per device the reply came from as far as the link can tell.
    public var droppedReplies: [String: Int] = [:]
    /// Why the last reply was dropped, per device: `reply for transaction 17 while waiting for 18`.
    public var lastDropReason: [String: String] = [:]
    /// Complete poll cycles, per device.
    public var cycles: [String: Int] = [:]
    /// Time spent in those cycles, seconds, per device: with `cycles`, the mean poll latency.
    public var cycleSeconds: [String: Double] = [:]
    /// Replies dropped that no device on the bus could be named for.
    public var droppedUnattributed = 0
    /// Times the link was (re)opened.
    public var connects = 0
    /// Whether the link is open now.
    public var linkUp = false
    /// The last link error, if the link is down.
    public var linkError: String?
    /// When the bus thread last went round its loop or finished a transaction: the watchdog's proof of life.
    public var lastActivity: ContinuousClock.Instant?

    public init() {}
}
