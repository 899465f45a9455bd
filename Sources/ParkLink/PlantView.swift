import Foundation

/// What a park knows of one plant, from the plant's retained topics and its last messages.
public struct PlantView: Sendable, Hashable {
    /// What the plant's `online` topic last said.
    public enum Connection: String, Sendable, Hashable {
        case unknown, online, offline
    }

    /// What a screen should show: `stale` is online by its last word but silent for longer than the timeout.
    public enum Liveness: String, Sendable, Hashable {
        case unknown, online, stale, offline
    }

    public let id: String
    public internal(set) var connection: Connection = .unknown
    /// The offline came from the broker's last will (the connection died), not a clean shutdown.
    public internal(set) var offlineByWill = false
    public internal(set) var connectionChangedAt: Date?
    /// When the park last heard the plant itself (a last will does not count), by the park's clock.
    public internal(set) var lastHeard: Date?
    /// Set by `ParkDirectory.tick` when the plant has been silent too long; cleared by its next message.
    public internal(set) var isStale = false

    public internal(set) var latched = false
    public internal(set) var plan: String?
    /// The latched trip is a drill.
    public internal(set) var drill = false
    public internal(set) var activeDrill: String?

    public internal(set) var state: StatePayload?
    public internal(set) var defence: DefencePayload?
    public internal(set) var escalation: EscalationPayload?
    public internal(set) var alarms: AlarmsPayload?
    public internal(set) var devices: [String: DevicePayload] = [:]
    /// The latest acknowledgements from this plant to this park, oldest first (at most 32).
    public internal(set) var acks: [ParkCommandAck] = []
    /// Recent alarm events, to drop the duplicates QoS 1 may deliver.
    var recentEvents: [AlarmEventPayload] = []

    init(id: String) { self.id = id }

    public var name: String { state?.name ?? id }
    public var role: SiteRole? { state?.role }
    public var escalated: Bool { escalation?.escalated ?? state?.escalated ?? false }
    public var escalationReason: String? { escalation?.reason }

    /// Every valve, by device id: the measured position with its quality and the hand/auto mode.
    public var valves: [ValveView] {
        devices.values.compactMap { d in d.valve.map { ValveView(d, $0) } }.sorted { $0.device < $1.device }
    }

    /// The valves on the plant boundary (line 3): the rain and sewage outlets the park watches most.
    public var outlets: [ValveView] { valves.filter { $0.line == "boundary" } }

    /// The valves as a screen should show them at `now`. While the plant is stale, offline or unknown, nothing it
    /// said is current: every quality becomes `stale` and every position `unknown`, the last measured one staying
    /// in `lastMeasuredPosition`.
    public func valves(now: Date, staleAfter: Double) -> [ValveView] {
        guard liveness(now: now, staleAfter: staleAfter) != .online else { return valves }
        return valves.map { v in
            var v = v
            v.quality = "stale"
            v.position = "unknown"
            return v
        }
    }

    /// The running plan's steps with their measured times, for a park drill report.
    public var steps: [StepPayload] { defence?.steps ?? [] }

    public func liveness(now: Date, staleAfter: Double) -> Liveness {
        if connection == .offline { return .offline }
        guard let lastHeard else { return .unknown }
        return now.timeIntervalSince(lastHeard) > staleAfter ? .stale : .online
    }
}

/// One valve as the park shows it.
public struct ValveView: Sendable, Hashable {
    public var device: String
    public var name: String
    public var line: String
    /// Measured by the limit switches; unknown unless `quality` is good.
    public var position: String
    public var quality: String
    /// What the plant last reported as measured, for "closed when last heard" next to an unknown position.
    public var lastMeasuredPosition: String
    /// remote, local or unknown: local cannot be commanded, by the plant or the park.
    public var mode: String
    public var pending: String?
    public var movementFault: String?
    public var lastStrokeSeconds: Double?
    /// When the plant published this.
    public var at: Date

    init(_ d: DevicePayload, _ v: ValvePayload) {
        device = d.device
        name = d.name
        line = d.line
        position = v.position
        quality = v.quality
        lastMeasuredPosition = v.position
        mode = v.mode
        pending = v.pending
        movementFault = v.movementFault
        lastStrokeSeconds = v.lastStrokeSeconds
        at = d.at
    }
}
