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
                + "2025-03-01T00:00:01.000+00:00,\"other,\"\"odd\"\" point\",-3.0,\"bad\nconfig\"\r\n"
                + "2025-03-01T00:00:05.000+00:00,gas-a1.concentration,,comm-fail\r\n"
        )

        let empty = try await historian.exportCSV(point: "nothing", from: start, to: start + 3600, timeZone: utc)
        #expect(empty == "time,point,value,quality\r\n")
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

    @Test func fieldsAreQuotedOnlyWhenNeeded() {
        #expect(CSV.field("gas-a1.concentration") == "gas-a1.concentration")
        #expect(CSV.field("a,b") == "\"a,b\"")
        #expect(CSV.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSV.field("two\r\nlines") == "\"two\r\nlines\"")
        #expect(CSV.field("气体") == "气体")
    }
}
