/// The write coils' logic: a coil acts only on a rising edge that stays 1 for the hold time, once per edge.
///
/// A DCS graphic button writes 1 when pressed and 0 when released; a glitch, a single stray write or a value left
/// at 1 by a restart of the DCS does not act. A plain value: writes and ticks go in with the time, actions come out.
public struct CoilGate: Sendable {
    public let hold: Duration
    private var coils: [Int: State] = [:]

    enum State: Sendable, Hashable {
        /// Written 1 at `since` by `client`; acts at `since + hold` if still 1.
        case pressed(since: ContinuousClock.Instant, client: String)
        /// Acted; must return to 0 before it can act again.
        case fired
    }

    /// A coil that has been held long enough: do what it asks, on behalf of `client`.
    public struct Fire: Sendable, Hashable {
        public var coil: Int
        public var client: String
    }

    public init(hold: Duration) { self.hold = hold }

    /// The coil's value as a read returns it.
    public func value(_ coil: Int) -> Bool { coils[coil] != nil }

    /// A write of `value` to `coil` by `client`.
    public mutating func write(_ coil: Int, _ value: Bool, client: String, at now: ContinuousClock.Instant) {
        guard value else {
            coils[coil] = nil
            return
        }
        if coils[coil] == nil { coils[coil] = .pressed(since: now, client: client) }
    }

    /// The coils whose hold has run out since the last tick; each fires once.
    public mutating func tick(at now: ContinuousClock.Instant) -> [Fire] {
        var fires: [Fire] = []
        for (coil, state) in coils.sorted(by: { $0.key < $1.key }) {
            if case .pressed(let since, let client) = state, now - since >= hold {
                coils[coil] = .fired
                fires.append(Fire(coil: coil, client: client))
            }
        }
        return fires
    }

    /// When the next hold runs out, if any coil is held.
    public var nextDeadline: ContinuousClock.Instant? {
        coils.values.compactMap { if case .pressed(let since, _) = $0 { since + hold } else { nil } }.min()
    }
}
