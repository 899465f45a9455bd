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
        let local = ms + Int64(offset) * 1000
        let days = floorDivide(local, 86_400_000)
        let msOfDay = local - days * 86_400_000
        let (year, month, day) = civil(fromDays: days)
        let hour = msOfDay / 3_600_000
        let minute = msOfDay / 60_000 % 60
        let second = msOfDay / 1000 % 60
        let milli = msOfDay % 1000
        let sign = offset < 0 ? "-" : "+"
        let offsetMinutes = abs(offset) / 60
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))"
            + ".\(pad(milli, 3))\(sign)\(pad(Int64(offsetMinutes / 60), 2)):\(pad(Int64(offsetMinutes % 60), 2))"
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// The proleptic Gregorian date `days` after 1970-01-01: Howard Hinnant's `civil_from_days`
    /// (<https://howardhinnant.github.io/date_algorithms.html#civil_from_days>).
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
