import CivilTime
import Foundation

/// The one time format of every payload: ISO 8601 in UTC with exactly three fractional digits and `Z`,
/// `2024-05-01T08:00:00.123Z`.
///
/// One fixed width, so that a time has a single spelling: the signed command string uses it verbatim, and a reader
/// can sort times as text. Written by hand rather than with `ISO8601FormatStyle`, whose output has varied between
/// Foundation releases, and because the signature depends on every byte.
public enum ParkTime {
    /// Milliseconds since 1970-01-01T00:00:00Z, rounded to the nearest.
    public static func milliseconds(_ date: Date) -> Int64 { CivilTime.milliseconds(date) }

    public static func date(milliseconds ms: Int64) -> Date {
        Date(timeIntervalSince1970: Double(ms) / 1000)
    }

    /// `date` to the millisecond; years outside 0000...9999 are clamped to them.
    public static func format(_ date: Date) -> String {
        let lowest: Int64 = -62_167_219_200_000  // 0000-01-01T00:00:00.000Z
        let highest: Int64 = 253_402_300_799_999  // 9999-12-31T23:59:59.999Z
        let t = CivilTime(milliseconds: min(max(milliseconds(date), lowest), highest))
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
        put(t.year, 4)
        out.append(0x2D)
        put(t.month, 2)
        out.append(0x2D)
        put(t.day, 2)
        out.append(0x54)
        put(t.hour, 2)
        out.append(0x3A)
        put(t.minute, 2)
        out.append(0x3A)
        put(t.second, 2)
        out.append(0x2E)
        put(t.millisecond, 3)
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
        let t = CivilTime(year: y, month: m, day: d, hour: hh, minute: mm, second: ss, millisecond: fff)
        return t.isValid ? date(milliseconds: t.milliseconds) : nil
    }
}
