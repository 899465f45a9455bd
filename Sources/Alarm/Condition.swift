import Foundation

/// A rule of the form "value ≥ limit for T seconds, with deadband": the one definition the alarms and the shutoff
/// interlocks share, so an alarm and the trip it announces can never disagree about when a limit was crossed.
///
/// `Condition` is only the rule; `ConditionState` evaluates it against samples. The semantics, in full:
/// - **Trip and clear zones.** `.high(limit)` calls for "active" when value ≥ limit and for "inactive" only when
///   value < limit − deadband; `.low(limit)` mirrors it (≤ limit, > limit + deadband). Between the two lies the
///   deadband, where the current state holds. `.state(s)` compares a digital value (0 is false, anything else true)
///   and ignores the deadband. The rate kinds compare the rate of change in units per minute the same way, with
///   the deadband in units per minute: `.rateOfRise(r)` trips at rate ≥ r, `.rateOfFall(r)` at a fall of ≥ r
///   (rate ≤ −r); both clear once the speed drops below r − deadband.
/// - **Delays.** A change takes effect only when the other zone has been seen *continuously* for `onDelay`
///   (inactive → active) or `offDelay` (active → inactive). A sample in the deadband or back in the current zone
///   restarts the wait. Values are held between samples, so the result does not depend on how often the caller
///   ticks: a change found late is dated when the delay actually ran out.
/// - **Rate.** The least-squares slope of the usable samples of the last `rateWindow` (default 60 s), reported
///   only once the point has been watched for a full window without an unusable sample. Least squares rather
///   than "last minus first" because level transmitters on a pool are noisy and the slope averages that noise out.
public struct Condition: Sendable, Hashable, Codable {
    /// What is compared with what.
    public enum Kind: Sendable, Hashable, Codable {
        /// Active at value ≥ limit.
        case high(Double)
        /// Active at value ≤ limit.
        case low(Double)
        /// Active while a digital value equals the state (0 is false, anything else true).
        case state(Bool)
        /// Active while the value rises at least this much per minute.
        case rateOfRise(perMinute: Double)
        /// Active while the value falls at least this much per minute (a positive number).
        case rateOfFall(perMinute: Double)
    }

    public var kind: Kind
    /// Hysteresis in the value's unit (units per minute for the rate kinds); ignored by `.state`.
    public var deadband: Double
    /// How long the trip zone must hold before the condition becomes active.
    public var onDelay: Duration
    /// How long the clear zone must hold before an active condition becomes inactive.
    public var offDelay: Duration
    /// The span the rate kinds fit their slope over, and the minimum history they need before they decide.
    public var rateWindow: Duration

    public init(
        _ kind: Kind, deadband: Double = 0, onDelay: Duration = .zero, offDelay: Duration = .zero,
        rateWindow: Duration = .seconds(60)
    ) {
        self.kind = kind
        self.deadband = deadband
        self.onDelay = onDelay
        self.offDelay = offDelay
        self.rateWindow = rateWindow
    }

    /// Whether the kind is computed from the rate of change rather than from the value itself.
    public var isRate: Bool {
        switch kind {
        case .rateOfRise, .rateOfFall: true
        case .high, .low, .state: false
        }
    }

    /// The first rule the condition breaks, in words, or nil when it is sound. The engine names the alarm around it.
    public var problem: String? {
        switch kind {
        case .high(let limit), .low(let limit):
            if !limit.isFinite { return "limit \(limit) is not a finite number" }
        case .rateOfRise(let rate), .rateOfFall(let rate):
            if !(rate.isFinite && rate > 0) { return "rate \(rate) per minute must be a positive number" }
            if rateWindow <= .zero { return "rate window \(rateWindow) must be longer than zero" }
        case .state:
            break
        }
        if !(deadband.isFinite && deadband >= 0) { return "deadband \(deadband) must be zero or more" }
        if onDelay < .zero { return "on-delay \(onDelay) is negative" }
        if offDelay < .zero { return "off-delay \(offDelay) is negative" }
        return nil
    }

    /// Where a measured quantity (the value, or the rate for the rate kinds) sits relative to the limit.
    enum Zone: Sendable, Hashable {
        case trip, deadband, clear
    }

    func zone(of measured: Double) -> Zone {
        // The rate of fall is compared as a rise of the negated rate, so every analogue kind is "high" or "low".
        switch kind {
        case .high(let limit): Self.highZone(measured, limit: limit, deadband: deadband)
        case .rateOfRise(let limit): Self.highZone(measured, limit: limit, deadband: deadband)
        case .rateOfFall(let limit): Self.highZone(-measured, limit: limit, deadband: deadband)
        case .low(let limit):
            measured <= limit ? .trip : measured > limit + deadband ? .clear : .deadband
        case .state(let state):
            (measured != 0) == state ? .trip : .clear
        }
    }

    private static func highZone(_ measured: Double, limit: Double, deadband: Double) -> Zone {
        measured >= limit ? .trip : measured < limit - deadband ? .clear : .deadband
    }
}

/// A change of a condition, with when it took effect.
public struct ConditionChange: Sendable, Hashable {
    /// The new state.
    public var isActive: Bool
    /// When the change took effect: when the zone was first seen plus the delay. Never later than the call that
    /// reported it, and possibly earlier when no sample or tick came at the moment the delay ran out.
    public var at: ContinuousClock.Instant
    /// When the value first entered the zone that called for this change (the start of the delay).
    public var since: ContinuousClock.Instant
}

/// The running evaluation of one `Condition`: feed it samples and ticks, read whether it is active.
///
/// **An unusable sample neither activates nor clears.** A value with bad quality (comm-fail, stale, out of range,
/// never read) says nothing about the process: treating it as "clear" would show a dead gas detector as a
/// normal reading, and treating it as "tripped" would let one broken cable start an interlock. So the state holds,
/// any running delay is abandoned (the zone was not seen continuously), the rate history is dropped (a value
/// around a fault is often a spike), and the device-health alarms (comm-fail, stale, out-of-range) tell the
/// operator why the value cannot be trusted.
public struct ConditionState: Sendable, Hashable {
    public let condition: Condition
    /// Whether the condition is active.
    public private(set) var isActive: Bool
    /// When the state last changed; nil if it has not changed since the evaluator was made.
    public private(set) var changedAt: ContinuousClock.Instant?
    /// The last usable value; kept while later samples are unusable, for context only.
    public private(set) var lastValue: Double?
    /// The quantity compared with the limit (the value, or the rate per minute), held between samples; nil while
    /// unknown (no usable sample yet, the last sample unusable, or not enough rate history).
    public private(set) var measured: Double?
    /// When the held quantity entered the zone that calls for the other state: the start of the running delay.
    public private(set) var pendingSince: ContinuousClock.Instant?

    private struct Sample: Sendable, Hashable {
        var at: ContinuousClock.Instant
        var value: Double
    }
    private var history: [Sample] = []
    private var historyStart: ContinuousClock.Instant?

    /// - Parameters:
    ///   - active: the state to start in; true when restoring an alarm that was active before a restart, so that
    ///     it clears through its deadband and off-delay rather than vanishing.
    public init(_ condition: Condition, active: Bool = false, changedAt: ContinuousClock.Instant? = nil) {
        self.condition = condition
        self.isActive = active
        self.changedAt = changedAt
    }

    /// The rate of change in units per minute, for the rate kinds; nil until a full window has been seen.
    public var rate: Double? { condition.isRate ? measured : nil }

    /// Takes one sample and returns the changes it causes, oldest first (at most two: a delay that ran out on the
    /// held value before this sample, and the change this sample makes at once when its delay is zero).
    public mutating func update(value: Double?, usable: Bool, at now: ContinuousClock.Instant) -> [ConditionChange] {
        var changes: [ConditionChange] = []
        if let change = advance(to: now) { changes.append(change) }
        guard usable, let value, value.isFinite else {
            measured = nil
            pendingSince = nil
            history.removeAll()
            historyStart = nil
            return changes
        }
        lastValue = value
        measured = condition.isRate ? slope(adding: value, at: now) : value
        guard let measured else {
            pendingSince = nil
            return changes
        }
        let zone = condition.zone(of: measured)
        if zone == (isActive ? .clear : .trip) {
            if pendingSince == nil { pendingSince = now }
        } else {
            pendingSince = nil
        }
        if let change = advance(to: now) { changes.append(change) }
        return changes
    }

    /// Lets time pass on the held value: completes a delay that has run out by `now`.
    public mutating func advance(to now: ContinuousClock.Instant) -> ConditionChange? {
        guard let since = pendingSince else { return nil }
        let delay = isActive ? condition.offDelay : condition.onDelay
        guard now - since >= delay else { return nil }
        isActive.toggle()
        changedAt = since + delay
        pendingSince = nil
        return ConditionChange(isActive: isActive, at: since + delay, since: since)
    }

    /// Adds a sample to the rate history and returns the rate (per minute, rise positive), or nil while the
    /// history is shorter than the window.
    private mutating func slope(adding value: Double, at now: ContinuousClock.Instant) -> Double? {
        let window = condition.rateWindow
        if historyStart == nil { historyStart = now }
        history.append(Sample(at: now, value: value))
        if let firstKept = history.firstIndex(where: { now - $0.at <= window }), firstKept > 0 {
            history.removeFirst(firstKept)
        }
        guard let start = historyStart, now - start >= window, history.count >= 2 else { return nil }
        let origin = history[0].at
        let n = Double(history.count)
        var sumT = 0.0
        var sumV = 0.0
        for s in history {
            sumT += (s.at - origin).inSeconds
            sumV += s.value
        }
        let meanT = sumT / n
        let meanV = sumV / n
        var num = 0.0
        var den = 0.0
        for s in history {
            let dt = (s.at - origin).inSeconds - meanT
            num += dt * (s.value - meanV)
            den += dt * dt
        }
        guard den > 0 else { return nil }
        return num / den * 60
    }
}

extension Duration {
    /// The duration as a floating-point number of seconds.
    public var inSeconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }
}
