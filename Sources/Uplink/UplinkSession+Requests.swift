import Foundation
import HJ212
import Logging

extension UplinkSession {
    /// The most periods one history request (2031, 2051, 2061) may ask for; a longer range is refused (QnRtn=2)
    /// rather than flood the link.
    static let maxRequestedPeriods = 2000
    /// The years, in the station's own time, the platform may set the clock to (1012).
    static let settableYears = 2000...2099

    /// Answers a platform request: 9011, the data, 9012 (see ``received(_:now:)``).
    mutating func request(_ frame: Frame, now: Date) -> [Action] {
        let qn = frame.qn
        var metadata = ["cn": frame.cn.rawValue, "qn": qn ?? "-"]
        guard frame.mn == configuration.mn else {
            metadata["mn"] = frame.mn
            return [
                reply(builder.requestReply(to: qn, .wrongMN)),
                .journal(UplinkJournalEntry(.warning, "uplink refused a platform request for another MN", metadata)),
            ]
        }
        guard frame.pw == configuration.pw else {
            return [
                reply(builder.requestReply(to: qn, .wrongPassword)),
                .journal(
                    UplinkJournalEntry(.warning, "uplink refused a platform request with a wrong password", metadata)),
            ]
        }
        let accepted = reply(builder.requestReply(to: qn, .accepted))
        var actions: [Action]
        let result: ExecutionResult
        switch frame.cn {
        case .getTime:
            actions = [accepted, reply(builder.timeReply(to: qn, systemTime: now, polId: frame.cp["PolId"]))]
            result = .done
        case .setTime:
            (actions, result) = setTime(frame, now: now, metadata: metadata)
            actions.insert(accepted, at: 0)
        case .getRealTimeInterval:
            actions = [accepted, reply(builder.realTimeIntervalReply(to: qn, seconds: realTimeIntervalSeconds))]
            result = .done
        case .setRealTimeInterval:
            (actions, result) = setRealTimeInterval(frame, now: now)
            actions.insert(accepted, at: 0)
        case .getMinuteInterval:
            actions = [accepted, reply(builder.minuteIntervalReply(to: qn, minutes: minuteIntervalMinutes))]
            result = .done
        case .setMinuteInterval:
            (actions, result) = setMinuteInterval(frame, now: now)
            actions.insert(accepted, at: 0)
        case .realTimeData:
            if let data = realTimeFrame(qn: qn, at: now, flag: .noAcknowledgement) {
                actions = [accepted] + sendSplit(data)
                result = .done
            } else {
                actions = [accepted]
                result = .noData
            }
        case .minuteData, .hourlyData, .dailyData:
            guard let length = requestLength(frame.cn),
                let begin = frame.cp["BeginTime"].flatMap(builder.time.date(from:)),
                let end = frame.cp["EndTime"].flatMap(builder.time.date(from:)), begin <= end
            else {
                metadata["why"] = "BeginTime and EndTime must be yyyyMMddHHmmss, BeginTime first"
                return [
                    reply(builder.requestReply(to: qn, .rejected)),
                    .journal(UplinkJournalEntry(.warning, "uplink refused a platform request", metadata)),
                ]
            }
            let first = grid.firstStart(atOrAfter: Int64(begin.timeIntervalSince1970.rounded(.up)), length: length)
            let last = grid.start(containing: end, length: length)
            let count = last >= first ? (last - first) / length + 1 : 0
            guard count <= Self.maxRequestedPeriods else {
                metadata["why"] = "\(count) periods asked, at most \(Self.maxRequestedPeriods)"
                return [
                    reply(builder.requestReply(to: qn, .rejected)),
                    .journal(UplinkJournalEntry(.warning, "uplink refused a platform request", metadata)),
                ]
            }
            (actions, result) = history(frame.cn, qn: qn, first: first, last: last, length: length, now: now)
            actions.insert(accepted, at: 0)
        default:
            return [
                reply(builder.requestReply(to: qn, .rejected)),
                .journal(UplinkJournalEntry(.notice, "uplink refused a platform request it does not serve", metadata)),
            ]
        }
        actions.append(reply(builder.executionResult(to: qn, result)))
        requestsServed += 1
        metadata["exeRtn"] = String(result.rawValue)
        actions.append(.journal(UplinkJournalEntry(.info, "uplink served a platform request", metadata)))
        return actions
    }

    private mutating func setTime(
        _ frame: Frame,
        now: Date,
        metadata: [String: String]
    ) -> ([Action], ExecutionResult) {
        var metadata = metadata
        // A clock set to year 0000 or 9999 would date every reading wrongly until someone noticed; the range is
        // the years HJ 212-2017 stations can meet.
        guard let text = frame.cp["SystemTime"], let time = builder.time.date(from: text),
            let year = Int(text.prefix(4)), Self.settableYears.contains(year)
        else {
            metadata["systemTime"] = frame.cp["SystemTime"] ?? "-"
            metadata["why"] = "SystemTime must be yyyyMMddHHmmss in 2000...2099"
            return ([.journal(UplinkJournalEntry(.warning, "uplink got a bad SystemTime to set", metadata))], .failed)
        }
        metadata["systemTime"] = text
        guard configuration.allowTimeSet else {
            return (
                [
                    .journal(
                        UplinkJournalEntry(
                            .warning, "uplink refused to set the clock for the platform (allowTimeSet is off)",
                            metadata))
                ], .failed
            )
        }
        return (
            [
                .setClock(time),
                .journal(UplinkJournalEntry(.notice, "uplink sets the clock for the platform", metadata)),
            ],
            .done
        )
    }

    private mutating func setRealTimeInterval(_ frame: Frame, now: Date) -> ([Action], ExecutionResult) {
        guard let seconds = frame.cp["RtdInterval"].flatMap({ Int($0) }),
            UplinkConfiguration.realTimeIntervals.contains(seconds)
        else {
            return (
                [
                    .journal(
                        UplinkJournalEntry(
                            .warning, "uplink got a bad RtdInterval to set",
                            [
                                "rtdInterval": frame.cp["RtdInterval"] ?? "-",
                                "why": "RtdInterval must be whole seconds in \(UplinkConfiguration.realTimeIntervals)",
                            ]))
                ], .failed
            )
        }
        realTimeIntervalSeconds = seconds
        nextRealTime = nextBoundary(after: now, seconds: Int64(seconds))
        _ = storeCall("save the real-time interval") { try $0.setInterval(Self.rtdIntervalKey, seconds) }
        var actions = takeQueued()
        actions.append(
            .journal(
                UplinkJournalEntry(.notice, "uplink real-time interval set by the platform", ["seconds": "\(seconds)"]))
        )
        return (actions, .done)
    }

    private mutating func setMinuteInterval(_ frame: Frame, now: Date) -> ([Action], ExecutionResult) {
        guard let minutes = frame.cp["MinInterval"].flatMap({ Int($0) }),
            UplinkConfiguration.isMinuteInterval(minutes)
        else {
            return (
                [
                    .journal(
                        UplinkJournalEntry(
                            .warning, "uplink got a bad MinInterval to set (it must divide 60)",
                            [
                                "minInterval": frame.cp["MinInterval"] ?? "-",
                                "why": "MinInterval must be whole minutes in 1...60 that divide 60",
                            ]))
                ], .failed
            )
        }
        var actions: [Action] = []
        if minutes != minuteIntervalMinutes {
            minuteIntervalMinutes = minutes
            actions += restartMinuteTrack(now: now)
        }
        _ = storeCall("save the minute interval") { try $0.setInterval(Self.minIntervalKey, minutes) }
        actions += takeQueued()
        actions.append(
            .journal(
                UplinkJournalEntry(.notice, "uplink minute interval set by the platform", ["minutes": "\(minutes)"])))
        return (actions, .done)
    }

    private func requestLength(_ cn: CommandCode) -> Int64? {
        switch cn {
        case .minuteData: Int64(minuteIntervalMinutes * 60)
        case .hourlyData: 3600
        case .dailyData: 86_400
        default: nil
        }
    }

    /// The data of every complete period from `first` to `last`, with the request's QN and no acknowledgement
    /// asked. These answers settle nothing: backfill goes on as before.
    private func history(
        _ cn: CommandCode,
        qn: String?,
        first: Int64,
        last: Int64,
        length: Int64,
        now: Date
    ) -> ([Action], ExecutionResult) {
        var actions: [Action] = []
        var sent = 0
        var start = first
        while start <= last, Double(start + length) <= now.timeIntervalSince1970 {
            let from = Date(timeIntervalSince1970: Double(start))
            switch aggregateValues(from: from, to: from.addingTimeInterval(Double(length))) {
            case .success(let values):
                if !values.isEmpty {
                    actions += sendSplit(
                        builder.aggregateData(cn, qn: qn, dataTime: from, values: values, flag: .noAcknowledgement))
                    sent += 1
                }
            case .failure(let error):
                actions.append(
                    .journal(
                        UplinkJournalEntry(
                            .warning, "uplink cannot read the data a platform request asked for",
                            ["cn": cn.rawValue, "qn": qn ?? "-", "error": "\(error)"])))
                return (actions, .failed)
            }
            start += length
        }
        return (actions, sent > 0 ? .done : .noData)
    }

    /// A reply frame to send (replies are always valid frames).
    func reply(_ frame: Frame) -> Action {
        do {
            return .send(try frame.encoded())
        } catch {
            // Only a bad MN or PW in the configuration gets here, and its check names them.
            return .journal(
                UplinkJournalEntry(
                    .error, "uplink cannot encode a reply", ["cn": frame.cn.rawValue, "error": "\(error)"]))
        }
    }

    /// A data frame to send unacknowledged, split as needed.
    func sendSplit(_ frame: Frame) -> [Action] {
        let packets = (try? frame.split(maxSegmentLength: configuration.maxSegmentLength)) ?? [frame]
        return packets.compactMap { packet in (try? packet.encoded()).map { Action.send($0) } }
    }
}
