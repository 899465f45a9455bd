import Foundation

/// The first-flush switch of one rain outlet: the first, dirtiest rain goes to the first-flush pool, later rain
/// out through the outlet. A pure value; the rule is patent CN105649174B's, with GB 50483-2019's amounts:
/// 1. Rain starts a cycle: divert (outlet valve closes, first-flush pool inlet opens).
/// 2. Once the cycle's rain reaches the set amount (mm) or the set raining time, divert `t1` more, then release
///    if the water quality is OK (otherwise keep diverting: that water goes to treatment).
/// 3. When rain stops, a dry counter starts.
/// 4. Rain back within `t3` is not diverted again.
/// 5. Rain back between `t3` and `t2` is diverted again, for `t1`, then released if the quality is OK: the set
///    amount was already reached in this cycle, so only the new surface wash-off is held back.
/// 6. After `t2` dry the cycle ends, and the next rain starts a new one.
///
/// **An emergency always overrides first flush.** While the shutoff is latched the controller returns nothing,
/// and after the latch clears it still never releases until `resume` (an operator's restore): a reset never
/// reopens a valve the trip closed, and first flush must not do it behind the operator's back.
public struct FirstFlushController: Sendable {
    public struct Settings: Sendable, Hashable {
        /// The cycle's rain after which first flush is over, in mm; nil to use time only.
        public var amountMM: Double?
        /// The cycle's raining time after which first flush is over (GB 50483: 15–30 min).
        public var rainingTime: Duration
        public var t1: Duration
        public var t3: Duration
        public var t2: Duration

        public init(
            amountMM: Double? = 20, rainingTime: Duration = .seconds(15 * 60), t1: Duration = .seconds(5 * 60),
            t3: Duration = .seconds(30 * 60), t2: Duration = .seconds(6 * 3600)
        ) {
            self.amountMM = amountMM
            self.rainingTime = rainingTime
            self.t1 = t1
            self.t3 = t3
            self.t2 = t2
        }
    }

    /// What to do with the outlet.
    public enum Action: Sendable, Hashable {
        /// Close the outlet valve, open the first-flush pool inlet.
        case divert
        /// Open the outlet valve, close the first-flush pool inlet.
        case release
    }

    /// One device command, as the daemon writes it.
    public struct Command: Sendable, Hashable {
        public var device: String
        public var command: String
    }

    public let outlet: String
    public let poolInlet: String?
    public let settings: Settings

    /// Whether the controller has the outlet diverted.
    public private(set) var isDiverted = false
    /// Whether a cycle is running (rain seen, dry for less than `t2`).
    public private(set) var inCycle = false
    public private(set) var isOverridden = false
    /// After an override, no release until `resume`.
    public private(set) var awaitingResume = false

    /// Whether the rain contact (or gauge) last said it is raining.
    public private(set) var raining = false
    private var rainMM = 0.0
    private var rainTime: Duration = .zero
    private var lastAt: ContinuousClock.Instant?
    private var thresholdAt: ContinuousClock.Instant?
    private var dryFrom: ContinuousClock.Instant?
    private var qualityOK: Bool?

    public init(outlet: String, poolInlet: String?, settings: Settings = Settings()) {
        self.outlet = outlet
        self.poolInlet = poolInlet
        self.settings = settings
    }

    /// The commands an action stands for.
    public func commands(for action: Action) -> [Command] {
        let divert = action == .divert
        return [Command(device: outlet, command: divert ? "close" : "open")]
            + (poolInlet.map { [Command(device: $0, command: divert ? "open" : "close")] } ?? [])
    }

    /// The rain detector's state.
    public mutating func rain(_ raining: Bool, at now: ContinuousClock.Instant) -> [Action] {
        accumulate(to: now)
        if raining && !self.raining {
            self.raining = true
            if !inCycle {
                inCycle = true
                rainMM = 0
                rainTime = .zero
                thresholdAt = nil
                dryFrom = nil
                return evaluate(at: now, want: .divert)
            }
            let dry = dryFrom.map { now - $0 } ?? .zero
            dryFrom = nil
            if dry >= settings.t3 && !isDiverted && thresholdAt != nil {
                thresholdAt = now
                return evaluate(at: now, want: .divert)
            }
        } else if !raining && self.raining {
            self.raining = false
            dryFrom = now
        }
        return evaluate(at: now, want: nil)
    }

    /// Rain measured since the last call, in mm (a tipping-bucket count).
    public mutating func rainfall(mm: Double, at now: ContinuousClock.Instant) -> [Action] {
        accumulate(to: now)
        if inCycle { rainMM += mm }
        return evaluate(at: now, want: nil)
    }

    /// The outlet's water quality verdict (pH, COD, conductivity within limits); nil when unknown, which never
    /// releases.
    public mutating func waterQuality(ok: Bool?, at now: ContinuousClock.Instant) -> [Action] {
        accumulate(to: now)
        qualityOK = ok
        return evaluate(at: now, want: nil)
    }

    public mutating func tick(at now: ContinuousClock.Instant) -> [Action] {
        accumulate(to: now)
        if let dry = dryFrom, now - dry >= settings.t2 {
            inCycle = false
            dryFrom = nil
        }
        return evaluate(at: now, want: nil)
    }

    /// Follows the shutoff latch: while latched nothing is returned; once it clears, releases wait for `resume`.
    public mutating func override(latched: Bool, at now: ContinuousClock.Instant) {
        accumulate(to: now)
        if latched {
            isOverridden = true
            // The trip closed the outlet; first flush must treat it as diverted from here on.
            isDiverted = true
        } else if isOverridden {
            isOverridden = false
            awaitingResume = true
        }
    }

    /// An operator's restore after a trip: first flush takes the outlet back and says what it wants now.
    public mutating func resume(at now: ContinuousClock.Instant) -> [Action] {
        guard !isOverridden else { return [] }
        awaitingResume = false
        return evaluate(at: now, want: nil)
    }

    private mutating func accumulate(to now: ContinuousClock.Instant) {
        if raining, inCycle, let last = lastAt { rainTime += now - last }
        lastAt = now
        if inCycle, thresholdAt == nil,
            rainTime >= settings.rainingTime || (settings.amountMM.map { rainMM >= $0 } ?? false)
        {
            thresholdAt = now
        }
    }

    private mutating func evaluate(at now: ContinuousClock.Instant, want: Action?) -> [Action] {
        if isOverridden { return [] }
        if want == .divert && !isDiverted {
            isDiverted = true
            return [.divert]
        }
        if isDiverted, !awaitingResume, qualityOK == true, let threshold = thresholdAt, now >= threshold + settings.t1 {
            isDiverted = false
            return [.release]
        }
        return []
    }
}
