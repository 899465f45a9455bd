import Foundation
import Testing

@testable import WebAPI

struct QueryTimeTests {
    let now = Date(timeIntervalSince1970: 1_740_787_200)

    @Test(arguments: [
        ("now", 0.0), ("-30s", -30), ("-10m", -600), ("-2h", -7200), ("-3d", -259_200), ("-1w", -604_800),
        ("-1.5h", -5400),
    ])
    func relativeTimes(text: String, offset: Double) throws {
        #expect(try #require(QueryTime.parse(text, now: now)).timeIntervalSince(now) == offset)
    }

    @Test func isoTimesWithAndWithoutAnEncodedPlus() throws {
        let utc = try #require(QueryTime.parse("2025-03-01T00:00:00.000Z", now: now))
        #expect(utc == now)
        #expect(QueryTime.parse("2025-03-01T08:00:00.000+08:00", now: now) == now)
        // An unencoded `+` arrives as a space.
        #expect(QueryTime.parse("2025-03-01T08:00:00.000 08:00", now: now) == now)
        #expect(QueryTime.parse("2025-03-01T08:00:00+08:00", now: now) == now)
    }

    /// A time without its zone is refused rather than guessed: UTC, or the site's zone?
    @Test(arguments: ["yesterday", "-10", "-10x", "10m", "--1h", "2025-13-01T00:00:00Z", "", "2025-03-01T08:00:00"])
    func nonsenseIsNoTime(text: String) {
        #expect(QueryTime.parse(text, now: now) == nil)
    }

    @Test func rangesDefaultAndRefuseFromAfterTo() throws {
        let r = try QueryTime.range(from: nil, to: nil, defaultSpan: 3600, now: now)
        #expect(r.to == now)
        #expect(r.from == now - 3600)
        let r2 = try QueryTime.range(from: "-2h", to: "-1h", defaultSpan: 3600, now: now)
        #expect(r2.from == now - 7200)
        #expect(r2.to == now - 3600)
        #expect(throws: APIError.self) { try QueryTime.range(from: "-1h", to: "-2h", defaultSpan: 1, now: now) }
        do {
            _ = try QueryTime.range(from: "soon", to: nil, defaultSpan: 1, now: now)
            Issue.record("accepted a nonsense time")
        } catch {
            #expect(error.message.hasPrefix("from: \"soon\" is neither an ISO 8601 time"))
        }
    }
}
