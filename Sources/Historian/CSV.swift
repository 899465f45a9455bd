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
}
