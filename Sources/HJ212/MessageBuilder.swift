import Foundation

/// One factor's real-time value for a 2011 frame: `w01018-Rtd=1.1,w01018-Flag=N`.
public struct RealTimeValue: Hashable, Sendable {
    /// The factor code, such as `w01018` (COD).
    public var code: String
    /// nil (or not finite) when there is no value: the group then carries the flag alone.
    public var value: Double?
    public var flag: DataFlag

    public init(code: String, value: Double?, flag: DataFlag) {
        self.code = code
        self.value = value
        self.flag = flag
    }
}

/// One factor's statistics over a period, for 2051, 2061 and 2031 frames:
/// `w01018-Avg=1.1,w01018-Min=0.9,w01018-Max=1.3,w01018-Flag=N`.
public struct AggregateValue: Hashable, Sendable {
    public var code: String
    /// nil when the period held no value (only faults): the group then carries the flag alone.
    public var average: Double?
    public var minimum: Double?
    public var maximum: Double?
    public var flag: DataFlag

    public init(code: String, average: Double?, minimum: Double?, maximum: Double?, flag: DataFlag) {
        self.code = code
        self.average = average
        self.minimum = minimum
        self.maximum = maximum
        self.flag = flag
    }
}

/// Builds the frames a station sends: its uploads and its answers to the platform.
///
/// Every frame carries the station's ST, PW and MN. Uploads (2011, 2051, 2061, 2031) take the flag the caller wants
/// (``FrameFlag/acknowledgement`` to have the platform answer 9014); replies carry ``FrameFlag/noAcknowledgement``
/// and the QN of the request they answer. Times are written in ``time``'s zone.
public struct MessageBuilder: Hashable, Sendable {
    public var st: SystemCode
    public var pw: String
    public var mn: String
    public var time: HJ212Time
    /// Decimals of values in the data area (trailing zeros dropped), ``HJ212Number``.
    public var decimals: Int

    public init(
        st: SystemCode = .waterPollutionSource,
        pw: String,
        mn: String,
        time: HJ212Time = .china,
        decimals: Int = 3
    ) {
        self.st = st
        self.pw = pw
        self.mn = mn
        self.time = time
        self.decimals = decimals
    }

    /// A QN for a frame sent at `date`: `yyyyMMddHHmmssSSS`.
    public func qn(_ date: Date) -> String { time.qn(date) }

    // MARK: - Uploads

    /// 2011, real-time data: `DataTime=…;<code>-Rtd=v,<code>-Flag=f;…`.
    public func realTimeData(qn: String?, dataTime: Date, values: [RealTimeValue], flag: FrameFlag) -> Frame {
        var groups: [[DataField]] = [[DataField("DataTime", time.dataTime(dataTime))]]
        for value in values {
            var group: [DataField] = []
            if let v = value.value, let text = HJ212Number.format(v, decimals: decimals) {
                group.append(DataField("\(value.code)-Rtd", text))
            }
            group.append(DataField("\(value.code)-Flag", value.flag.rawValue))
            groups.append(group)
        }
        return upload(.realTimeData, qn: qn, groups: groups, flag: flag)
    }

    /// 2051 (minute), 2061 (hourly) or 2031 (daily) data for the period starting at `dataTime`:
    /// `DataTime=…;<code>-Avg=…,<code>-Min=…,<code>-Max=…,<code>-Flag=f;…`.
    public func aggregateData(
        _ cn: CommandCode,
        qn: String?,
        dataTime: Date,
        values: [AggregateValue],
        flag: FrameFlag
    ) -> Frame {
        var groups: [[DataField]] = [[DataField("DataTime", time.dataTime(dataTime))]]
        for value in values {
            var group: [DataField] = []
            for (suffix, number) in [("Avg", value.average), ("Min", value.minimum), ("Max", value.maximum)] {
                if let number, let text = HJ212Number.format(number, decimals: decimals) {
                    group.append(DataField("\(value.code)-\(suffix)", text))
                }
            }
            group.append(DataField("\(value.code)-Flag", value.flag.rawValue))
            groups.append(group)
        }
        return upload(cn, qn: qn, groups: groups, flag: flag)
    }

    /// 2051, minute data.
    public func minuteData(qn: String?, dataTime: Date, values: [AggregateValue], flag: FrameFlag) -> Frame {
        aggregateData(.minuteData, qn: qn, dataTime: dataTime, values: values, flag: flag)
    }

    /// 2061, hourly data.
    public func hourlyData(qn: String?, dataTime: Date, values: [AggregateValue], flag: FrameFlag) -> Frame {
        aggregateData(.hourlyData, qn: qn, dataTime: dataTime, values: values, flag: flag)
    }

    private func upload(_ cn: CommandCode, qn: String?, groups: [[DataField]], flag: FrameFlag) -> Frame {
        Frame(qn: qn, st: st, cn: cn, pw: pw, mn: mn, flag: flag, cp: DataArea(groups))
    }

    // MARK: - Replies

    /// 9011, the request reply: `QnRtn=…`, with the request's QN.
    public func requestReply(to qn: String?, _ result: RequestResult) -> Frame {
        reply(.requestReply, st: .systemInteraction, qn: qn, fields: [("QnRtn", String(result.rawValue))])
    }

    /// 9012, the execution result: `ExeRtn=…`, with the request's QN.
    public func executionResult(to qn: String?, _ result: ExecutionResult) -> Frame {
        reply(.executionResult, st: .systemInteraction, qn: qn, fields: [("ExeRtn", String(result.rawValue))])
    }

    /// 9014, the data reply a receiver sends for a frame that asked for acknowledgement (the platform's side; the
    /// tests' fake platform uses it).
    public func dataReply(to qn: String?) -> Frame {
        reply(.dataReply, st: .systemInteraction, qn: qn, fields: [])
    }

    /// 1011, the station's time: `[PolId=…;]SystemTime=yyyyMMddHHmmss`.
    public func timeReply(to qn: String?, systemTime: Date, polId: String? = nil) -> Frame {
        var fields: [(String, String)] = []
        if let polId { fields.append(("PolId", polId)) }
        fields.append(("SystemTime", time.dataTime(systemTime)))
        return reply(.getTime, st: st, qn: qn, fields: fields)
    }

    /// 1061, the real-time data interval: `RtdInterval=<seconds>`.
    public func realTimeIntervalReply(to qn: String?, seconds: Int) -> Frame {
        reply(.getRealTimeInterval, st: st, qn: qn, fields: [("RtdInterval", String(seconds))])
    }

    /// 1063, the minute data interval: `MinInterval=<minutes>`.
    public func minuteIntervalReply(to qn: String?, minutes: Int) -> Frame {
        reply(.getMinuteInterval, st: st, qn: qn, fields: [("MinInterval", String(minutes))])
    }

    private func reply(_ cn: CommandCode, st: SystemCode, qn: String?, fields: [(String, String)]) -> Frame {
        Frame(qn: qn, st: st, cn: cn, pw: pw, mn: mn, flag: .noAcknowledgement, cp: DataArea(fields: fields))
    }
}
