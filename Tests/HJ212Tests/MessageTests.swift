import Foundation
import LeveeTestSupport
import Testing

@testable import HJ212

struct MessageTests {
    let builder = MessageBuilder(pw: "123456", mn: "010000A8900016F000169DC0")
    /// 2021-03-05 00:38:17.123 in China (UTC+8) is 2021-03-04 16:38:17.123 UTC.
    let instant = Date(timeIntervalSince1970: 1_614_875_897.123)

    @Test func timesAreInTheConfiguredZone() {
        #expect(HJ212Time.china.dataTime(instant) == "20210305003817")
        #expect(HJ212Time.china.qn(instant) == "20210305003817123")
        let utc = HJ212Time(timeZone: TimeZone(identifier: "UTC")!)
        #expect(utc.dataTime(instant) == "20210304163817")
        #expect(HJ212Time.china.date(from: "20210305003817123") == instant)
        #expect(HJ212Time.china.date(from: "20210305003817") == Date(timeIntervalSince1970: 1_614_875_897))
        #expect(HJ212Time.china.date(from: "20210230003817") == nil)
        #expect(HJ212Time.china.date(from: "2021030500381") == nil)
        #expect(HJ212Time.china.date(from: "20210305246000") == nil)
        // Before 1970 and a leap day.
        let leap = HJ212Time.china.date(from: "19600229120000")!
        #expect(HJ212Time.china.dataTime(leap) == "19600229120000")
    }

    @Test func timesRoundTripOverManyDates() {
        var rng = SplitMix64(seed: 11)
        for _ in 0..<2000 {
            let date = Date(
                timeIntervalSince1970: Double(Int64.random(in: -2_000_000_000...4_000_000_000, using: &rng)))
            #expect(HJ212Time.china.date(from: HJ212Time.china.dataTime(date)) == date)
        }
    }

    @Test(arguments: [
        (1.1, "1.1"), (3.0, "3"), (0.000_01, "0"), (-0.0, "0"), (-2.5, "-2.5"), (1e-7, "0"),
        (12_345_678.9, "12345678.9"),
        (0.1 + 0.2, "0.3"), (1.0005, "1.001"), (-0.0004, "0"), (1e20, "100000000000000000000"),
    ])
    func numbersHaveNoExponent(value: Double, text: String) {
        #expect(HJ212Number.format(value) == text)
    }

    @Test func numbersRespectDecimalsAndRefuseNonFinite() {
        #expect(HJ212Number.format(2.345_67, decimals: 2) == "2.35")
        #expect(HJ212Number.format(2.5, decimals: 0) == "3")
        #expect(HJ212Number.format(.nan) == nil)
        #expect(HJ212Number.format(.infinity) == nil)
    }

    @Test func realTimeData() throws {
        let frame = builder.realTimeData(
            qn: "20210305003817123", dataTime: instant,
            values: [
                RealTimeValue(code: "w01018", value: 1.1, flag: .normal),
                RealTimeValue(code: "w00000", value: nil, flag: .communicationFault),
            ], flag: .acknowledgement)
        #expect(
            frame.segment
                == "QN=20210305003817123;ST=32;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
                + "CP=&&DataTime=20210305003817;w01018-Rtd=1.1,w01018-Flag=N;w00000-Flag=B&&")
        #expect(try Frame.decode(frame.encoded()) == frame)
    }

    @Test func minuteAndHourlyData() {
        let values = [AggregateValue(code: "w01018", average: 1.25, minimum: 1, maximum: 1.5, flag: .normal)]
        let minute = builder.minuteData(qn: nil, dataTime: instant, values: values, flag: .acknowledgement)
        #expect(minute.cn == .minuteData)
        #expect(minute.cp.text == "DataTime=20210305003817;w01018-Avg=1.25,w01018-Min=1,w01018-Max=1.5,w01018-Flag=N")
        let hourly = builder.hourlyData(
            qn: nil, dataTime: instant,
            values: [AggregateValue(code: "w01018", average: nil, minimum: nil, maximum: nil, flag: .fault)],
            flag: .noAcknowledgement)
        #expect(hourly.cn == .hourlyData)
        #expect(hourly.cp.text == "DataTime=20210305003817;w01018-Flag=D")
        #expect(hourly.flag == .noAcknowledgement)
    }

    @Test func replies() {
        let qn = "20160801085857223"
        #expect(
            builder.requestReply(to: qn, .accepted).segment
                == "QN=\(qn);ST=91;CN=9011;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&QnRtn=1&&")
        #expect(builder.requestReply(to: qn, .wrongPassword).cp["QnRtn"] == "3")
        #expect(builder.requestReply(to: qn, .wrongMN).cp["QnRtn"] == "4")
        #expect(
            builder.executionResult(to: qn, .noData).segment
                == "QN=\(qn);ST=91;CN=9012;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&ExeRtn=100&&")
        #expect(
            builder.dataReply(to: qn).segment.hasSuffix(
                ";ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&"))
        #expect(
            builder.timeReply(to: qn, systemTime: instant, polId: "w01018").cp.text
                == "PolId=w01018;SystemTime=20210305003817")
        #expect(builder.timeReply(to: qn, systemTime: instant).cn == .getTime)
        #expect(builder.realTimeIntervalReply(to: qn, seconds: 30).cp.text == "RtdInterval=30")
        #expect(builder.realTimeIntervalReply(to: qn, seconds: 30).cn == .getRealTimeInterval)
        #expect(builder.minuteIntervalReply(to: qn, minutes: 10).cp.text == "MinInterval=10")
        #expect(builder.minuteIntervalReply(to: qn, minutes: 10).cn == .getMinuteInterval)
    }

    @Test(arguments: [
        ("good", false, DataFlag.normal), ("comm-fail", false, .communicationFault),
        ("out-of-range", false, .overRange),
        ("stale", false, .fault), ("bad-config", false, .fault), ("initial", false, .fault),
        ("something-new", false, .fault), ("good", true, .maintenance), ("comm-fail", true, .maintenance),
    ])
    func dataFlagFromQuality(quality: String, bypassed: Bool, flag: DataFlag) {
        #expect(DataFlag(quality: quality, bypassed: bypassed) == flag)
    }

    @Test func worstFlag() {
        #expect(DataFlag.worst([.normal, .overRange]) == .overRange)
        #expect(DataFlag.worst([.overRange, .fault, .normal]) == .fault)
        #expect(DataFlag.worst([.fault, .communicationFault]) == .communicationFault)
        #expect(DataFlag.worst([.communicationFault, .maintenance]) == .maintenance)
        #expect(DataFlag.worst([]) == nil)
        #expect(Set(DataFlag.allCases.map(\.rawValue)) == ["N", "F", "M", "S", "D", "C", "T", "B"])
    }
}
