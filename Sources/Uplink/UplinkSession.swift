import Foundation
import HJ212
import Logging

/// The HJ 212 uplink's logic as a value: events in (connected, a frame received, time passed), actions out.
///
/// It owns no socket, thread or clock: the caller (``UplinkClient``, or a test) passes `now` to every call and
/// performs the actions it returns. It reads and writes its own small state through the ``UplinkStore`` and reads
/// data through the ``UplinkDataSource``, both synchronous.
///
/// What it does:
/// - **Uploads, one at a time.** Each upload asks for acknowledgement (Flag=5) and waits for the platform's data
///   reply (9014) with its QN. Without one within `ackTimeoutSeconds` it is sent again, with the same QN, up to
///   `retries` times; then the session reports ``Action/linkFailed(_:)`` and waits for ``connected(now:)``. A split
///   message's packets go together and are acknowledged by the first 9014 with their QN.
/// - **Real-time data (2011)** every `RtdInterval` seconds, on the interval's boundaries, while connected. It goes
///   before any backlog. It is real time: a real-time frame that was never acknowledged, or that fell due while
///   the link was down, is not sent later (the minute and hourly data cover that time).
/// - **Minute (2051) and hourly (2061) data, with backfill (补传).** Every complete period from the start marker on
///   is owed until it is settled: acknowledged, or found without data. After an outage, what is owed goes up oldest
///   first (by period end; minute before hourly at the same end), and a settled period is never sent again, also
///   across restarts (the store keeps the marker and the settled periods). Periods older than the backfill horizon
///   are given up, and the journal says how many. A period is gathered `settleSeconds` after it ends.
/// - **The platform's requests**: see ``received(_:now:)``.
public struct UplinkSession: Sendable {
    /// What the caller must do.
    public enum Action: Hashable, Sendable {
        /// Write these bytes (one whole frame) to the platform.
        case send([UInt8])
        /// The platform acknowledged an upload (for the status page; the session has recorded it).
        case acknowledged(UplinkAcknowledgement)
        /// The link is dead (no acknowledgement after every retry): close the connection and reconnect.
        case linkFailed(String)
        /// Something for the journal.
        case journal(UplinkJournalEntry)
        /// The platform set the station's clock (1012) and `allowTimeSet` is on: set the system clock to this.
        case setClock(Date)
    }

    enum Upload: Hashable, Sendable {
        case realTime
        case period(CommandCode, Int64)

        var cn: CommandCode {
            switch self {
            case .realTime: .realTimeData
            case .period(let cn, _): cn
            }
        }
    }

    struct Outstanding: Sendable {
        var upload: Upload
        var qn: String
        var packets: [[UInt8]]
        var sentAt: Date
        var attempts: Int
    }

    public let configuration: UplinkConfiguration
    let store: any UplinkStore
    let source: any UplinkDataSource
    let builder: MessageBuilder
    let factors: [(point: String, code: String)]

    public private(set) var isConnected = false
    /// The real-time interval in force, in seconds (the platform may have set it, 1062).
    public internal(set) var realTimeIntervalSeconds: Int
    /// The minute-data interval in force, in minutes (the platform may have set it, 1064).
    public internal(set) var minuteIntervalMinutes: Int
    /// The last upload the platform acknowledged.
    public private(set) var lastAcknowledgement: UplinkAcknowledgement?
    /// Platform requests served (answered 9011 QnRtn=1), for the status page.
    public internal(set) var requestsServed = 0

    var outstanding: Outstanding?
    var pendingRealTime: Frame?
    var nextRealTime: Date
    var tracks: [Track] = []
    var reassembler = FrameReassembler()
    var lastQN: Int64 = 0
    /// Journal entries from `init`, which cannot return actions; handed out by the first call.
    var queued: [Action] = []
    /// The store failed and its failure was journalled; cleared when it works again.
    var storeFailing = false
    var lastPrune: Date

    /// Loads the session's state from `store` (intervals, start markers, settled periods) as of `now`.
    ///
    /// A store that fails is journalled by the first call; the session then starts from the configuration and
    /// keeps its state in memory.
    public init(
        configuration: UplinkConfiguration,
        store: any UplinkStore,
        source: any UplinkDataSource,
        now: Date
    ) {
        self.configuration = configuration
        self.store = store
        self.source = source
        builder = MessageBuilder(
            st: configuration.st, pw: configuration.pw, mn: configuration.mn,
            time: HJ212Time(timeZone: configuration.timeZone), decimals: configuration.decimals)
        factors = configuration.orderedFactors
        realTimeIntervalSeconds = configuration.realTimeIntervalSeconds
        minuteIntervalMinutes = configuration.minuteIntervalMinutes
        nextRealTime = now
        lastPrune = now
        if let seconds = storeCall("read the real-time interval", { try $0.interval(Self.rtdIntervalKey) }) ?? nil,
            UplinkConfiguration.realTimeIntervals.contains(seconds)
        {
            realTimeIntervalSeconds = seconds
        }
        if let minutes = storeCall("read the minute interval", { try $0.interval(Self.minIntervalKey) }) ?? nil,
            UplinkConfiguration.isMinuteInterval(minutes)
        {
            minuteIntervalMinutes = minutes
        }
        nextRealTime = nextBoundary(after: now, seconds: Int64(realTimeIntervalSeconds))
        if configuration.minuteData {
            tracks.append(makeTrack(.minuteData, length: Int64(minuteIntervalMinutes * 60), now: now))
        }
        if configuration.hourlyData {
            tracks.append(makeTrack(.hourlyData, length: 3600, now: now))
        }
        pruneStore(now: now)
    }

    static let rtdIntervalKey = "RtdInterval"
    static let minIntervalKey = "MinInterval"

    // MARK: - Events

    /// The TCP connection is up: uploads may go.
    public mutating func connected(now: Date) -> [Action] {
        isConnected = true
        outstanding = nil
        reassembler = FrameReassembler()
        var actions = takeQueued()
        actions += advanceHorizon(now: now)
        actions += pump(now: now)
        return actions
    }

    /// The TCP connection is down (closed, or closed after ``Action/linkFailed(_:)``). What was awaiting its
    /// acknowledgement stays owed (a period) or is dropped (real-time data).
    public mutating func disconnected(now: Date) -> [Action] {
        isConnected = false
        outstanding = nil
        pendingRealTime = nil
        return takeQueued()
    }

    /// A frame from the platform.
    ///
    /// - A data reply (9014) with the QN of the upload in flight acknowledges it; the next upload goes at once.
    /// - A request must carry this station's MN and PW, else it is answered 9011 with QnRtn=4 (wrong MN) or 3
    ///   (wrong password). Otherwise it is answered 9011 QnRtn=1, then its data, then 9012 with ExeRtn (1 done, 2
    ///   failed, 100 no data); a CN the session does not serve gets QnRtn=2. Served: 1011 and 1012 (get and set the
    ///   time; setting only with `allowTimeSet`), 1061 to 1064 (get and set the real-time and minute intervals,
    ///   kept in the store), 2011 (the current real-time data), and 2031, 2051, 2061 (daily, minute and hourly data
    ///   for the periods starting from BeginTime to EndTime, both included).
    /// - Split requests are put back together first.
    public mutating func received(_ frame: Frame, now: Date) -> [Action] {
        var actions = takeQueued()
        guard let frame = reassembler.add(frame) else { return actions }
        switch frame.cn {
        case .dataReply:
            actions += dataReply(frame, now: now)
        case .requestReply, .executionResult, .notificationReply:
            actions.append(
                .journal(
                    UplinkJournalEntry(
                        .debug, "uplink ignored a reply frame from the platform",
                        ["cn": frame.cn.rawValue, "qn": frame.qn ?? "-"])))
        default:
            actions += request(frame, now: now)
        }
        return actions
    }

    /// Time passed: retries and timeouts, real-time data falling due, periods becoming complete.
    public mutating func tick(now: Date) -> [Action] {
        var actions = takeQueued()
        if var pending = outstanding,
            now.timeIntervalSince(pending.sentAt) >= configuration.ackTimeoutSeconds
        {
            if pending.attempts <= configuration.retries {
                pending.attempts += 1
                pending.sentAt = now
                outstanding = pending
                actions.append(
                    .journal(
                        UplinkJournalEntry(
                            .info, "uplink got no data reply in time, sending again",
                            [
                                "cn": pending.upload.cn.rawValue, "qn": pending.qn,
                                "attempt": "\(pending.attempts) of \(configuration.retries + 1)",
                            ])))
                actions += pending.packets.map { .send($0) }
            } else {
                let reason =
                    "no data reply (9014) to QN \(pending.qn) (CN \(pending.upload.cn.rawValue)) after "
                    + "\(pending.attempts) tries \(HJ212Number.format(configuration.ackTimeoutSeconds) ?? "?") s apart"
                outstanding = nil
                pendingRealTime = nil
                isConnected = false
                actions.append(.linkFailed(reason))
                return actions
            }
        }
        if now >= nextRealTime {
            // DataTime is the boundary that fell due, unless the caller was late by a whole interval.
            let late = now.timeIntervalSince(nextRealTime) >= Double(realTimeIntervalSeconds)
            if isConnected,
                let frame = realTimeFrame(qn: nil, at: late ? now : nextRealTime, flag: .acknowledgement)
            {
                pendingRealTime = frame
            }
            nextRealTime = nextBoundary(after: now, seconds: Int64(realTimeIntervalSeconds))
        }
        actions += advanceHorizon(now: now)
        if now.timeIntervalSince(lastPrune) >= 86_400 { pruneStore(now: now) }
        actions += takeQueued()
        actions += pump(now: now)
        return actions
    }

    /// When ``tick(now:)`` should next be called: the earliest retry, real-time boundary or period falling due;
    /// `now` when there is work to do at once.
    public func nextDeadline(now: Date) -> Date {
        var deadline = nextRealTime
        if let outstanding {
            deadline = min(deadline, outstanding.sentAt.addingTimeInterval(configuration.ackTimeoutSeconds))
        } else if isConnected {
            if pendingRealTime != nil { return now }
            for track in tracks {
                deadline = min(deadline, track.dueAt(settle: configuration.settleSeconds))
            }
        }
        return max(deadline, now)
    }

    /// Minute and hourly periods due and not yet settled.
    public func backlog(now: Date) -> Int {
        tracks.reduce(0) { $0 + $1.backlog(now: now, settle: configuration.settleSeconds, grid: grid) }
    }

    /// The QN of the upload waiting for its data reply.
    public var awaitingQN: String? { outstanding?.qn }

    // MARK: - Uploads

    /// Starts the next upload when none is in flight: real-time data first, then the oldest period owed.
    mutating func pump(now: Date) -> [Action] {
        guard isConnected, outstanding == nil else { return [] }
        if var frame = pendingRealTime {
            pendingRealTime = nil
            frame.qn = nextQN(now)
            return startUpload(.realTime, frame, now: now)
        }
        var actions: [Action] = []
        // Empty periods are settled on the way, a bounded number per call: the caller comes back at once.
        for _ in 0..<500 {
            guard let index = nextDueTrack(now: now) else { return actions }
            let start = tracks[index].cursor
            let result = periodFrame(index, start: start, now: now)
            actions += result.actions
            switch result.outcome {
            case .frame(var frame):
                frame.qn = nextQN(now)
                actions += startUpload(.period(tracks[index].cn, start), frame, now: now)
                return actions
            case .noData:
                actions += settle(index, start: start, hadData: false, now: now)
            case .deferred:
                continue
            }
        }
        return actions
    }

    mutating func startUpload(_ upload: Upload, _ frame: Frame, now: Date) -> [Action] {
        let packets: [[UInt8]]
        do {
            packets = try frame.split(maxSegmentLength: configuration.maxSegmentLength).map { try $0.encoded() }
        } catch {
            // Only a bad factor code or MN can get here, and the configuration check names those; a period that
            // cannot be encoded is settled rather than retried for ever.
            var actions: [Action] = [
                .journal(
                    UplinkJournalEntry(
                        .error, "uplink cannot encode an upload, skipping it",
                        ["cn": frame.cn.rawValue, "error": "\(error)"]))
            ]
            if case .period(let cn, let start) = upload, let index = tracks.firstIndex(where: { $0.cn == cn }) {
                actions += settle(index, start: start, hadData: false, now: now)
            }
            return actions
        }
        outstanding = Outstanding(upload: upload, qn: frame.qn ?? "", packets: packets, sentAt: now, attempts: 1)
        return packets.map { .send($0) }
    }

    mutating func dataReply(_ frame: Frame, now: Date) -> [Action] {
        guard let pending = outstanding, let qn = frame.qn, qn == pending.qn else {
            return [
                .journal(
                    UplinkJournalEntry(
                        .debug, "uplink got a data reply for no upload in flight",
                        ["qn": frame.qn ?? "-", "awaiting": outstanding?.qn ?? "-"]))
            ]
        }
        outstanding = nil
        var actions: [Action] = []
        var periodStart: Date?
        if case .period(let cn, let start) = pending.upload, let index = tracks.firstIndex(where: { $0.cn == cn }) {
            periodStart = Date(timeIntervalSince1970: Double(start))
            actions += settle(index, start: start, hadData: true, now: now)
        }
        let acknowledgement = UplinkAcknowledgement(cn: pending.upload.cn, qn: qn, periodStart: periodStart, at: now)
        lastAcknowledgement = acknowledgement
        actions.append(.acknowledged(acknowledgement))
        actions += pump(now: now)
        return actions
    }

    /// A real-time frame of the current samples; nil when no configured point has one.
    func realTimeFrame(qn: String?, at now: Date, flag: FrameFlag) -> Frame? {
        let samples = Dictionary(
            source.currentSamples(at: now).map { ($0.point, $0) }, uniquingKeysWith: { $0.at >= $1.at ? $0 : $1 })
        let values = factors.compactMap { factor -> RealTimeValue? in
            guard let sample = samples[factor.point] else { return nil }
            return RealTimeValue(code: factor.code, value: sample.value, flag: sample.flag)
        }
        guard !values.isEmpty else { return nil }
        return builder.realTimeData(qn: qn, dataTime: now, values: values, flag: flag)
    }

    /// A QN for a frame sent at `now`, later than every QN before it so that no two uploads share one.
    mutating func nextQN(_ now: Date) -> String {
        let milliseconds = max(Int64((now.timeIntervalSince1970 * 1000).rounded()), lastQN + 1)
        lastQN = milliseconds
        return builder.qn(Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    mutating func takeQueued() -> [Action] {
        defer { queued = [] }
        return queued
    }

    // MARK: - Store

    /// Runs a store call; a failure is journalled once (until the store works again) and gives nil.
    mutating func storeCall<T>(_ what: String, _ body: (any UplinkStore) throws -> T) -> T? {
        do {
            let result = try body(store)
            if storeFailing {
                storeFailing = false
                queued.append(.journal(UplinkJournalEntry(.notice, "uplink store works again")))
            }
            return result
        } catch {
            if !storeFailing {
                storeFailing = true
                queued.append(
                    .journal(
                        UplinkJournalEntry(
                            .warning, "uplink cannot use its store, keeping its state in memory",
                            ["operation": what, "error": "\(error)"])))
            }
            return nil
        }
    }

    mutating func pruneStore(now: Date) {
        lastPrune = now
        // A day past the horizon, so that a period at the horizon's edge is still known as settled.
        let before = now.addingTimeInterval(-configuration.backfillHorizonSeconds - 86_400)
        _ = storeCall("forget old settled periods") { try $0.forgetSettled(before: before) }
    }

    // MARK: - Time grid

    var grid: PeriodGrid { PeriodGrid(timeZone: configuration.timeZone) }

    func nextBoundary(after now: Date, seconds: Int64) -> Date {
        let start = grid.start(containing: now, length: seconds)
        return Date(timeIntervalSince1970: Double(start + seconds))
    }
}

/// Periods of a fixed length that line up with the local day in a time zone: minutes and hours on the clock, days
/// from local midnight. Starts are whole seconds since 1970.
struct PeriodGrid: Sendable {
    var timeZone: TimeZone

    /// The start of the period of `length` seconds holding `date`.
    func start(containing date: Date, length: Int64) -> Int64 {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        return start(containing: seconds, length: length)
    }

    func start(containing seconds: Int64, length: Int64) -> Int64 {
        let offset = Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds))))
        let local = seconds + offset
        let floored = local >= 0 ? local / length * length : -((-local + length - 1) / length) * length
        return floored - offset
    }

    /// The first period start at or after `seconds`.
    func firstStart(atOrAfter seconds: Int64, length: Int64) -> Int64 {
        let start = start(containing: seconds, length: length)
        return start == seconds ? start : start + length
    }
}
