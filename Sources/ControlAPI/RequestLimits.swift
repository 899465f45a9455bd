/// The allowed range of every number a request carries, in one place for the control socket, the HTTP API and
/// their documentation.
///
/// A number is checked here where it arrives, before it becomes a `Duration` or an integer: `Duration.seconds(1e21)`
/// and `Int(1e300)` trap, they do not throw, so one hostile request could otherwise stop the daemon.
public enum RequestLimits {
    /// `seconds` of a shelve: 1 s to 30 days (the largest `max_shelve_h`, 720). The alarm settings may allow less,
    /// and the alarm engine refuses the rest with its own message.
    public static let shelveSeconds: ClosedRange<Double> = 1...2_592_000
    /// `seconds` of a bypass: 1 s to 24 h (the largest `max_bypass_h`); a longer one within that is cut to
    /// `max_bypass_h`, as before.
    public static let bypassSeconds: ClosedRange<Double> = 1...86_400
    /// `step` of a history query, seconds: 1 ms to a year of 366 days.
    public static let historyStepSeconds: ClosedRange<Double> = 0.001...31_622_400
    /// How far back a relative query time (`-3d`) may reach, seconds: 100 years.
    public static let relativeTimeSeconds: ClosedRange<Double> = 0...3_155_760_000

    /// `value` of the field `field`, checked against `range`.
    ///
    /// - Returns: the value, or a refusal naming the field and its range when it is outside (NaN and infinities
    ///   always are).
    public static func check(_ field: String, _ value: Double, in range: ClosedRange<Double>)
        -> Result<Double, RangeRefusal>
    {
        guard value.isFinite, range.contains(value) else {
            return .failure(RangeRefusal(field: field, value: value, range: range))
        }
        return .success(value)
    }

    /// `seconds` as a `Duration`, built only after the range check, with millisecond resolution.
    public static func duration(_ field: String, seconds: Double, in range: ClosedRange<Double>)
        -> Result<Duration, RangeRefusal>
    {
        check(field, seconds, in: range).map { .milliseconds(Int(($0 * 1000).rounded())) }
    }
}

/// A request number outside its range: `"seconds" 1e+21 is outside 1...2592000`.
public struct RangeRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    public var field: String
    public var value: Double
    public var range: ClosedRange<Double>

    public init(field: String, value: Double, range: ClosedRange<Double>) {
        self.field = field
        self.value = value
        self.range = range
    }

    public var description: String {
        "\"\(field)\" \(Self.spell(value)) is outside \(Self.spell(range.lowerBound))...\(Self.spell(range.upperBound))"
    }

    /// A whole number without a fraction (`600`, not `600.0`); anything else as Swift prints it (`1e+21`, `nan`).
    public static func spell(_ d: Double) -> String {
        if d.isFinite, d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }
}
