import ControlAPI
import Foundation

/// Turns the site's status into the MQTT messages that changed since the last call: a value the daemon calls every
/// publish interval (one second) with the latest `SiteStatus`, sending only what it returns.
///
/// - Changes of state (a valve's position, a quality, a mode, the latch, an alarm) go out at once.
/// - A measured value that merely moves goes out at most once a telemetry interval, and a read time alone never.
/// - The state topic is re-sent every heartbeat interval even when nothing changed: that is how the park tells a
///   quiet plant from a silent one.
/// - Every retained topic is re-sent every refresh interval, and on the next call after `resendAll()`, to heal a
///   broker that lost its retained messages.
/// - Alarm transitions become one event each; the first call only takes the list as it finds it.
///
/// Time is always passed in, so that all of this is tested without a clock.
public struct PlantPublisher: Sendable {
    public struct Options: Sendable, Hashable {
        public var role: SiteRole
        /// Seconds between two sends of a device whose only change is its measured values (0: every change).
        public var telemetryInterval: Double
        /// Seconds after which the state is re-sent though unchanged.
        public var heartbeatInterval: Double
        /// Seconds after which every retained topic is re-sent.
        public var refreshInterval: Double

        public init(
            role: SiteRole = .plant, telemetryInterval: Double = 5, heartbeatInterval: Double = 30,
            refreshInterval: Double = 300
        ) {
            self.role = role
            self.telemetryInterval = telemetryInterval
            self.heartbeatInterval = heartbeatInterval
            self.refreshInterval = refreshInterval
        }
    }

    public let topics: ParkTopics
    public let site: String
    public var options: Options
    /// Devices left out because their id cannot be a topic level (the configuration forbids such ids, so this
    /// stays empty unless a caller bypassed it); for the daemon to log.
    public private(set) var skippedDevices: [String] = []

    private var lastRefresh: Date?
    private var resendRequested = false
    private var sentState: (key: StatePayload, at: Date)?
    private var sentDevices: [String: SentDevice] = [:]
    private var sentDefence: DefencePayload?
    private var sentAlarms: AlarmsPayload?
    private var escalation: (key: EscalationPayload, since: Date)?
    private var previousAlarms: [AlarmEntry]?
    private var latch: (firstTrip: String, seen: Date)?

    private struct SentDevice {
        var structure: DevicePayload
        var values: DevicePayload
        var at: Date
    }

    /// - Parameter site: this leveed's `[site] id`; every topic and payload uses it (a status's own `site` is not
    ///   consulted, so the topics never move).
    /// - Throws: `ParkTopicError` when `site` cannot be a topic level.
    public init(topics: ParkTopics, site: String, options: Options = Options()) throws {
        try ParkTopics.validate(site)
        self.topics = topics
        self.site = site
        self.options = options
    }

    /// The next call re-sends every retained topic: call it after (re)connecting to the broker.
    public mutating func resendAll() {
        resendRequested = true
    }

    /// The messages to publish for `status`, in the order to send them: escalation, defence, state, alarm list,
    /// alarm events, devices.
    public mutating func update(_ status: SiteStatus, now: Date) -> [ParkMessage] {
        let refresh = resendRequested || Self.due(lastRefresh, options.refreshInterval, now)
        if refresh {
            lastRefresh = now
            resendRequested = false
        }
        let encoder = ParkJSON.encoder()
        var out: [ParkMessage] = []

        // Escalation: every change is durable; a refresh copy is not.
        let zero = Date(timeIntervalSince1970: 0)
        let escalationKey = EscalationPayload(status.defence, site: site, since: zero, at: zero)
        var since = escalation?.since ?? now
        let escalationChanged = escalation?.key != escalationKey
        if escalationChanged { since = now }
        if escalationChanged || refresh {
            escalation = (escalationKey, since)
            let payload = EscalationPayload(status.defence, site: site, since: since, at: now)
            out.append(
                ParkMessage(
                    topic: topics.escalation(site), payload: ParkJSON.encode(payload, with: encoder),
                    qos: .atLeastOnce, retain: true, durable: escalationChanged, coalesce: !escalationChanged))
        }

        // Defence.
        let firstTrip = status.defence.flatMap { $0.latched ? $0.trips.first : nil }
        if let firstTrip {
            if latch?.firstTrip != firstTrip { latch = (firstTrip, now) }
        } else {
            latch = nil
        }
        var defence = DefencePayload(status.defence, site: site, firstSeenLatched: latch?.seen, at: zero)
        if refresh || defence != sentDefence {
            sentDefence = defence
            defence.at = now
            out.append(.state(topics.defence(site), ParkJSON.encode(defence, with: encoder)))
        }

        // State, with its heartbeat.
        var state = StatePayload(status, site: site, role: options.role, at: zero)
        state.generatedAt = zero
        if refresh || state != sentState?.key || Self.due(sentState?.at, options.heartbeatInterval, now) {
            sentState = (state, now)
            state.generatedAt = status.generatedAt
            state.at = now
            out.append(.state(topics.state(site), ParkJSON.encode(state, with: encoder)))
        }

        // The alarm list, and its transitions as events.
        let alarms = AlarmsPayload(
            version: ParkJSON.version, site: site, alarms: status.alarms.map(AlarmPayload.init), rate: status.alarmRate,
            at: now)
        if refresh || alarms.structure != sentAlarms {
            sentAlarms = alarms.structure
            out.append(.state(topics.alarms(site), ParkJSON.encode(alarms, with: encoder)))
        }
        if let previousAlarms {
            for event in AlarmEventPayload.transitions(from: previousAlarms, to: status.alarms, site: site, at: now) {
                out.append(
                    ParkMessage(
                        topic: topics.alarmEvents(site), payload: ParkJSON.encode(event, with: encoder),
                        qos: .atLeastOnce, retain: false, durable: true, coalesce: false))
            }
        }
        previousAlarms = status.alarms

        // Devices.
        var present = Set<String>()
        var skipped: [String] = []
        for d in status.devices {
            guard ParkTopics.isValid(d.id) else {
                skipped.append(d.id)
                continue
            }
            guard present.insert(d.id).inserted else { continue }
            let payload = DevicePayload(d, site: site, at: now)
            let structure = payload.structure
            let values = payload.withoutReadTimes
            let send: Bool
            if let sent = sentDevices[d.id], !refresh, sent.structure == structure {
                send = sent.values != values && Self.due(sent.at, options.telemetryInterval, now)
            } else {
                send = true
            }
            if send {
                sentDevices[d.id] = SentDevice(structure: structure, values: values, at: now)
                out.append(.state(topics.device(site, d.id), ParkJSON.encode(payload, with: encoder)))
            }
        }
        skippedDevices = skipped
        // A device gone from the configuration: its retained message is cleared (an empty retained payload).
        for gone in sentDevices.keys.filter({ !present.contains($0) }).sorted() {
            sentDevices[gone] = nil
            out.append(.state(topics.device(site, gone), []))
        }
        return out
    }

    /// Whether `interval` seconds have passed since `last`; also when there was no last, or the clock went back.
    static func due(_ last: Date?, _ interval: Double, _ now: Date) -> Bool {
        guard let last else { return true }
        let elapsed = now.timeIntervalSince(last)
        return elapsed >= interval || elapsed < 0
    }

    // MARK: Connection messages

    /// To publish after every connect, before anything else.
    public func online(at now: Date) -> ParkMessage {
        .state(
            topics.online(site),
            ParkJSON.encode(OnlinePayload(site: site, state: .online, at: now), with: ParkJSON.encoder()))
    }

    /// To publish on a clean shutdown, before disconnecting (the broker does not send the will then).
    public func offline(at now: Date) -> ParkMessage {
        .state(
            topics.online(site),
            ParkJSON.encode(OnlinePayload(site: site, state: .offline, at: now), with: ParkJSON.encoder()))
    }

    /// The last will to register with each connect: retained, QoS 1, `will: true`.
    public func lastWill(connectingAt now: Date) -> ParkMessage {
        let payload = OnlinePayload(site: site, state: .offline, at: now, will: true)
        return .state(topics.online(site), ParkJSON.encode(payload, with: ParkJSON.encoder()))
    }
}
