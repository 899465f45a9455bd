import Foundation
import HJ212
import Testing

@testable import Uplink

/// Every number the platform sends in a request, fed hostile values: each is refused (ExeRtn 2, or QnRtn rejected
/// for history), journaled with the field and its range, and nothing is changed or crashes.
struct UplinkRequestRangeTests {
    static let hostileNumbers = [
        "0", "-1", "-30", "3601", "1e21", "1e300", "nan", "inf", "9223372036854775807", "99999999999999999999999",
        "30.5", "x", "",
    ]

    func request(_ cn: CommandCode, _ fields: [(String, String)]) -> Frame {
        Frame(
            qn: "20250301085000123", st: "32", cn: cn, pw: "123456", mn: "010000A8900016F000169DC0",
            flag: .acknowledgement, cp: DataArea(fields: fields))
    }

    /// Issue 14: the platform may set exactly the intervals the configuration key accepts (5...3600 s).
    @Test func thePlatformSetsTheIntervalsTheConfigurationAccepts() {
        var harness = Harness()
        harness.step()
        for value in ["1", "4", "3601"] {
            let rtd = harness.request(request(.setRealTimeInterval, [("RtdInterval", value)]))
            #expect(rtd.last?.cp["ExeRtn"] == "2", "RtdInterval=\(value)")
        }
        for value in ["5", "3600"] {
            let rtd = harness.request(request(.setRealTimeInterval, [("RtdInterval", value)]))
            #expect(rtd.last?.cp["ExeRtn"] == "1", "RtdInterval=\(value)")
            #expect(harness.request(request(.getRealTimeInterval, []))[1].cp["RtdInterval"] == value)
        }
    }

    @Test func hostileIntervalsAreRefusedNamingTheField() {
        var harness = Harness()
        harness.step()
        for value in Self.hostileNumbers {
            let rtd = harness.request(request(.setRealTimeInterval, [("RtdInterval", value)]))
            #expect(rtd.last?.cp["ExeRtn"] == "2", "RtdInterval=\(value)")
            let min = harness.request(request(.setMinuteInterval, [("MinInterval", value)]))
            #expect(min.last?.cp["ExeRtn"] == "2", "MinInterval=\(value)")
        }
        let rtdRefusals = harness.journalled("uplink got a bad RtdInterval to set")
        #expect(rtdRefusals.count == Self.hostileNumbers.count)
        #expect(rtdRefusals.allSatisfy { $0.metadata["why"] == "RtdInterval must be whole seconds in 5...3600" })
        #expect(
            harness.journalled("uplink got a bad MinInterval to set (it must divide 60)").allSatisfy {
                $0.metadata["why"]?.hasPrefix("MinInterval must be") == true
            })
        // Nothing changed: the interval is still the configured one.
        let replies = harness.request(request(.getRealTimeInterval, []))
        #expect(replies[1].cp["RtdInterval"] == "30")
    }

    @Test(arguments: [
        "00000101000000", "19991231235959", "21000101000000", "99991231235959", "20251301000000", "2025030109000",
        "202503010900001234", "-2025030109000", "1e21", "",
    ])
    func anImplausibleClockIsNotSet(systemTime: String) {
        var harness = Harness(configuration: testConfiguration(allowTimeSet: true))
        harness.step()
        let replies = harness.request(request(.setTime, [("SystemTime", systemTime)]))
        #expect(replies.last?.cp["ExeRtn"] == "2")
        #expect(harness.clockSets.isEmpty)
        #expect(
            harness.journalled("uplink got a bad SystemTime to set").first?.metadata["why"]
                == "SystemTime must be yyyyMMddHHmmss in 2000...2099")
    }

    @Test(arguments: [
        ("00000101000000", "99991231235959"), ("20250301080000", "99991231235959"), ("1e21", "20250301080000"),
        ("20250301080000", "-1"), ("20250301090000", "20250301080000"), ("99999999999999", "99999999999999"),
    ])
    func hostileHistoryRangesAreRejected(begin: String, end: String) {
        var harness = Harness(configuration: testConfiguration(hourlyData: false))
        harness.step()
        for cn in [CommandCode.minuteData, .hourlyData, .dailyData] {
            let replies = harness.request(request(cn, [("BeginTime", begin), ("EndTime", end)]))
            #expect(replies.map(\.cn) == [.requestReply], "\(cn) \(begin)...\(end)")
            #expect(replies.first?.cp["QnRtn"] != "1")
        }
        #expect(harness.journalled("uplink refused a platform request").count == 3)
    }
}
