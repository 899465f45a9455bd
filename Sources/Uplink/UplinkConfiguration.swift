import Foundation
import HJ212

/// How Levee reports to the environmental bureau's platform over HJ 212-2017.
///
/// Keys, with their defaults:
/// - `host`, `port`: the platform's address, as the bureau gives it (a name or an IP address).
/// - `mn`: the station's 24-character MN (监测点编码), and `pw` (at most 9 characters), as the bureau issues them.
/// - `st` (32, water pollution source): the system code of every upload.
/// - `factors`: which Levee point reports as which factor code, such as `"outfall-1.cod" = "w01018"`. Points not
///   listed are not reported; a factor may appear once. Frames list factors in code order.
/// - `realTimeIntervalSeconds` (30): how often 2011 real-time data goes up. The platform may change it (1062); its
///   value is kept in the store and wins over this one from then on, across restarts.
/// - `minuteIntervalMinutes` (10): the length of a 2051 minute-data period, one that divides 60. The platform may
///   change it (1064), as for the real-time interval. A change, by the platform or here, starts minute periods
///   afresh from the next period on the new grid: periods still owed on the old one are given up (journalled).
/// - `minuteData` (true), `hourlyData` (true): whether 2051 and 2061 periods are uploaded and backfilled.
/// - `ackTimeoutSeconds` (10) and `retries` (3): how long an upload waits for its 9014 before it is sent again, and
///   how many times; then the link counts as failed and is reconnected (the standard's usual 10 s and 3).
/// - `maxSegmentLength` (1024, the 2017 standard's limit): longer messages are split into packets.
/// - `timeZone` (UTC+8): the zone of every DataTime, QN and period boundary; China Standard Time for the bureau.
/// - `backfillHorizonSeconds` (7 days): how far back unacknowledged minute and hourly periods are still sent after
///   an outage; older ones are given up, and the journal says how many.
/// - `allowTimeSet` (false): whether the platform may set the station's clock (1012). Off, the request is refused
///   (ExeRtn=2) and journalled: the plant's clock is disciplined by NTP, not by the platform.
/// - `connectTimeoutSeconds` (5), `reconnectMinSeconds` (1), `reconnectMaxSeconds` (60): connecting, and the
///   backoff between attempts, doubling from the least to the most.
/// - `settleSeconds` (5): how long after a period ends its data is gathered, so that the historian has written it.
/// - `decimals` (3): decimals of values sent (trailing zeros dropped).
public struct UplinkConfiguration: Sendable, Hashable {
    public var host: String
    public var port: Int
    public var mn: String
    public var pw: String
    public var st: SystemCode
    public var factors: [String: String]
    public var realTimeIntervalSeconds: Int
    public var minuteIntervalMinutes: Int
    public var minuteData: Bool
    public var hourlyData: Bool
    public var ackTimeoutSeconds: Double
    public var retries: Int
    public var maxSegmentLength: Int
    public var timeZone: TimeZone
    public var backfillHorizonSeconds: Double
    public var allowTimeSet: Bool
    public var connectTimeoutSeconds: Double
    public var reconnectMinSeconds: Double
    public var reconnectMaxSeconds: Double
    public var settleSeconds: Double
    public var decimals: Int

    public init(
        host: String,
        port: Int,
        mn: String,
        pw: String,
        st: SystemCode = .waterPollutionSource,
        factors: [String: String],
        realTimeIntervalSeconds: Int = 30,
        minuteIntervalMinutes: Int = 10,
        minuteData: Bool = true,
        hourlyData: Bool = true,
        ackTimeoutSeconds: Double = 10,
        retries: Int = 3,
        maxSegmentLength: Int = Frame.standardMaxSegmentLength,
        timeZone: TimeZone = HJ212Time.china.timeZone,
        backfillHorizonSeconds: Double = 7 * 86_400,
        allowTimeSet: Bool = false,
        connectTimeoutSeconds: Double = 5,
        reconnectMinSeconds: Double = 1,
        reconnectMaxSeconds: Double = 60,
        settleSeconds: Double = 5,
        decimals: Int = 3
    ) {
        self.host = host
        self.port = port
        self.mn = mn
        self.pw = pw
        self.st = st
        self.factors = factors
        self.realTimeIntervalSeconds = realTimeIntervalSeconds
        self.minuteIntervalMinutes = minuteIntervalMinutes
        self.minuteData = minuteData
        self.hourlyData = hourlyData
        self.ackTimeoutSeconds = ackTimeoutSeconds
        self.retries = retries
        self.maxSegmentLength = maxSegmentLength
        self.timeZone = timeZone
        self.backfillHorizonSeconds = backfillHorizonSeconds
        self.allowTimeSet = allowTimeSet
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.reconnectMinSeconds = reconnectMinSeconds
        self.reconnectMaxSeconds = reconnectMaxSeconds
        self.settleSeconds = settleSeconds
        self.decimals = decimals
    }

    /// The real-time intervals the configuration and the platform (1062) may set, in seconds.
    public static let realTimeIntervals = RealTimeInterval.seconds

    /// Whether `minutes` is a minute-data interval: one that divides an hour, so periods line up with hours.
    public static func isMinuteInterval(_ minutes: Int) -> Bool {
        (1...60).contains(minutes) && 60 % minutes == 0
    }

    /// What is wrong with the configuration, each naming its key and the rule broken; empty when it is usable.
    public var problems: [String] {
        var problems: [String] = []
        if host.isEmpty { problems.append("host is empty") }
        if !(1...65535).contains(port) { problems.append("port \(port) is outside 1...65535") }
        let frame = Frame(st: st, cn: .realTimeData, pw: pw, mn: mn)
        do {
            try frame.validate()
        } catch {
            problems.append("mn/pw/st: \(error)")
        }
        var seen: [String: String] = [:]
        for (point, code) in factors.sorted(by: { $0.key < $1.key }) {
            if let other = seen[code] {
                problems.append("factors: \"\(point)\" and \"\(other)\" both report as \(code)")
            }
            seen[code] = point
            if code.isEmpty || !code.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && !";,=&-".utf8.contains($0) }) {
                problems.append("factors: \"\(point)\" has factor code \"\(code)\", which is not like w01018")
            }
        }
        if !Self.realTimeIntervals.contains(realTimeIntervalSeconds) {
            problems.append("realTimeIntervalSeconds \(realTimeIntervalSeconds) is outside \(Self.realTimeIntervals)")
        }
        if !Self.isMinuteInterval(minuteIntervalMinutes) {
            problems.append("minuteIntervalMinutes \(minuteIntervalMinutes) does not divide 60")
        }
        if !(ackTimeoutSeconds > 0) { problems.append("ackTimeoutSeconds must be more than 0") }
        if retries < 0 { problems.append("retries must be 0 or more") }
        if !(64...Frame.maximumSegmentLength).contains(maxSegmentLength) {
            problems.append("maxSegmentLength \(maxSegmentLength) is outside 64...9999")
        }
        if !(backfillHorizonSeconds >= 0) { problems.append("backfillHorizonSeconds must be 0 or more") }
        if !(reconnectMinSeconds > 0 && reconnectMaxSeconds >= reconnectMinSeconds) {
            problems.append("reconnectMinSeconds must be more than 0 and at most reconnectMaxSeconds")
        }
        return problems
    }

    /// The factors in the order frames list them: by code.
    var orderedFactors: [(point: String, code: String)] {
        factors.map { (point: $0.key, code: $0.value) }.sorted { ($0.code, $0.point) < ($1.code, $1.point) }
    }
}
