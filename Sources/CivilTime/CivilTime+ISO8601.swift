import Foundation

/// Two spellings of ISO 8601 that are not one of the link formats: the basic form that names a drill, and the
/// internet date-time a query may give.
extension CivilTime {
    /// `20261208T091500+0800`: ISO 8601's basic form to the second, on `zone`'s wall clock, with its offset in
    /// hours and minutes. As `DateFormatter`'s `yyyyMMdd'T'HHmmssxx` wrote it: the time is taken to the nearest
    /// millisecond, then its seconds are cut (59.9996 s is the next second, 59.9994 s is not).
    public static func basic(_ date: Date, in zone: TimeZone) -> String {
        let offset = zone.secondsFromGMT(for: date)
        let t = CivilTime(milliseconds: milliseconds(date) + Int64(offset) * 1000)
        let minutes = abs(offset) / 60
        return padded(t.year, 4) + padded(t.month, 2) + padded(t.day, 2) + "T" + padded(t.hour, 2)
            + padded(t.minute, 2) + padded(t.second, 2) + (offset < 0 ? "-" : "+") + padded(Int64(minutes / 60), 2)
            + padded(Int64(minutes % 60), 2)
    }

    /// The instant an ISO 8601 internet date-time names with its zone: `2026-11-23T08:00:00Z`,
    /// `2026-11-23T08:00:00.5+08:00`, `...+0800` or `...+08`. Fractional digits beyond the millisecond are cut.
    ///
    /// Nil for anything else: no zone, a time without seconds, lower-case `t` or `z`, trailing text, and a date or
    /// time that does not exist (February 30, 24:00, an offset beyond ±23:59), all of which `ISO8601DateFormatter`
    /// read as some other instant or refused.
    public static func instant(iso8601 s: String) -> Date? {
        let b = Array(s.utf8)
        var i = 0
        func digits(_ count: Int) -> Int64? {
            guard i + count <= b.count else { return nil }
            var v: Int64 = 0
            for k in i..<(i + count) {
                guard (0x30...0x39).contains(b[k]) else { return nil }
                v = v * 10 + Int64(b[k] - 0x30)
            }
            i += count
            return v
        }
        func take(_ byte: UInt8) -> Bool {
            guard i < b.count, b[i] == byte else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), take(0x2D), let month = digits(2), take(0x2D), let day = digits(2), take(0x54),
            let hour = digits(2), take(0x3A), let minute = digits(2), take(0x3A), let second = digits(2)
        else { return nil }
        var millisecond: Int64 = 0
        if take(0x2E) {
            var count = 0
            while i < b.count, (0x30...0x39).contains(b[i]) {
                if count < 3 { millisecond = millisecond * 10 + Int64(b[i] - 0x30) }
                count += 1
                i += 1
            }
            guard count > 0 else { return nil }
            for _ in count..<max(count, 3) { millisecond *= 10 }
        }
        var offset: Int64 = 0
        if take(0x5A) {
            offset = 0
        } else {
            guard i < b.count, b[i] == 0x2B || b[i] == 0x2D else { return nil }
            let sign: Int64 = b[i] == 0x2D ? -1 : 1
            i += 1
            guard let hours = digits(2), hours < 24 else { return nil }
            var minutes: Int64 = 0
            if i < b.count {
                _ = take(0x3A)
                guard let m = digits(2), m < 60 else { return nil }
                minutes = m
            }
            offset = sign * (hours * 3600 + minutes * 60)
        }
        guard i == b.count else { return nil }
        let t = CivilTime(
            year: year, month: month, day: day, hour: hour, minute: minute, second: second, millisecond: millisecond)
        guard t.isValid else { return nil }
        return Date(timeIntervalSince1970: Double(t.milliseconds - offset * 1000) / 1000)
    }
}
