import Foundation

/// What a verification drill (验证演练) did and found, for the park, the bureau and the plant's own file.
///
/// A drill runs a shutoff plan on the real equipment (实战演练, `live`) or checks it without moving anything (桌面推演,
/// a tabletop check). The report is a plain value: the daemon fills it as the drill runs, the historian stores it as
/// JSON (``json()``), and ``DrillReportRenderer`` turns it into the HTML and Markdown people read. It does no I/O.
///
/// A park (园区) instance's report covers the park's own gates and, in ``plants``, what each plant did as the park
/// saw it over MQTT; ``allFailures`` gathers the failures of both.
///
/// Times are absolute `Date`s; ``timeZone`` only says how to show them, so a report read in another zone still shows
/// the plant's wall-clock times.
public struct DrillReport: Codable, Sendable, Hashable {
    /// Unique id of the drill, such as `drill-20250301-0800`.
    public var id: String
    /// The site (enterprise) id.
    public var site: String
    /// The site's name for people, such as `某某化工有限公司`.
    public var siteName: String
    /// IANA time zone the report shows its times in, such as `Asia/Shanghai`.
    public var timeZone: String
    /// The response plan the drill ran.
    public var plan: String
    /// True when the equipment really moved (实战演练); false for a tabletop check (桌面推演).
    public var live: Bool
    /// Who started the drill.
    public var startedBy: String
    /// Why, as they gave it (annual drill, after maintenance, ...).
    public var reason: String
    public var startedAt: Date
    /// nil while the drill runs, or when it was abandoned.
    public var finishedAt: Date?
    /// Everything that happened, in any order; renderings sort it by time.
    public var timeline: [TimelineEntry]
    /// One result per valve movement the drill commanded.
    public var strokes: [StrokeResult]
    /// What went wrong, one sentence each.
    public var failures: [String]
    /// Valves whose hand/auto switch was in local mode, so that they could not be commanded remotely.
    public var localValves: [LocalValve]
    /// The alarm activations during the drill.
    public var alarms: [AlarmRecord]
    /// The most alarm activations in any 10-minute window of the drill; see ``alarmRatePerTenMinutes(of:)``.
    public var alarmRatePerTenMinutes: Double
    /// How the accident pools' level and volume changed.
    public var pools: [PoolChange]
    /// What was escalated to the park (上报园区), one sentence each.
    public var escalations: [String]
    /// The restore steps after the drill and how each went.
    public var restore: [StepOutcome]
    /// In a park drill, one section per plant the park commanded; empty in a plant's own report. Absent from reports
    /// stored before park drills, which decode with none.
    public var plants: [PlantSection]

    /// - Parameter alarmRatePerTenMinutes: nil (the default) computes it from `alarms` with
    ///   ``alarmRatePerTenMinutes(of:)``.
    public init(
        id: String,
        site: String,
        siteName: String,
        timeZone: String,
        plan: String,
        live: Bool,
        startedBy: String,
        reason: String,
        startedAt: Date,
        finishedAt: Date? = nil,
        timeline: [TimelineEntry] = [],
        strokes: [StrokeResult] = [],
        failures: [String] = [],
        localValves: [LocalValve] = [],
        alarms: [AlarmRecord] = [],
        alarmRatePerTenMinutes: Double? = nil,
        pools: [PoolChange] = [],
        escalations: [String] = [],
        restore: [StepOutcome] = [],
        plants: [PlantSection] = []
    ) {
        self.id = id
        self.site = site
        self.siteName = siteName
        self.timeZone = timeZone
        self.plan = plan
        self.live = live
        self.startedBy = startedBy
        self.reason = reason
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.timeline = timeline
        self.strokes = strokes
        self.failures = failures
        self.localValves = localValves
        self.alarms = alarms
        self.alarmRatePerTenMinutes = alarmRatePerTenMinutes ?? Self.alarmRatePerTenMinutes(of: alarms)
        self.pools = pools
        self.escalations = escalations
        self.restore = restore
        self.plants = plants
    }

    // MARK: - Parts

    /// One thing that happened during the drill.
    public struct TimelineEntry: Codable, Sendable, Hashable {
        public enum Kind: String, Codable, Sendable, Hashable, CaseIterable {
            case trigger, command, confirmed, failed, manualAction, alarm, escalation, restore, note
        }

        public var at: Date
        public var kind: Kind
        /// The device it concerns, when one.
        public var device: String?
        public var text: String

        public init(at: Date, kind: Kind, device: String? = nil, text: String) {
            self.at = at
            self.kind = kind
            self.device = device
            self.text = text
        }
    }

    /// A valve found in local mode (就地): its hand/auto switch kept it from remote command.
    public struct LocalValve: Codable, Sendable, Hashable {
        public var valve: String
        /// Where it is, for the person sent to operate it by hand.
        public var location: String?

        public init(valve: String, location: String? = nil) {
            self.valve = valve
            self.location = location
        }
    }

    /// One alarm activation.
    public struct AlarmRecord: Codable, Sendable, Hashable {
        public var at: Date
        /// The alarm's id, such as `gas-a1.high-high`.
        public var id: String
        /// `critical`, `high`, `medium`, `low`, as the alarm engine names them.
        public var priority: String
        public var text: String

        public init(at: Date, id: String, priority: String, text: String) {
            self.at = at
            self.id = id
            self.priority = priority
            self.text = text
        }
    }

    /// An accident pool (事故池) before and after the drill. Volumes are in m³; levels in `unit`.
    public struct PoolChange: Codable, Sendable, Hashable {
        /// The level device's id.
        public var device: String
        public var name: String
        public var levelBefore: Double?
        public var levelAfter: Double?
        public var volumeBefore: Double?
        public var volumeAfter: Double?
        /// The level's unit, such as `m` or `%`.
        public var unit: String

        public init(
            device: String,
            name: String,
            levelBefore: Double? = nil,
            levelAfter: Double? = nil,
            volumeBefore: Double? = nil,
            volumeAfter: Double? = nil,
            unit: String
        ) {
            self.device = device
            self.name = name
            self.levelBefore = levelBefore
            self.levelAfter = levelAfter
            self.volumeBefore = volumeBefore
            self.volumeAfter = volumeAfter
            self.unit = unit
        }
    }

    /// One step of putting the plant back as it was after the drill (复位).
    public struct StepOutcome: Codable, Sendable, Hashable {
        /// What the step was, such as `open rain outlet`.
        public var step: String
        public var device: String
        /// How it went, in words.
        public var outcome: String
        /// How long it took, when measured.
        public var seconds: Double?

        public init(step: String, device: String, outcome: String, seconds: Double? = nil) {
            self.step = step
            self.device = device
            self.outcome = outcome
            self.seconds = seconds
        }
    }

    // MARK: - Alarm rate

    /// The window of ``alarmRatePerTenMinutes``, in seconds.
    public static let alarmRateWindow: TimeInterval = 600

    /// The most alarm activations in any 10-minute window: the ISA-18.2 measure of an alarm flood, which the drill
    /// must show the operators were not buried under.
    ///
    /// Windows are half-open, `[t, t + 10 min)`, so two alarms exactly ten minutes apart never share one. It is
    /// enough to try the windows that start at an alarm: any window can slide forward to its first alarm without
    /// losing one.
    public static func alarmRatePerTenMinutes(of alarms: [AlarmRecord]) -> Double {
        let times = alarms.map(\.at).sorted()
        var peak = 0
        var end = 0
        for (start, time) in times.enumerated() {
            let limit = time.addingTimeInterval(alarmRateWindow)
            end = max(end, start)
            while end < times.count, times[end] < limit { end += 1 }
            peak = max(peak, end - start)
        }
        return Double(peak)
    }

    // MARK: - Failures

    /// ``failures`` and then one sentence per plant that refused, failed, did not answer or had a step fail (see
    /// ``PlantSection/failure``): every failure the drill found, as the renderings list them.
    public var allFailures: [String] {
        failures + plants.compactMap(\.failure)
    }

    // MARK: - JSON

    /// The report as JSON, the way the historian stores it: keys sorted, dates as milliseconds since 1970 UTC (the
    /// historian's resolution), and non-finite numbers as the strings `NaN`, `+Infinity`, `-Infinity` rather than a
    /// failure, so that one bad reading cannot lose a drill's evidence.
    public func json() throws -> String {
        String(decoding: try Self.encoder.encode(self), as: UTF8.self)
    }

    /// Reads a report written by ``json()``.
    public init(json: String) throws {
        self = try Self.decoder.decode(DrillReport.self, from: Data(json.utf8))
    }

    /// Every stored property, for the synthesised encoding and ``init(from:)``: a new one goes in both, or it is
    /// silently not stored (the round-trip tests catch that).
    enum CodingKeys: String, CodingKey {
        case id, site, siteName, timeZone, plan, live, startedBy, reason, startedAt, finishedAt, timeline, strokes
        case failures, localValves, alarms, alarmRatePerTenMinutes, pools, escalations, restore, plants
    }

    /// Decodes any report, including one stored before ``plants`` existed, which has none.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        site = try c.decode(String.self, forKey: .site)
        siteName = try c.decode(String.self, forKey: .siteName)
        timeZone = try c.decode(String.self, forKey: .timeZone)
        plan = try c.decode(String.self, forKey: .plan)
        live = try c.decode(Bool.self, forKey: .live)
        startedBy = try c.decode(String.self, forKey: .startedBy)
        reason = try c.decode(String.self, forKey: .reason)
        startedAt = try c.decode(Date.self, forKey: .startedAt)
        finishedAt = try c.decodeIfPresent(Date.self, forKey: .finishedAt)
        timeline = try c.decode([TimelineEntry].self, forKey: .timeline)
        strokes = try c.decode([StrokeResult].self, forKey: .strokes)
        failures = try c.decode([String].self, forKey: .failures)
        localValves = try c.decode([LocalValve].self, forKey: .localValves)
        alarms = try c.decode([AlarmRecord].self, forKey: .alarms)
        alarmRatePerTenMinutes = try c.decode(Double.self, forKey: .alarmRatePerTenMinutes)
        pools = try c.decode([PoolChange].self, forKey: .pools)
        escalations = try c.decode([String].self, forKey: .escalations)
        restore = try c.decode([StepOutcome].self, forKey: .restore)
        plants = try c.decodeIfPresent([PlantSection].self, forKey: .plants) ?? []
    }

    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .millisecondsSince1970
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "+Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return encoder
    }

    private static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "+Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return decoder
    }
}
