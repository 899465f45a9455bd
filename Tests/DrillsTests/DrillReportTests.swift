import Drills
import Foundation
import Testing

struct DrillReportTests {
    let t0 = Fixture.t0

    private func alarms(at seconds: [Double]) -> [DrillReport.AlarmRecord] {
        seconds.map { DrillReport.AlarmRecord(at: t0 + $0, id: "a\($0)", priority: "high", text: "") }
    }

    @Test func theAlarmRateIsTheMostActivationsInAnyTenMinutes() {
        // Three in the first two minutes; four from 700 s, in any order.
        let alarms = alarms(at: [730, 0, 60, 120, 700, 710, 720])
        #expect(DrillReport.alarmRatePerTenMinutes(of: alarms) == 4)
        #expect(DrillReport.alarmRatePerTenMinutes(of: []) == 0)
        #expect(DrillReport.alarmRatePerTenMinutes(of: self.alarms(at: [5])) == 1)
    }

    /// Windows are half-open: alarms exactly ten minutes apart are in different windows, a millisecond less is one.
    @Test func theAlarmRateWindowIsHalfOpen() {
        #expect(DrillReport.alarmRatePerTenMinutes(of: alarms(at: [0, 600, 1200])) == 1)
        #expect(DrillReport.alarmRatePerTenMinutes(of: alarms(at: [0, 599.999, 1200])) == 2)
        #expect(DrillReport.alarmRatePerTenMinutes(of: alarms(at: [100, 100, 100])) == 3)
    }

    @Test func theInitialiserComputesTheAlarmRateUnlessGiven() {
        let report = Fixture.report()
        #expect(report.alarmRatePerTenMinutes == 2)
        let given = DrillReport(
            id: "d", site: "s", siteName: "s", timeZone: "UTC", plan: "p", live: false, startedBy: "u",
            reason: "r", startedAt: t0, alarms: alarms(at: [0, 1]), alarmRatePerTenMinutes: 7
        )
        #expect(given.alarmRatePerTenMinutes == 7)
    }

    @Test func theReportRoundTripsThroughJSONAndCodable() throws {
        let report = Fixture.report()
        #expect(try DrillReport(json: report.json()) == report)

        // Any Codable coder, too (dates at whole milliseconds so that every date strategy keeps them exactly).
        var plain = report
        plain.startedAt = Date(timeIntervalSince1970: 1_740_787_200)
        let data = try JSONEncoder().encode(plain)
        #expect(try JSONDecoder().decode(DrillReport.self, from: data) == plain)
    }

    @Test func theJSONHasMillisecondDatesAndSurvivesANonFiniteNumber() throws {
        var report = Fixture.report()
        report.pools[0].levelAfter = .infinity
        let json = try report.json()
        #expect(json.contains(#""startedAt":1740787200250"#))
        #expect(json.contains(#""kind":"manualAction""#))
        let back = try DrillReport(json: json)
        #expect(back.pools[0].levelAfter == .infinity)
        #expect(back.timeline == report.timeline)
    }
}
