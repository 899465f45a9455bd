import CivilTime
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
        func number(_ range: Range<Int>) -> Int64 { digits[range].reduce(0) { $0 * 10 + Int64($1 - 0x30) } }
        let civil = CivilTime(
            year: number(0..<4), month: number(4..<6), day: number(6..<8), hour: number(8..<10),
            minute: number(10..<12), second: number(12..<14), millisecond: digits.count == 17 ? number(14..<17) : 0)
        return civil.isValid ? civil.instant(in: timeZone) : nil
    }

    /// The UTC offset at `date`, in seconds.
    public func offset(at date: Date) -> Int { timeZone.secondsFromGMT(for: date) }

    /// The station's wall clock at `date`, milliseconds truncated (a QN never names a millisecond not yet reached).
    private func components(_ date: Date) -> (civil: String, milliseconds: Int) {
        let t = CivilTime(milliseconds: CivilTime.milliseconds(date, rounding: .down), in: timeZone)
        let pad = CivilTime.padded
        let civil =
            pad(t.year, 4) + pad(t.month, 2) + pad(t.day, 2) + pad(t.hour, 2) + pad(t.minute, 2) + pad(t.second, 2)
        return (civil, Int(t.millisecond))
    }

    private func pad(_ n: Int, _ width: Int) -> String { CivilTime.padded(Int64(n), width) }
}
