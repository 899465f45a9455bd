import Foundation
import Testing

@testable import CivilTime

/// The drill id's basic form and the query's ISO 8601 times, against the Foundation formatters they replace.
struct ISO8601Tests {
    /// What a query's time was read with before.
    static func previousInstant(_ s: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: s) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: s)
    }

    static let zones = [
        "Asia/Shanghai", "UTC", "America/New_York", "Europe/London", "Australia/Adelaide", "Asia/Kathmandu",
        "America/St_Johns", "Pacific/Chatham", "America/Sao_Paulo",
    ].compactMap(TimeZone.init(identifier:))

    /// The drill id was written with `DateFormatter` and `yyyyMMdd'T'HHmmssxx`.
    @Test func theBasicFormMatchesTheDateFormatterItReplaces() {
        #expect(Self.zones.count == 9)
        #expect(
            CivilTime.basic(Date(timeIntervalSince1970: 1_796_692_500.9), in: TimeZone(identifier: "Asia/Shanghai")!)
                == "20261208T091500+0800")
        var mismatches: [String] = []
        let formatters = Self.zones.map { zone in
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = zone
            f.dateFormat = "yyyyMMdd'T'HHmmssxx"
            return (zone, f)
        }
        // Every 3 days 7 hours 13 minutes 17.3 seconds from 1990 to 2040 (through every daylight-saving change,
        // at every hour and, adding up, fractions of a second just below a whole one), and at the edges of the
        // millisecond.
        var times: [Double] = [1_796_692_499.9994, 1_796_692_499.9995, 1_796_692_499.9996, 1_796_692_500.0004]
        var t = 631_152_000.0
        while t < 2_208_988_800 {
            times.append(t)
            t += 285_197.3
        }
        for t in times {
            let date = Date(timeIntervalSince1970: t)
            for (zone, formatter) in formatters {
                let old = formatter.string(from: date)
                let new = CivilTime.basic(date, in: zone)
                if old != new { mismatches.append("\(t) \(zone.identifier): \(old) became \(new)") }
            }
        }
        #expect(times.count > 5000)
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
    }

    @Test func wellFormedQueryTimesReadAsBefore() throws {
        var texts: [String] = []
        for date in ["2026-11-23", "2000-02-29", "1999-12-31", "2038-01-19"] {
            for time in ["08:00:00", "23:59:59", "00:00:00"] {
                for fraction in ["", ".1", ".12", ".123", ".1234", ".999999"] {
                    for zone in ["Z", "+08:00", "+0800", "+08", "-03:30", "-0330", "+05:45", "-00:00", "+14:00"] {
                        texts.append("\(date)T\(time)\(fraction)\(zone)")
                    }
                }
            }
        }
        for text in texts {
            let old = try #require(Self.previousInstant(text), "\(text)")
            let new = try #require(CivilTime.instant(iso8601: text), "\(text)")
            #expect(CivilTime.milliseconds(new) == CivilTime.milliseconds(old), "\(text)")
        }
        #expect(
            CivilTime.instant(iso8601: "2026-11-23T08:00:00.5+08:00")
                == Date(timeIntervalSince1970: 1_795_392_000.5))
    }

    @Test func whatWasRefusedIsRefusedAndNonsenseIsNoLongerRead() {
        // Refused before and now.
        for text in [
            "", "now", "2026-11-23", "2026-11-23t08:00:00z", "2026-11-23 08:00:00Z", "2026-11-23T08:00Z",
            "2026-11-23T08:00:00", "2026-11-23T08:60:00Z", "2026-11-23T08:00:60Z", "20261123T080000Z",
            "2026-11-23T08:00:00.Z", "+2026-11-23T08:00:00Z", "2026-11-23T08:00:00,5Z", "2026-11-23T08:00:00.5",
        ] {
            #expect(Self.previousInstant(text) == nil, "\(text)")
            #expect(CivilTime.instant(iso8601: text) == nil, "\(text)")
        }
        // ISO8601DateFormatter read these as some other instant; they name none.
        for text in [
            "2026-02-30T08:00:00Z", "2026-11-23T24:00:00Z", "2026-11-23T08:00:00+08:00x", "12026-11-23T08:00:00Z",
            "2026-1-23T08:00:00Z", "2026-11-23T08:00:00+99:00",
        ] {
            #expect(CivilTime.instant(iso8601: text) == nil, "\(text)")
        }
    }
}
