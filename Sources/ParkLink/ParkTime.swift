import Foundation

/// The one time format of every payload: ISO 8601 in UTC with exactly three fractional digits and `Z`,
/// `2024-05-01T08:00:00.123Z`.
///
/// One fixed width, so that a time has a single spelling: the signed command string uses it verbatim, and a reader
/// can sort times as text. Written by hand rather than with `ISO8601FormatStyle`, whose output has varied between
/// Foundation releases, and because the signature depends on every byte.
public enum ParkTime {
    /// Milliseconds since 1970-01-01T00:00:00Z, rounded to the nearest.
    public static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    public static func date(milliseconds ms: Int64) -> Date {
        Date(timeIntervalSince1970: Double(ms) / 1000)
    }

    /// `date` to the millisecond; years outside 0000...9999 are clamped to them.
    public static func format(_ date: Date) -> String {
        let lowest: Int64 = -62_167_219_200_000  // 0000-01-01T00:00:00.000Z
        let highest: Int64 = 253_402_300_799_999  // 9999-12-31T23:59:59.999Z
        let ms = min(max(milliseconds(date), lowest), highest)
        let days = floorDiv(ms, 86_400_000)
        let inDay = ms - days * 86_400_000
        let (y, m, d) = civil(days: days)
        var out: [UInt8] = []
        out.reserveCapacity(24)
        func put(_ value: Int64, _ width: Int) {
            var digits = [UInt8](repeating: 0x30, count: width)
            var v = value
            for i in stride(from: width - 1, through: 0, by: -1) {
                digits[i] = 0x30 + UInt8(v % 10)
                v /= 10
            }
            out += digits
        }
        put(y, 4)
        out.append(0x2D)
        put(m, 2)
        out.append(0x2D)
        put(d, 2)
        out.append(0x54)
        put(inDay / 3_600_000, 2)
        out.append(0x3A)
        put(inDay / 60_000 % 60, 2)
        out.append(0x3A)
        put(inDay / 1000 % 60, 2)
        out.append(0x2E)
        put(inDay % 1000, 3)
        out.append(0x5A)
        return String(decoding: out, as: UTF8.self)
    }

    /// Exactly the form `format` writes, nothing else: `parse(s).map(format) == s` for every accepted `s`.
    public static func parse(_ s: String) -> Date? {
        let b = Array(s.utf8)
        guard b.count == 24, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54, b[13] == 0x3A, b[16] == 0x3A,
            b[19] == 0x2E, b[23] == 0x5A
        else { return nil }
        func number(_ from: Int, _ width: Int) -> Int64? {
            var v: Int64 = 0
            for i in from..<(from + width) {
                guard (0x30...0x39).contains(b[i]) else { return nil }
                v = v * 10 + Int64(b[i] - 0x30)
            }
            return v
        }
        guard let y = number(0, 4), let m = number(5, 2), let d = number(8, 2), let hh = number(11, 2),
            let mm = number(14, 2), let ss = number(17, 2), let fff = number(20, 3)
        else { return nil }
        guard (1...12).contains(m), d >= 1, d <= daysIn(month: m, year: y), hh < 24, mm < 60, ss < 60 else {
            return nil
        }
        let ms = (days(year: y, month: m, day: d) * 86_400 + hh * 3600 + mm * 60 + ss) * 1000 + fff
        return date(milliseconds: ms)
    }

    // Howard Hinnant's civil-calendar algorithms (proleptic Gregorian).

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }

    static func civil(days z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func days(year: Int64, month m: Int64, day d: Int64) -> Int64 {
        let y = m <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func daysIn(month m: Int64, year y: Int64) -> Int64 {
        switch m {
        case 2: (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
