import ControlAPI
import Foundation
import Testing

@testable import ParkLink

struct ParkTimeTests {
    @Test func formatsUTCWithMilliseconds() {
        #expect(ParkTime.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(ParkTime.format(Date(timeIntervalSince1970: 1_714_550_400.123)) == "2024-05-01T08:00:00.123Z")
        #expect(ParkTime.format(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00.000Z")
        #expect(ParkTime.format(Date(timeIntervalSince1970: -0.001)) == "1969-12-31T23:59:59.999Z")
    }

    @Test func parsesOnlyItsOwnSpelling() {
        #expect(ParkTime.parse("2024-05-01T08:00:00.123Z") == Date(timeIntervalSince1970: 1_714_550_400.123))
        for other in [
            "2024-05-01T08:00:00Z", "2024-05-01T08:00:00.123+00:00", "2024-05-01 08:00:00.123Z",
            "2024-05-01T08:00:00.1234Z", "2023-02-29T00:00:00.000Z", "2024-13-01T00:00:00.000Z",
            "2024-05-01T24:00:00.000Z", "2024-05-01T08:00:60.000Z", "２０24-05-01T08:00:00.000Z", "",
        ] {
            #expect(ParkTime.parse(other) == nil, "\(other)")
        }
    }

    @Test func everyMillisecondRoundTrips() {
        var ms: Int64 = 1_714_550_400_000
        for step in 0..<5000 {
            ms += Int64(step * 7919 % 86_400_000) + 1
            let s = ParkTime.format(ParkTime.date(milliseconds: ms))
            #expect(ParkTime.parse(s).map(ParkTime.milliseconds) == ms)
            #expect(ParkTime.parse(s).map(ParkTime.format) == s)
        }
    }

    /// The control socket's times and these are the same text, so either end can read the other.
    @Test func agreesWithTheControlSocketsFormat() {
        for t in [0, 1_900_000_000.5, 4_102_444_799.75] {
            let d = Date(timeIntervalSince1970: t)
            #expect(ParkTime.format(d) == ControlDates.format(d))
        }
        // Foundation truncates the binary fraction, so 08:00:00.123 can print as .122; this rounds, and so round-trips.
        let d = Date(timeIntervalSince1970: 1_714_550_400.123)
        #expect(ParkTime.format(d) == "2024-05-01T08:00:00.123Z")
        #expect(ControlDates.parse(ParkTime.format(d)).map(ParkTime.milliseconds) == ParkTime.milliseconds(d))
    }
}
