/// When a valve's stroke time has drifted: it now takes much longer than it used to.
///
/// A slow stroke is the first sign of a failing actuator, a fouled seat or a gate dragging on silt, and a valve that
/// takes twice as long in an emergency may let the first flush out of the rain outlet. The drill report flags it, and
/// the daemon applies the same rule after every movement to raise a drift alarm, so both say the same thing.
///
/// The baseline is the valve's own history when there is enough of it, because stroke times vary widely between
/// valves (10–60 s for quarter-turn actuators, minutes for multi-turn gates) and the configured time is only the
/// designer's figure; until then it is the configured stroke time.
public enum StrokeDrift {
    /// A stroke longer than this multiple of the baseline has drifted; exactly this multiple has not.
    public static let threshold = 1.5

    /// How many earlier strokes it takes before their median replaces the configured time as the baseline.
    public static let minimumHistory = 3

    /// The median of the usable `previous` strokes when there are at least ``minimumHistory`` of them, otherwise
    /// `configured`.
    ///
    /// Usable means finite and above zero: a zero or negative time is a clock or limit-switch glitch, not a stroke.
    /// The median rather than the mean, so that one stroke slowed by a jammed branch does not move the baseline.
    /// The caller bounds the history (the historian returns the latest 20), so that the baseline follows the valve
    /// as it ages instead of its first year.
    public static func baseline(previous: [Double], configured: Double) -> Double {
        let usable = usableHistory(previous).sorted()
        guard usable.count >= minimumHistory else { return configured }
        let middle = usable.count / 2
        return usable.count % 2 == 1 ? usable[middle] : (usable[middle - 1] + usable[middle]) / 2
    }

    /// True when `measured` exceeds ``threshold`` times `baseline`. Never true without a usable baseline (zero,
    /// negative or not finite) or measurement (not finite).
    public static func isDrift(measured: Double, baseline: Double) -> Bool {
        guard let ratio = ratio(measured: measured, baseline: baseline) else { return false }
        return ratio > threshold
    }

    /// `measured / baseline`, or nil when either is unusable.
    public static func ratio(measured: Double, baseline: Double) -> Double? {
        guard measured.isFinite, baseline.isFinite, baseline > 0 else { return nil }
        return measured / baseline
    }

    /// The strokes the baseline is taken from: finite and above zero.
    static func usableHistory(_ previous: [Double]) -> [Double] {
        previous.filter { $0.isFinite && $0 > 0 }
    }
}
