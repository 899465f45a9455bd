import Foundation
import HJ212
import Logging

extension UplinkSession {
    /// The periods of one CN (2051 or 2061) and which are settled.
    ///
    /// `cursor` is the first period not settled; every period before it is settled or past the horizon. `settled`
    /// holds the settled periods after the cursor (rare: the ones settled out of order), so memory stays small.
    struct Track: Sendable {
        let cn: CommandCode
        var length: Int64
        var cursor: Int64
        var settled: Set<Int64>
        /// After the data source failed: not before this.
        var retryAt: Date?
        var failing = false

        /// When the cursor's period falls due.
        func dueAt(settle: Double) -> Date {
            let due = Date(timeIntervalSince1970: Double(cursor + length) + settle)
            return retryAt.map { max($0, due) } ?? due
        }

        func isDue(now: Date, settle: Double) -> Bool { now >= dueAt(settle: settle) }

        func backlog(now: Date, settle: Double, grid: PeriodGrid) -> Int {
            // Due periods start no later than the one holding now - settle - length.
            let latest = grid.start(
                containing: now.addingTimeInterval(-settle - Double(length)), length: length)
            guard latest >= cursor else { return 0 }
            let total = Int((latest - cursor) / length) + 1
            return total - settled.filter { $0 <= latest }.count
        }

        mutating func advance() {
            while settled.remove(cursor) != nil { cursor += length }
        }
    }

    enum PeriodOutcome {
        case frame(Frame)
        case noData
        case deferred
    }

    /// A track starting from the stored marker (set to the current period on the first run), loaded with the
    /// settled periods from the store.
    ///
    /// The minute track also remembers the interval its marker and periods are on (`MinIntervalInUse`). When the
    /// interval changed since (the configuration was edited), the periods owed on the old grid cannot be told from
    /// the new ones, so the track starts afresh from the next period on the new grid, as after 1064.
    mutating func makeTrack(_ cn: CommandCode, length: Int64, now: Date) -> Track {
        var stored = storeCall("read the \(cn.rawValue) start marker") { try $0.startMarker(for: cn) } ?? nil
        if cn == .minuteData {
            let inUse =
                storeCall("read the minute interval in use") { try $0.interval(Self.minIntervalInUseKey) } ?? nil
            if let inUse, inUse * 60 != length, stored != nil {
                queued.append(
                    .journal(
                        UplinkJournalEntry(
                            .notice, "uplink minute interval changed since the last run, minute periods start afresh",
                            ["was": "\(inUse)", "now": "\(length / 60)"])))
                stored = Date(timeIntervalSince1970: Double(grid.firstStart(atOrAfter: seconds(now), length: length)))
                _ = storeCall("save the 2051 start marker") { try $0.setStartMarker(stored!, for: cn) }
            }
            if inUse.map({ $0 * 60 != length }) ?? true {
                _ = storeCall("save the minute interval in use") {
                    try $0.setInterval(Self.minIntervalInUseKey, Int(length / 60))
                }
            }
        }
        var marker: Int64
        if let stored {
            marker = grid.start(containing: stored, length: length)
        } else {
            marker = grid.start(containing: now, length: length)
            let date = Date(timeIntervalSince1970: Double(marker))
            _ = storeCall("save the \(cn.rawValue) start marker") { try $0.setStartMarker(date, for: cn) }
        }
        marker = max(marker, horizonStart(now: now, length: length))
        var track = Track(cn: cn, length: length, cursor: marker, settled: [])
        let from = Date(timeIntervalSince1970: Double(marker))
        let settled = storeCall("read the settled \(cn.rawValue) periods") {
            try $0.settledPeriods(for: cn, from: from, to: .distantFuture)
        }
        // Only starts on this track's grid: others belong to another interval.
        track.settled = Set(
            (settled ?? []).map { Int64($0.timeIntervalSince1970.rounded()) }.filter { ($0 - marker) % length == 0 })
        track.advance()
        return track
    }

    static let minIntervalInUseKey = "MinIntervalInUse"

    func seconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.up)) }

    /// The first period start at or after `now` minus the backfill horizon.
    func horizonStart(now: Date, length: Int64) -> Int64 {
        let edge = Int64(
            now.addingTimeInterval(-configuration.backfillHorizonSeconds).timeIntervalSince1970.rounded(.up))
        return grid.firstStart(atOrAfter: edge, length: length)
    }

    /// Moves every cursor past the horizon, journalling the periods given up unsent.
    mutating func advanceHorizon(now: Date) -> [Action] {
        var actions: [Action] = []
        for index in tracks.indices {
            let edge = horizonStart(now: now, length: tracks[index].length)
            guard tracks[index].cursor < edge else { continue }
            let track = tracks[index]
            let total = Int((edge - track.cursor) / track.length)
            let abandoned = total - track.settled.filter { $0 < edge }.count
            tracks[index].settled = track.settled.filter { $0 >= edge }
            tracks[index].cursor = edge
            tracks[index].advance()
            if abandoned > 0 {
                actions.append(
                    .journal(
                        UplinkJournalEntry(
                            .warning, "uplink gave up periods older than the backfill horizon, never acknowledged",
                            [
                                "cn": track.cn.rawValue, "periods": "\(abandoned)",
                                "horizonSeconds": "\(Int(configuration.backfillHorizonSeconds))",
                            ])))
            }
        }
        return actions
    }

    /// The track whose next owed period is due and ends first (minute before hourly at the same end).
    func nextDueTrack(now: Date) -> Int? {
        tracks.indices
            .filter { tracks[$0].isDue(now: now, settle: configuration.settleSeconds) }
            .min { a, b in
                let (x, y) = (tracks[a], tracks[b])
                return (x.cursor + x.length, x.length) < (y.cursor + y.length, y.length)
            }
    }

    /// Gathers a period's data into a frame (without QN): none when no factor had data, deferred when the data
    /// cannot be read now.
    mutating func periodFrame(_ index: Int, start: Int64, now: Date) -> (outcome: PeriodOutcome, actions: [Action]) {
        let track = tracks[index]
        let from = Date(timeIntervalSince1970: Double(start))
        let to = Date(timeIntervalSince1970: Double(start + track.length))
        switch aggregateValues(from: from, to: to) {
        case .success(let values):
            var actions: [Action] = []
            if track.failing {
                tracks[index].failing = false
                actions.append(
                    .journal(UplinkJournalEntry(.notice, "uplink can read its data again", ["cn": track.cn.rawValue])))
            }
            tracks[index].retryAt = nil
            guard !values.isEmpty else { return (.noData, actions) }
            let frame = builder.aggregateData(
                track.cn, qn: nil, dataTime: from, values: values, flag: .acknowledgement)
            return (.frame(frame), actions)
        case .failure(let error):
            tracks[index].retryAt = now.addingTimeInterval(30)
            guard !track.failing else { return (.deferred, []) }
            tracks[index].failing = true
            let entry = UplinkJournalEntry(
                .warning, "uplink cannot read the data of a period, trying again later",
                ["cn": track.cn.rawValue, "periodStart": builder.time.dataTime(from), "error": "\(error)"])
            return (.deferred, [.journal(entry)])
        }
    }

    /// The factors' statistics over `from ..< to`, in factor order; empty when none had data.
    func aggregateValues(from: Date, to: Date) -> Result<[AggregateValue], any Error> {
        Result {
            let aggregates = try source.aggregates(points: factors.map(\.point), from: from, to: to)
            return factors.compactMap { factor -> AggregateValue? in
                guard let a = aggregates[factor.point] else { return nil }
                return AggregateValue(
                    code: factor.code, average: a.average, minimum: a.minimum, maximum: a.maximum, flag: a.flag)
            }
        }
    }

    /// Marks a period settled, in memory and in the store.
    mutating func settle(_ index: Int, start: Int64, hadData: Bool, now: Date) -> [Action] {
        let cn = tracks[index].cn
        if start >= tracks[index].cursor {
            tracks[index].settled.insert(start)
            tracks[index].advance()
        }
        let periodStart = Date(timeIntervalSince1970: Double(start))
        _ = storeCall("record a settled \(cn.rawValue) period") {
            try $0.recordSettled(cn, periodStart: periodStart, at: now, hadData: hadData)
        }
        return takeQueued()
    }

    /// Starts the minute track again on a new interval: from the next period on the new grid (the one in progress
    /// would overlap periods of the old grid already sent). Periods owed on the old grid are given up (the platform
    /// changed what a period is), and the journal says how many.
    mutating func restartMinuteTrack(now: Date) -> [Action] {
        guard let index = tracks.firstIndex(where: { $0.cn == .minuteData }) else { return [] }
        let owed = tracks[index].backlog(now: now, settle: configuration.settleSeconds, grid: grid)
        let length = Int64(minuteIntervalMinutes * 60)
        let marker = grid.firstStart(atOrAfter: seconds(now), length: length)
        let date = Date(timeIntervalSince1970: Double(marker))
        _ = storeCall("save the 2051 start marker") { try $0.setStartMarker(date, for: .minuteData) }
        _ = storeCall("save the minute interval in use") {
            try $0.setInterval(Self.minIntervalInUseKey, Int(length / 60))
        }
        tracks[index] = Track(cn: .minuteData, length: length, cursor: marker, settled: [])
        if outstanding.map({ $0.upload.cn == .minuteData }) == true { outstanding = nil }
        var actions = takeQueued()
        if owed > 0 {
            actions.append(
                .journal(
                    UplinkJournalEntry(
                        .warning, "uplink gave up minute periods of the old interval, never acknowledged",
                        ["periods": "\(owed)", "minInterval": "\(minuteIntervalMinutes)"])))
        }
        return actions
    }
}
