import CivilTime
import Foundation

/// CSV text for the export: RFC 4180 fields and ISO 8601 times.
enum CSV {
    /// Offset zero always exists; the fallback only satisfies the type checker.
    static let utc = TimeZone(secondsFromGMT: 0) ?? .current

    /// `field` as is, or quoted with its quotes doubled when it holds a comma, a double quote or a line break
    /// (RFC 4180, section 2, rules 6 and 7).
    static func field(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else {
            return field
        }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `2025-03-01T08:00:00.250+08:00`: ISO 8601 extended format, milliseconds, and the zone's offset at that
    /// instant, with `+00:00` rather than `Z` so that every line has the same shape.
    ///
    /// Computed by hand rather than with `ISO8601DateFormatter`, which writes `Z` for UTC and costs a formatter per
    /// call or a lock around a shared one.
    static func timestamp(milliseconds ms: Int64, in zone: TimeZone) -> String {
        let offset = zone.secondsFromGMT(for: Schema.date(milliseconds: ms))
        let t = CivilTime(milliseconds: ms + Int64(offset) * 1000)
        let pad = CivilTime.padded
        return "\(pad(t.year, 4))-\(pad(t.month, 2))-\(pad(t.day, 2))T\(pad(t.hour, 2)):\(pad(t.minute, 2))"
            + ":\(pad(t.second, 2)).\(pad(t.millisecond, 3))\(CivilTime.offset(offset))"
    }

    /// `2025-03-01 08:00:00`: the wall clock of `zone` to the second, the form Excel reads as a date and time
    /// whatever the Windows locale.
    static func localTime(milliseconds ms: Int64, in zone: TimeZone) -> String {
        let t = CivilTime(milliseconds: ms, in: zone)
        let pad = CivilTime.padded
        return "\(pad(t.year, 4))-\(pad(t.month, 2))-\(pad(t.day, 2)) \(pad(t.hour, 2)):\(pad(t.minute, 2))"
            + ":\(pad(t.second, 2))"
    }

    /// A reading's value with the precision the device gave it.
    ///
    /// With `decimals` (set by an integer register's scale: 0.1 gives 1), exactly that many places: `12.3`, not
    /// `12.300000000000001`. Without: a whole number as such (`-3`); a value a `Float` holds exactly (what a
    /// float32 register gives) as the shortest text that reads back as that `Float` (`0.1`, not
    /// `0.10000000149011612`); anything else to 15 significant digits, all a double holds of a decimal.
    public static func value(_ v: Double, decimals: Int? = nil) -> String {
        guard v.isFinite else { return v.isNaN ? "NaN" : v > 0 ? "Infinity" : "-Infinity" }
        if let decimals {
            let text = String(format: "%.*f", min(max(decimals, 0), 15), v)
            // -0.0 rounded is still "-0.0"; a reading of zero is written without a sign.
            return text.allSatisfy({ "-0.".contains($0) }) ? String(text.dropFirst(text.hasPrefix("-") ? 1 : 0)) : text
        }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        if let f = Float(exactly: v) { return "\(f)" }
        return String(format: "%.15g", v)
    }
}
