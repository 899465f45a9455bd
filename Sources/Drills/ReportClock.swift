import Foundation

/// Shows a report's times as wall-clock times in its IANA zone: `2025-03-01 08:00:00.250`.
///
/// Computed by hand from whole milliseconds rather than with `DateFormatter`, whose `SSS` can print `.249` for a time
/// stored as 250 ms (a double that lands just below it), and whose output depends on the calendar settings. The same
/// arithmetic as the historian's CSV timestamps, repeated here because Drills imports no storage module.
struct ReportClock {
    let identifier: String
    /// nil when `identifier` is not a zone this system knows; times are then shown in UTC, and the label says so.
    let zone: TimeZone?

    init(identifier: String) {
        self.identifier = identifier
        zone = TimeZone(identifier: identifier)
    }

    private var effectiveZone: TimeZone { zone ?? TimeZone(secondsFromGMT: 0) ?? .current }

    /// `Asia/Shanghai (UTC+08:00)`, with the offset at `date` (it changes with daylight saving time elsewhere).
    func label(at date: Date) -> String {
        guard zone != nil else { return "UTC (\(identifier): unknown time zone)" }
        return "\(identifier) (UTC\(Self.offset(effectiveZone.secondsFromGMT(for: date))))"
    }

    /// `yyyy-MM-dd HH:mm:ss.SSS` in the report's zone, to the nearest millisecond.
    func string(_ date: Date) -> String {
        let ms = Self.milliseconds(date)
        let local = ms + Int64(effectiveZone.secondsFromGMT(for: date)) * 1000
        let days = Self.floorDivide(local, 86_400_000)
        let msOfDay = local - days * 86_400_000
        let (year, month, day) = Self.civil(fromDays: days)
        return "\(Self.pad(year, 4))-\(Self.pad(month, 2))-\(Self.pad(day, 2)) "
            + "\(Self.pad(msOfDay / 3_600_000, 2)):\(Self.pad(msOfDay / 60_000 % 60, 2)):"
            + "\(Self.pad(msOfDay / 1000 % 60, 2)).\(Self.pad(msOfDay % 1000, 3))"
    }

    /// `+08:00`, `-03:30`.
    static func offset(_ seconds: Int) -> String {
        let minutes = abs(seconds) / 60
        return (seconds < 0 ? "-" : "+") + pad(Int64(minutes / 60), 2) + ":" + pad(Int64(minutes % 60), 2)
    }

    static func milliseconds(_ date: Date) -> Int64 {
        let ms = (date.timeIntervalSince1970 * 1000).rounded()
        // A garbage date must not trap a report; clamp it to what Int64 holds.
        return ms.isFinite ? Int64(max(min(ms, 9.2e18), -9.2e18)) : 0
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
    private static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
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
