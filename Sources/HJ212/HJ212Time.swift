import Foundation

/// The standard's time stamps, in the station's time zone (China Standard Time, UTC+8, for the bureau):
/// `yyyyMMddHHmmss` for DataTime, BeginTime, EndTime and SystemTime, and `yyyyMMddHHmmssSSS` for QN.
///
/// Pure arithmetic on the zone's offset rather than a `DateFormatter`: it is a value, cheap, and the same on every
/// platform.
public struct HJ212Time: Hashable, Sendable {
    public var timeZone: TimeZone

    public init(timeZone: TimeZone) {
        self.timeZone = timeZone
    }

    /// China Standard Time, the bureau's zone: UTC+8, no daylight saving.
    public static let china = HJ212Time(timeZone: TimeZone(secondsFromGMT: 8 * 3600)!)

    /// `yyyyMMddHHmmss`: DataTime, BeginTime, EndTime, SystemTime.
    public func dataTime(_ date: Date) -> String {
        let (civil, _) = components(date)
        return civil
    }

    /// `yyyyMMddHHmmssSSS`: a QN.
    public func qn(_ date: Date) -> String {
        let (civil, milliseconds) = components(date)
        return civil + pad(milliseconds, 3)
    }

    /// Parses `yyyyMMddHHmmss` or `yyyyMMddHHmmssSSS`; nil for anything else, or a date that does not exist.
    public func date(from text: some StringProtocol) -> Date? {
        let digits = Array(text.utf8)
        guard digits.count == 14 || digits.count == 17, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return nil
        }
        func number(_ range: Range<Int>) -> Int { digits[range].reduce(0) { $0 * 10 + Int($1 - 0x30) } }
        let (year, month, day) = (number(0..<4), number(4..<6), number(6..<8))
        let (hour, minute, second) = (number(8..<10), number(10..<12), number(12..<14))
        let milliseconds = digits.count == 17 ? number(14..<17) : 0
        guard (1...12).contains(month), (1...Self.daysIn(month, year)).contains(day), hour < 24, minute < 60,
            second < 60
        else { return nil }
        let local = Double(Self.days(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
        // The offset at the local time read as UTC is right except within hours of a DST change; one more step
        // settles it.
        var offset = Double(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: local)))
        offset = Double(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: local - offset)))
        return Date(timeIntervalSince1970: local - offset + Double(milliseconds) / 1000)
    }

    /// The UTC offset at `date`, in seconds.
    public func offset(at date: Date) -> Int { timeZone.secondsFromGMT(for: date) }

    private func components(_ date: Date) -> (civil: String, milliseconds: Int) {
        let totalMilliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let local = totalMilliseconds + Int64(timeZone.secondsFromGMT(for: date)) * 1000
        let milliseconds = Int(local - floorDiv(local, 1000) * 1000)
        let seconds = floorDiv(local, 1000)
        let days = Int(floorDiv(seconds, 86_400))
        let secondOfDay = Int(seconds - Int64(days) * 86_400)
        let (year, month, day) = Self.civil(days)
        let civil =
            pad(year, 4) + pad(month, 2) + pad(day, 2) + pad(secondOfDay / 3600, 2) + pad(secondOfDay / 60 % 60, 2)
            + pad(secondOfDay % 60, 2)
        return (civil, milliseconds)
    }

    private func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }

    private func pad(_ n: Int, _ width: Int) -> String {
        let text = String(n)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    static func days(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
    static func civil(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysIn(_ month: Int, _ year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
