import Foundation

/// Values as the data area carries them: plain decimals, never an exponent (`1.5e-05` means nothing to a
/// platform), rounded to a fixed number of decimals with trailing zeros dropped.
public enum HJ212Number {
    /// `value` with at most `decimals` decimals (0-6): 1.1 → "1.1", 3.0 → "3", 0.00001 → "0" at 3 decimals,
    /// -0.0 → "0". nil for NaN and infinities, which have no HJ 212 form: send the flag alone.
    public static func format(_ value: Double, decimals: Int = 3) -> String? {
        guard value.isFinite else { return nil }
        let decimals = min(max(0, decimals), 6)
        let scale = pow(10, Double(decimals))
        let scaled = (value * scale).rounded()
        guard abs(scaled) < 9e18 else {
            // Too large for Int64 arithmetic: whole units are all the precision a Double has left anyway.
            return String(format: "%.0f", value.rounded())
        }
        let units = Int64(scaled)
        if units == 0 { return "0" }
        let magnitude = units.magnitude
        let divisor = UInt64(scale)
        let whole = magnitude / divisor
        var fraction = decimals == 0 ? "" : String(magnitude % divisor)
        fraction = String(repeating: "0", count: max(0, decimals - fraction.count)) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        let sign = units < 0 ? "-" : ""
        return fraction.isEmpty ? "\(sign)\(whole)" : "\(sign)\(whole).\(fraction)"
    }
}
