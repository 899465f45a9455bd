import Foundation
import Messages

/// The state of a running leveed as operators see it: every device with its values, qualities and read times.
/// Sent over the control socket as JSON; versioned so that leveectl can refuse a daemon it does not understand.
public struct SiteStatus: Codable, Sendable, Hashable {
    public static let currentVersion = 1

    public var version: Int
    public var site: String
    public var siteName: String
    /// The site's IANA time zone, for showing times as the plant reads its clocks.
    public var timeZone: String
    public var generatedAt: Date
    /// A one-line summary, the same text systemd shows as the unit's status (English).
    public var summary: String
    /// The summary as a catalogue message, for each client to render in its language (nil from an older leveed).
    public var summaryText: Message? = nil
    public var devices: [DeviceStatus]
    public var historian: HistorianSummary
    /// Alarms not normal, most urgent first; and the alarm rate over the last 10 minutes (flood above 10).
    public var alarms: [AlarmEntry] = []
    public var alarmRate: Int = 0
    /// The one-key shutoff: latch, trips and each step's progress.
    public var defence: DefenceSummary? = nil
    /// MQTT to the park and HJ 212 to the bureau, when configured.
    public var links: LinksSummary? = nil
    /// On a park instance: its plants and the commands sent to them.
    public var park: ParkSummary? = nil
    /// The Modbus TCP link to the plant's DCS, when enabled.
    public var dcs: DCSLinkSummary? = nil

    public init(
        site: String, siteName: String, timeZone: String, generatedAt: Date, summary: String, devices: [DeviceStatus],
        historian: HistorianSummary
    ) {
        self.version = Self.currentVersion
        self.site = site
        self.siteName = siteName
        self.timeZone = timeZone
        self.generatedAt = generatedAt
        self.summary = summary
        self.devices = devices
        self.historian = historian
    }
}

extension SiteStatus {
    /// Sets the summary from its parts: `summaryText` joins them, `summary` is its English rendering.
    public mutating func setSummary(_ parts: [Message]) {
        summaryText = Message.joined(parts)
        summary = summaryText?.render(.en) ?? ""
    }
}

public struct DeviceStatus: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var kind: String
    public var line: String
    public var bus: String
    /// Whether the device answered its last poll cycle.
    public var answering: Bool
    public var lastError: String?
    public var points: [PointStatus]
    public var valve: ValveSummary?
    /// For an accident or first-flush pool: volume, free volume, fill rate and time until full.
    public var pool: PoolSummary? = nil

    public init(
        id: String, name: String, kind: String, line: String, bus: String, answering: Bool, lastError: String?,
        points: [PointStatus], valve: ValveSummary?
    ) {
        self.id = id
        self.name = name
        self.kind = kind
        self.line = line
        self.bus = bus
        self.answering = answering
        self.lastError = lastError
        self.points = points
        self.valve = valve
    }
}

public struct PoolSummary: Codable, Sendable, Hashable {
    public var volume: Double
    public var capacity: Double?
    public var freeVolume: Double?
    /// m³ per hour; negative while the pool empties; nil until the trend is known.
    public var fillRate: Double?
    public var secondsUntilFull: Double?

    public init(volume: Double, capacity: Double?, freeVolume: Double?, fillRate: Double?, secondsUntilFull: Double?) {
        self.volume = volume
        self.capacity = capacity
        self.freeVolume = freeVolume
        self.fillRate = fillRate
        self.secondsUntilFull = secondsUntilFull
    }
}

public struct PointStatus: Codable, Sendable, Hashable {
    public var name: String
    /// The last value read; a current measurement only when `quality` is "good".
    public var value: Double?
    public var unit: String
    /// good, stale, comm-fail, out-of-range, bad-config or initial.
    public var quality: String
    public var readAt: Date?

    public init(name: String, value: Double?, unit: String, quality: String, readAt: Date?) {
        self.name = name
        self.value = value
        self.unit = unit
        self.quality = quality
        self.readAt = readAt
    }
}

public struct ValveSummary: Codable, Sendable, Hashable {
    /// open, closed, travelling, fault or unknown: from the limit switches only.
    public var position: String
    /// remote, local or unknown.
    public var mode: String
    public var faultBit: Bool?
    /// The end position a command is waiting for, if any.
    public var pending: String?
    public var movementFault: String?
    public var lastStrokeSeconds: Double?

    public init(
        position: String, mode: String, faultBit: Bool?, pending: String?, movementFault: String?,
        lastStrokeSeconds: Double?
    ) {
        self.position = position
        self.mode = mode
        self.faultBit = faultBit
        self.pending = pending
        self.movementFault = movementFault
        self.lastStrokeSeconds = lastStrokeSeconds
    }
}

public struct HistorianSummary: Codable, Sendable, Hashable {
    public var healthy: Bool
    public var path: String
    public var lastError: String?
    public var bufferedReadings: Int
    public var droppedReadings: Int

    public init(healthy: Bool, path: String, lastError: String?, bufferedReadings: Int, droppedReadings: Int) {
        self.healthy = healthy
        self.path = path
        self.lastError = lastError
        self.bufferedReadings = bufferedReadings
        self.droppedReadings = droppedReadings
    }
}

/// One alarm on the summary (anything not normal), as the control room lists it.
public struct AlarmEntry: Codable, Sendable, Hashable {
    public var id: String
    public var point: String
    /// critical, high, medium, low.
    public var priority: String
    /// unacknowledged, acknowledged, returned-unacknowledged, shelved, suppressed-by-design, out-of-service.
    public var state: String
    public var conditionActive: Bool
    public var value: Double?
    /// The alarm's text in English; `text` is the same as a catalogue message (nil from an older leveed).
    public var message: String
    public var text: Message? = nil
    /// What the operator should do now, for the conditions that stop the three lines of defence.
    public var nextAction: Message? = nil
    public var group: String?
    public var firstOut: Bool
    public var since: Date?
    public var shelvedUntil: Date?
    public var user: String?
    public var reason: String?

    public init(
        id: String, point: String, priority: String, state: String, conditionActive: Bool, value: Double?,
        message: String, group: String?, firstOut: Bool, since: Date?, shelvedUntil: Date?, user: String?,
        reason: String?
    ) {
        self.id = id
        self.point = point
        self.priority = priority
        self.state = state
        self.conditionActive = conditionActive
        self.value = value
        self.message = message
        self.group = group
        self.firstOut = firstOut
        self.since = since
        self.shelvedUntil = shelvedUntil
        self.user = user
        self.reason = reason
    }
}

extension JSONEncoder {
    /// The encoder both ends use: ISO 8601 dates with milliseconds, sorted keys.
    public static var control: JSONEncoder {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(ControlDates.format(date))
        }
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }
}

extension JSONDecoder {
    public static var control: JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .custom { decoder in
            let c = try decoder.singleValueContainer()
            let s = try c.decode(String.self)
            guard let date = ControlDates.parse(s) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "not an ISO 8601 time: \(s)")
            }
            return date
        }
        return d
    }
}

/// ISO 8601 with milliseconds, the form used on the wire and in exports.
public enum ControlDates {
    public static func format(_ date: Date) -> String {
        date.formatted(
            .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    public static func parse(_ s: String) -> Date? {
        if let d = try? Date(s, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true)) {
            return d
        }
        return try? Date(s, strategy: .iso8601)
    }
}

/// The shutoff's state as operators follow it: whether it is latched, why, and each step as feedback arrives.
