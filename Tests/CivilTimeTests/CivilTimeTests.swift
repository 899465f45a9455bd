import Foundation
import Testing

@testable import CivilTime

/// The calendar arithmetic every time format rests on, checked against Foundation's Gregorian calendar.
struct CivilTimeTests {
    static let utc = TimeZone(secondsFromGMT: 0)!

    @Test func knownDates() {
        #expect(CivilTime(milliseconds: 0) == CivilTime(year: 1970, month: 1, day: 1))
        #expect(
            CivilTime(milliseconds: 951_782_400_250)
                == CivilTime(year: 2000, month: 2, day: 29, millisecond: 250))
        #expect(
            CivilTime(milliseconds: -1)
                == CivilTime(
                    year: 1969, month: 12, day: 31, hour: 23, minute: 59, second: 59,
                    millisecond: 999))
        #expect(CivilTime(year: 0, month: 1, day: 1).milliseconds == -62_167_219_200_000)
    }

    /// Every 17th day from 1600 to 2400 (a stride prime to weeks, months and leap cycles, so every month end and
    /// leap day kind is met) against Foundation's Gregorian calendar, both ways.
    @Test func eightCenturiesAgreeWithFoundation() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = Self.utc
        var mismatches: [String] = []
        for days in stride(from: Int64(-135_140), through: 157_082, by: 17) {
            let civil = CivilTime(milliseconds: days * 86_400_000)
            let expected = calendar.dateComponents(
                [.year, .month, .day], from: Date(timeIntervalSince1970: Double(days) * 86_400))
            if civil.year != Int64(expected.year!) || civil.month != Int64(expected.month!)
                || civil.day != Int64(expected.day!)
                || CivilTime.days(year: civil.year, month: civil.month, day: civil.day) != days
            {
                mismatches.append("\(days)")
            }
            if mismatches.count > 5 { break }
        }
        #expect(mismatches.isEmpty)
    }

    @Test func validityRefusesDatesThatDoNotExist() {
        #expect(CivilTime(year: 2024, month: 2, day: 29).isValid)
        #expect(!CivilTime(year: 2023, month: 2, day: 29).isValid)
        #expect(!CivilTime(year: 1900, month: 2, day: 29).isValid)
        #expect(CivilTime(year: 2000, month: 2, day: 29).isValid)
        #expect(!CivilTime(year: 2024, month: 13, day: 1).isValid)
        #expect(!CivilTime(year: 2024, month: 4, day: 31).isValid)
        #expect(!CivilTime(year: 2024, month: 1, day: 1, hour: 24).isValid)
        #expect(!CivilTime(year: 2024, month: 1, day: 1, second: 60).isValid)
        #expect(!CivilTime(year: 2024, month: 1, day: 1, millisecond: 1000).isValid)
    }

    /// Wall clock in a zone and back, including a zone with daylight saving time on both sides of its changes.
    @Test func wallClockInAZoneAndBack() throws {
        let shanghai = try #require(TimeZone(identifier: "Asia/Shanghai"))
        let t = CivilTime(milliseconds: 1_714_521_600_123, in: shanghai)  // 2024-05-01T00:00:00.123Z
        #expect(t == CivilTime(year: 2024, month: 5, day: 1, hour: 8, millisecond: 123))
        #expect(t.instant(in: shanghai) == Date(timeIntervalSince1970: 1_714_521_600.123))
        let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
        // 2024-03-31 01:30 UTC is 03:30 summer time, just after the clocks went forward; 00:30 UTC is 01:30 winter
        // time, just before.
        for seconds in [1_711_848_600.0, 1_711_845_000.0] {
            let wall = CivilTime(milliseconds: Int64(seconds * 1000), in: berlin)
            #expect(wall.instant(in: berlin).timeIntervalSince1970 == seconds, "\(wall)")
        }
        // 2024-10-27 00:30 UTC and 01:30 UTC are both 02:30 on the wall (the clocks went back): the wall time names
        // one of them, and that one shows 02:30.
        let twice = CivilTime(milliseconds: 1_729_989_000_000, in: berlin)
        #expect(twice == CivilTime(milliseconds: 1_729_992_600_000, in: berlin))
        #expect([1_729_989_000.0, 1_729_992_600.0].contains(twice.instant(in: berlin).timeIntervalSince1970))
        #expect(CivilTime(milliseconds: CivilTime.milliseconds(twice.instant(in: berlin)), in: berlin) == twice)
    }

    @Test func millisecondsRoundAndNeverTrap() {
        #expect(CivilTime.milliseconds(Date(timeIntervalSince1970: 0.2495)) == 250)
        #expect(CivilTime.milliseconds(Date(timeIntervalSince1970: 0.2499), rounding: .down) == 249)
        #expect(CivilTime.milliseconds(Date(timeIntervalSince1970: .infinity)) == 9_200_000_000_000_000_000)
        #expect(CivilTime.milliseconds(Date(timeIntervalSince1970: -.infinity)) == -9_200_000_000_000_000_000)
        #expect(CivilTime.milliseconds(Date(timeIntervalSince1970: .nan)) == 0)
    }

    @Test func offsetsAndPadding() {
        #expect(CivilTime.offset(8 * 3600) == "+08:00")
        #expect(CivilTime.offset(-(3 * 3600 + 1800)) == "-03:30")
        #expect(CivilTime.offset(0) == "+00:00")
        #expect(CivilTime.padded(7, 3) == "007")
        #expect(CivilTime.padded(12345, 3) == "12345")
    }
}
