import Foundation
import HJ212
import Historian
import Logging
import Synchronization
import Testing

@testable import Uplink

/// 2025-03-01 08:50:00 in China (UTC+8).
let t0 = Date(timeIntervalSince1970: 1_740_790_200)
let china = HJ212Time.china

func at(_ text: String) -> Date { china.date(from: text)! }

func testConfiguration(
    minuteIntervalMinutes: Int = 1,
    hourlyData: Bool = true,
    maxSegmentLength: Int = 1024,
    allowTimeSet: Bool = false,
    backfillHorizonSeconds: Double = 7 * 86_400
) -> UplinkConfiguration {
    UplinkConfiguration(
        host: "127.0.0.1", port: 1, mn: "010000A8900016F000169DC0", pw: "123456",
        factors: ["outfall-1.cod": "w01018", "outfall-1.flow": "w00000", "outfall-1.ph": "w01001"],
        minuteIntervalMinutes: minuteIntervalMinutes, hourlyData: hourlyData, maxSegmentLength: maxSegmentLength,
        backfillHorizonSeconds: backfillHorizonSeconds, allowTimeSet: allowTimeSet)
}

/// A data source with the values a test sets: every period has data unless told otherwise.
final class FakeSource: UplinkDataSource {
    struct State {
        var samples: [UplinkSample] = []
        /// Periods (by start) with no data at all.
        var empty: Set<Date> = []
        /// Every period is empty unless listed here (when not nil).
        var only: Set<Date>?
        var failing: String?
        var requests: [(from: Date, to: Date)] = []
    }

    let state = Mutex(State())

    init(samples: [UplinkSample] = []) {
        state.withLock { $0.samples = samples }
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    func currentSamples(at now: Date) -> [UplinkSample] { state.withLock { $0.samples } }

    /// Each point's average is the period's start in minutes since t0, so a frame shows which period it holds.
    func aggregates(points: [String], from: Date, to: Date) throws -> [String: UplinkAggregate] {
        try state.withLock { state in
            if let failing = state.failing { throw Failure(description: failing) }
            state.requests.append((from, to))
            if state.empty.contains(from) { return [:] }
            if let only = state.only, !only.contains(from) { return [:] }
            let minutes = from.timeIntervalSince(t0) / 60
            return Dictionary(
                uniqueKeysWithValues: points.map {
                    ($0, UplinkAggregate(average: minutes, minimum: minutes - 1, maximum: minutes + 1, flag: .normal))
                })
        }
    }
}

/// The bureau's platform, in process: it decodes what the session sends (checking length and CRC), records it,
/// and answers 9014 to frames that ask for it, unless told to stay silent.
final class FakePlatform {
    enum Mode {
        /// Accepts connections and acknowledges.
        case up
        /// Connected but answers nothing (a dead peer behind a live TCP connection).
        case silent
        /// Refuses connections.
        case down
    }

    var mode = Mode.up
    /// Frames received, in order, as decoded.
    var received: [Frame] = []
    /// Messages, split packets put back together.
    var messages: [Frame] = []
    var rejected: [String] = []
    var reassembler = FrameReassembler()
    /// Acknowledge only transmissions for which this says yes (by QN and how many times that QN came).
    var acknowledges: (String, Int) -> Bool = { _, _ in true }
    var seen: [String: Int] = [:]
    let builder = MessageBuilder(pw: "123456", mn: "010000A8900016F000169DC0")

    /// Takes one frame's bytes; returns the replies.
    func receive(_ bytes: [UInt8]) -> [Frame] {
        guard mode == .up else { return [] }
        let frame: Frame
        do {
            frame = try Frame.decode(bytes)
        } catch {
            rejected.append(error.reason)
            return []
        }
        received.append(frame)
        if let message = reassembler.add(frame) { messages.append(message) }
        guard frame.flag?.acknowledgementRequested == true, let qn = frame.qn else { return [] }
        seen[qn, default: 0] += 1
        // One 9014 per message: for a split message, with its last packet.
        if let pnum = frame.pnum, frame.pno != pnum { return [] }
        return acknowledges(qn, seen[qn]!) ? [builder.dataReply(to: qn)] : []
    }

    /// The minute (2051) or hourly (2061) messages received, by DataTime.
    func dataTimes(_ cn: CommandCode) -> [String] {
        messages.filter { $0.cn == cn }.compactMap { $0.cp["DataTime"] }
    }
}

/// Runs a session against a fake platform on simulated time: each step ticks the session and carries frames both
/// ways at once.
struct Harness {
    var session: UplinkSession
    let platform: FakePlatform
    var now: Date
    var linkUp = false
    var retryConnectAt: Date
    var failures: [String] = []
    var journal: [UplinkJournalEntry] = []
    var acknowledgements: [UplinkAcknowledgement] = []
    var clockSets: [Date] = []
    /// Frames the session sent, decoded, in order (whether or not the platform got them).
    var sent: [Frame] = []

    init(
        configuration: UplinkConfiguration = testConfiguration(),
        store: any UplinkStore = MemoryUplinkStore(),
        source: any UplinkDataSource = FakeSource(),
        platform: FakePlatform = FakePlatform(),
        now: Date = t0
    ) {
        session = UplinkSession(configuration: configuration, store: store, source: source, now: now)
        self.platform = platform
        self.now = now
        retryConnectAt = now
    }

    mutating func perform(_ actions: [UplinkSession.Action]) {
        var queue = actions[...]
        while let action = queue.popFirst() {
            switch action {
            case .send(let bytes):
                if let frame = try? Frame.decode(bytes) { sent.append(frame) }
                guard linkUp else { continue }
                for reply in platform.receive(bytes) {
                    // Through the wire format, as the client would.
                    let decoded = try! Frame.decode(reply.encoded())
                    queue.append(contentsOf: session.received(decoded, now: now))
                }
            case .acknowledged(let acknowledgement): acknowledgements.append(acknowledgement)
            case .linkFailed(let reason):
                failures.append(reason)
                linkUp = false
                retryConnectAt = now.addingTimeInterval(5)
                queue.append(contentsOf: session.disconnected(now: now))
            case .journal(let entry): journal.append(entry)
            case .setClock(let date): clockSets.append(date)
            }
        }
    }

    /// The platform sends a request; returns what the session sent back.
    mutating func request(_ frame: Frame) -> [Frame] {
        let before = sent.count
        perform(session.received(try! Frame.decode(frame.encoded()), now: now))
        return Array(sent[before...])
    }

    /// One step of `seconds`: connect when the platform is reachable (every 5 s while it is not), drop the link
    /// when it went down, then tick.
    mutating func step(_ seconds: Double = 1) {
        now = now.addingTimeInterval(seconds)
        if linkUp && platform.mode == .down {
            linkUp = false
            retryConnectAt = now.addingTimeInterval(5)
            perform(session.disconnected(now: now))
        }
        if !linkUp && now >= retryConnectAt {
            if platform.mode == .down {
                retryConnectAt = now.addingTimeInterval(5)
            } else {
                linkUp = true
                perform(session.connected(now: now))
            }
        }
        perform(session.tick(now: now))
    }

    mutating func run(until end: Date, step seconds: Double = 1) {
        while now < end { step(seconds) }
    }

    func journalled(_ message: String) -> [UplinkJournalEntry] { journal.filter { $0.message == message } }
}

/// A fresh directory under the system's temporary directory, removed by `remove()`.
struct ScratchDirectory {
    let url: URL

    init(_ name: String = #function) throws {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("levee-uplink-\(safe)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ component: String) -> String { url.appendingPathComponent(component).path }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

func openHistorian(_ scratch: ScratchDirectory) throws -> Historian {
    Historian(
        configuration: HistorianConfiguration(
            path: scratch.path("history.db"), batchInterval: 0.02, busyTimeout: 0.5, maxRetryInterval: 0.1,
            prunesAutomatically: false),  // the rows are dated: retention counted from today would delete them
        logger: Logger(label: "uplink-tests") { _ in SwiftLogNoOpLogHandler() })
}

/// The minute starts from `first` to `last`, both included, as DataTime.
func minutes(from first: String, through last: String, every step: Int = 1) -> [String] {
    var result: [String] = []
    var date = at(first)
    while date <= at(last) {
        result.append(china.dataTime(date))
        date = date.addingTimeInterval(Double(step * 60))
    }
    return result
}
