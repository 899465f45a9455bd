/// The system code, `ST`: which kind of station or message a frame belongs to.
///
/// Kept as the digits on the wire, so that a code Levee does not know still round-trips.
public struct SystemCode: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }

    /// 21: surface-water quality.
    public static let surfaceWater: SystemCode = "21"
    /// 22: air quality.
    public static let airQuality: SystemCode = "22"
    /// 31: air pollution source.
    public static let airPollutionSource: SystemCode = "31"
    /// 32: water pollution source, Levee's default.
    public static let waterPollutionSource: SystemCode = "32"
    /// 91: system interaction, the replies 9011, 9012, 9013 and 9014.
    public static let systemInteraction: SystemCode = "91"
}

/// The command code, `CN`: what a frame asks for or carries.
public struct CommandCode: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }

    /// The code as a number, for storage; nil when it is not all digits.
    public var number: Int? { Int(rawValue) }

    public static let getTime: CommandCode = "1011"
    public static let setTime: CommandCode = "1012"
    public static let getRealTimeInterval: CommandCode = "1061"
    public static let setRealTimeInterval: CommandCode = "1062"
    public static let getMinuteInterval: CommandCode = "1063"
    public static let setMinuteInterval: CommandCode = "1064"
    public static let realTimeData: CommandCode = "2011"
    public static let deviceStatus: CommandCode = "2021"
    public static let dailyData: CommandCode = "2031"
    public static let minuteData: CommandCode = "2051"
    public static let hourlyData: CommandCode = "2061"
    public static let requestReply: CommandCode = "9011"
    public static let executionResult: CommandCode = "9012"
    public static let notificationReply: CommandCode = "9013"
    public static let dataReply: CommandCode = "9014"
}

/// The request reply's `QnRtn` (CN 9011): whether a platform request was taken.
public enum RequestResult: Int, Hashable, Sendable, CaseIterable {
    case accepted = 1
    case rejected = 2
    case wrongPassword = 3
    case wrongMN = 4
    case crcError = 9
}

/// The execution result's `ExeRtn` (CN 9012): how a platform request ended.
public enum ExecutionResult: Int, Hashable, Sendable, CaseIterable {
    case done = 1
    case failed = 2
    case noData = 100
}

/// The real-time data (2011) interval Levee sends at, in seconds: one range for the configuration's
/// `realtime_interval_s` and for the platform's 1062 request (RtdInterval), so that whatever one of them accepts the
/// other does too. Five seconds is the fastest a field network of polled instruments makes worth sending.
public enum RealTimeInterval {
    public static let seconds: ClosedRange<Int> = 5...3600
}
