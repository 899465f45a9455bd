/// Counts failed authentications per source address over a sliding window, and refuses further failed attempts
/// from an address that made too many until the oldest of them leaves the window. A good token is never asked about
/// here (`API.authorize`): someone else's failures from the same address must not lock out an operator.
///
/// A plain value on an injected clock, like the other state machines in Levee: the server keeps one behind a lock,
/// and the tests drive it with instants they choose. Refused attempts are not counted, so a client that keeps
/// trying is let in again once the window has passed, not locked out for ever.
struct LoginLimiter: Sendable {
    enum Decision: Sendable, Hashable {
        case allowed
        /// Refused for at least this long: the `Retry-After` to send.
        case refused(retryAfter: Duration)
    }

    /// Failures allowed within `window`; the next attempt is refused.
    let limit: Int
    let window: Duration
    /// Addresses tracked at most, so that failures from many addresses cannot grow memory without bound. Past it the
    /// address whose last failure is oldest is forgotten.
    let maximumAddresses: Int
    /// Each address's failures within the window, oldest first; at most `limit`.
    private(set) var failures: [String: [ContinuousClock.Instant]] = [:]

    init(limit: Int, window: Duration, maximumAddresses: Int = 10_000) {
        self.limit = max(1, limit)
        self.window = window
        self.maximumAddresses = max(1, maximumAddresses)
    }

    /// Whether `address` may try to authenticate at `now`.
    mutating func check(_ address: String, at now: ContinuousClock.Instant) -> Decision {
        guard var times = failures[address] else { return .allowed }
        times.removeAll { $0 + window <= now }
        if times.isEmpty {
            failures[address] = nil
            return .allowed
        }
        failures[address] = times
        guard times.count >= limit, let oldest = times.first else { return .allowed }
        return .refused(retryAfter: oldest + window - now)
    }

    /// Counts a failed authentication from `address` at `now`.
    mutating func recordFailure(_ address: String, at now: ContinuousClock.Instant) {
        if failures[address] == nil, failures.count >= maximumAddresses {
            failures = failures.filter { $0.value.contains { $0 + window > now } }
            if failures.count >= maximumAddresses,
                let stalest = failures.min(by: { ($0.value.last ?? now) < ($1.value.last ?? now) })?.key
            {
                failures[stalest] = nil
            }
        }
        var times = (failures[address] ?? []).filter { $0 + window > now }
        times.append(now)
        failures[address] = Array(times.suffix(limit))
    }
}
