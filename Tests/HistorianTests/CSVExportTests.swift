import Foundation
import Testing

@testable import Historian

struct CSVExportTests {
    @Test func exportWritesISOTimesWithMillisecondsAndOffsetAndQuotesAsRFC4180() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let historian = Historian(
            configuration: testConfiguration(scratch.path("h.db")), logger: LogCapture().logger)
        defer { historian.close() }

        historian.record([
            reading("gas-a1.concentration", 12.5, at: 0.25),
            reading("gas-a1.concentration", nil, "comm-fail", at: 5),
            reading("gas-a1.concentration", 0.1, "good", at: 3600.999),
            reading("other,\"odd\" point", -3, "bad\nconfig", at: 1),
        ])
        try historian.flush()
        let start = Date(timeIntervalSince1970: 1_740_787_200)

        let shanghai = try #require(TimeZone(secondsFromGMT: 8 * 3600))
        let one = try await historian.exportCSV(
            point: "gas-a1.concentration", from: start, to: start + 7200, timeZone: shanghai
        )
        #expect(
            one == "time,point,value,quality\r\n"
                + "2025-03-01T08:00:00.250+08:00,gas-a1.concentration,12.5,good\r\n"
                + "2025-03-01T08:00:05.000+08:00,gas-a1.concentration,,comm-fail\r\n"
                + "2025-03-01T09:00:00.999+08:00,gas-a1.concentration,0.1,good\r\n"
        )

        let utc = try #require(TimeZone(identifier: "UTC"))
        let all = try await historian.exportCSV(point: nil, from: start, to: start + 3600, timeZone: utc)
        #expect(
            all == "time,point,value,quality\r\n"
                + "2025-03-01T00:00:00.250+00:00,gas-a1.concentration,12.5,good\r\n"
                + "2025-03-01T00:00:01.000+00:00,\"other,\"\"odd\"\" point\",-3,\"bad\nconfig\"\r\n"
                + "2025-03-01T00:00:05.000+00:00,gas-a1.concentration,,comm-fail\r\n"
        )

        let empty = try await historian.exportCSV(point: "nothing", from: start, to: start + 3600, timeZone: utc)
        #expect(empty == "time,point,value,quality\r\n")
    }

    /// Values as the device gave them: no double noise, a scaled register's decimals, a float32's shortest text.
    @Test func valuesCarryThePointsOwnPrecisionAndExcelGetsABOMAndLocalTimes() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let historian = Historian(
            configuration: testConfiguration(scratch.path("h.db")), logger: LogCapture().logger)
        defer { historian.close() }
        historian.record([
            // 123 × 0.1 from an int16 register: the double is 12.300000000000001.
            reading("h2s-a1.concentration", 123 * 0.1, at: 0),
            reading("ph-1.ph", 700 * 0.01, at: 1),
            // A float32 register's 0.1, as the poller widens it.
            reading("gas-a1.concentration", Double(Float(0.1)), at: 2),
            reading("pool.volume", 0.1 + 0.2, at: 3),
        ])
        try historian.flush()
        let start = Date(timeIntervalSince1970: 1_740_787_200)
        let shanghai = try #require(TimeZone(identifier: "Asia/Shanghai"))
        #expect(123 * 0.1 == 12.300000000000001, "the noise this test is about")

        let csv = try await historian.exportCSV(
            point: nil, from: start, to: start + 60, timeZone: shanghai,
            decimals: ["h2s-a1.concentration": 1, "ph-1.ph": 2])
        #expect(
            csv == "time,point,value,quality\r\n"
                + "2025-03-01T08:00:00.000+08:00,h2s-a1.concentration,12.3,good\r\n"
                + "2025-03-01T08:00:01.000+08:00,ph-1.ph,7.00,good\r\n"
                + "2025-03-01T08:00:02.000+08:00,gas-a1.concentration,0.1,good\r\n"
                + "2025-03-01T08:00:03.000+08:00,pool.volume,0.3,good\r\n")

        let excel = try await historian.exportCSV(
            point: "h2s-a1.concentration", from: start, to: start + 60, timeZone: shanghai,
            decimals: ["h2s-a1.concentration": 1], excel: true)
        #expect(Array(excel.utf8.prefix(3)) == [0xEF, 0xBB, 0xBF])
        #expect(
            excel == "\u{FEFF}time (Asia/Shanghai),point,value,quality\r\n"
                + "2025-03-01 08:00:00,h2s-a1.concentration,12.3,good\r\n")
    }

    @Test(
        arguments: [
            (12.300000000000001, nil, "12.3"),
            (12.300000000000001, 1, "12.3"),
            (-3.0, nil, "-3"),
            (0.0, 2, "0.00"),
            (-0.001, 1, "0.0"),
            (Double(Float(21.7)), nil, "21.7"),
            (Double(Float(1.0e-5)), nil, "1e-05"),
            (1.0 / 3.0, nil, "0.333333333333333"),
            (1e20, nil, "1e+20"),
            (Double.nan, nil, "NaN"),
        ] as [(Double, Int?, String)])
    func values(value: Double, decimals: Int?, expected: String) {
        #expect(CSV.value(value, decimals: decimals) == expected)
    }

    @Test(arguments: [
        (Int64(0), 0, "1970-01-01T00:00:00.000+00:00"),
        (Int64(-1), 0, "1969-12-31T23:59:59.999+00:00"),
        (Int64(951_782_400_000), 0, "2000-02-29T00:00:00.000+00:00"),
        (Int64(1_740_787_200_123), -(3 * 3600 + 1800), "2025-02-28T20:30:00.123-03:30"),
        (Int64(1_740_787_200_000), 5 * 3600 + 2700, "2025-03-01T05:45:00.000+05:45"),
    ])
    func timestamps(milliseconds: Int64, offset: Int, expected: String) throws {
        let zone = try #require(TimeZone(secondsFromGMT: offset))
        #expect(CSV.timestamp(milliseconds: milliseconds, in: zone) == expected)
    }

    @Test func localTimesForExcelAreTheZonesWallClockToTheSecond() throws {
        let shanghai = try #require(TimeZone(identifier: "Asia/Shanghai"))
        #expect(CSV.localTime(milliseconds: 1_740_787_199_999, in: shanghai) == "2025-03-01 07:59:59")
        let utc = try #require(TimeZone(identifier: "UTC"))
        #expect(CSV.localTime(milliseconds: -1, in: utc) == "1969-12-31 23:59:59")
    }

    @Test func fieldsAreQuotedOnlyWhenNeeded() {
        #expect(CSV.field("gas-a1.concentration") == "gas-a1.concentration")
        #expect(CSV.field("a,b") == "\"a,b\"")
        #expect(CSV.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSV.field("two\r\nlines") == "\"two\r\nlines\"")
        #expect(CSV.field("气体") == "气体")
    }
}
