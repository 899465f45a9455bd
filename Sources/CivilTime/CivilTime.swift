import Foundation

/// The fields of a wall-clock time: a proleptic Gregorian date and a time of day to the millisecond.
///
/// The one calendar arithmetic of the project. The HJ 212 stamps, the park's ISO times, the drill reports and the
/// historian's CSV each have their own spelling, and all of them spell a `CivilTime`. Computed by hand from whole
/// milliseconds rather than with `DateFormatter`: its `SSS` can print `.249` for a time stored as 250 ms (a double
/// just below it), its output depends on calendar settings, and a formatter costs an allocation or a lock.
public struct CivilTime: Hashable, Sendable {
    public var year: Int64
    public var month: Int64
    public var day: Int64
    public var hour: Int64
    public var minute: Int64
    public var second: Int64
    public var millisecond: Int64

    public init(
        year: Int64, month: Int64, day: Int64, hour: Int64 = 0, minute: Int64 = 0, second: Int64 = 0,
        millisecond: Int64 = 0
    ) {
        (self.year, self.month, self.day) = (year, month, day)
        (self.hour, self.minute, self.second, self.millisecond) = (hour, minute, second, millisecond)
    }

    /// The wall-clock fields of `ms` milliseconds after 1970-01-01T00:00:00 on the same clock (UTC milliseconds
    /// plus a zone's offset give that zone's wall clock).
    public init(milliseconds ms: Int64) {
        let days = Self.floorDivide(ms, 86_400_000)
        let inDay = ms - days * 86_400_000
        let (year, month, day) = Self.date(days: days)
        self.init(
            year: year, month: month, day: day, hour: inDay / 3_600_000, minute: inDay / 60_000 % 60,
            second: inDay / 1000 % 60, millisecond: inDay % 1000)
    }

    /// The wall-clock time in `zone` of the instant `ms` milliseconds after 1970-01-01T00:00:00Z.
    public init(milliseconds ms: Int64, in zone: TimeZone) {
        let offset = zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(ms) / 1000))
        self.init(milliseconds: ms + Int64(offset) * 1000)
    }

    /// Milliseconds after 1970-01-01T00:00:00 on the same clock: the inverse of `init(milliseconds:)`.
    public var milliseconds: Int64 {
        (Self.days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second) * 1000
            + millisecond
    }

    /// Whether the fields name a time that exists: month 1...12, a day the month has, hour < 24, minute and
    /// second < 60, millisecond < 1000.
    public var isValid: Bool {
        (1...12).contains(month) && day >= 1 && day <= Self.daysIn(month: month, year: year) && (0..<24).contains(hour)
            && (0..<60).contains(minute) && (0..<60).contains(second) && (0..<1000).contains(millisecond)
    }

    /// The instant at which `zone`'s wall clock shows these fields.
    ///
    /// The offset at the wall time read as UTC is right except within hours of a daylight-saving change; one more
    /// step settles it.
    public func instant(in zone: TimeZone) -> Date {
        let local = Double(milliseconds) / 1000
        var offset = Double(zone.secondsFromGMT(for: Date(timeIntervalSince1970: local)))
        offset = Double(zone.secondsFromGMT(for: Date(timeIntervalSince1970: local - offset)))
        return Date(timeIntervalSince1970: local - offset)
    }

    // MARK: The arithmetic

    /// Whole milliseconds of `date` since 1970-01-01T00:00:00Z, rounded by `rule`. A time beyond what `Int64`
    /// holds, or not a number, is clamped (NaN to 0) so that a garbage date never traps.
    public static func milliseconds(_ date: Date, rounding rule: FloatingPointRoundingRule = .toNearestOrAwayFromZero)
        -> Int64
    {
        let ms = (date.timeIntervalSince1970 * 1000).rounded(rule)
        return ms.isNaN ? 0 : Int64(max(min(ms, 9.2e18), -9.2e18))
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date: Howard Hinnant's `days_from_civil`
    /// (<https://howardhinnant.github.io/date_algorithms.html#days_from_civil>).
    public static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date `days` after 1970-01-01: Howard Hinnant's `civil_from_days`
    /// (<https://howardhinnant.github.io/date_algorithms.html#civil_from_days>).
    public static func date(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Days in `month` of `year` (Gregorian leap years).
    public static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// `a / b` rounded towards negative infinity (`b` > 0).
    public static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// `value` in decimal, zero-padded on the left to `width` digits.
    public static func padded(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// `+08:00`, `-03:30`: a UTC offset in seconds as ISO 8601 writes it.
    public static func offset(_ seconds: Int) -> String {
        let minutes = abs(seconds) / 60
        return (seconds < 0 ? "-" : "+") + padded(Int64(minutes / 60), 2) + ":" + padded(Int64(minutes % 60), 2)
    }
}
