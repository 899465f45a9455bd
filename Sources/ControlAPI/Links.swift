import Foundation

/// The plant's links beyond its fence: MQTT to the park and HJ 212 to the bureau.
public struct LinksSummary: Codable, Sendable, Hashable {
    public var mqtt: MQTTLinkSummary?
    public var uplink: UplinkSummary?

    public init(mqtt: MQTTLinkSummary? = nil, uplink: UplinkSummary? = nil) {
        self.mqtt = mqtt
        self.uplink = uplink
    }
}

/// The MQTT link: whether the broker is reached, and what waits to be sent.
public struct MQTTLinkSummary: Codable, Sendable, Hashable {
    /// `host:port` of the broker.
    public var broker: String
    /// "connected", "connecting" or "disconnected".
    public var state: String
    public var lastError: String?
    /// Messages waiting for the broker (or its acknowledgement), and those dropped because the outbox was full.
    public var queued: Int
    public var dropped: Int
    /// Whether a park may command this plant, and which parks.
    public var acceptsCommands: Bool
    public var parks: [String]

    public init(
        broker: String, state: String, lastError: String?, queued: Int, dropped: Int, acceptsCommands: Bool,
        parks: [String]
    ) {
        self.broker = broker
        self.state = state
        self.lastError = lastError
        self.queued = queued
        self.dropped = dropped
        self.acceptsCommands = acceptsCommands
        self.parks = parks
    }
}

/// The HJ 212 uplink to the bureau's platform.
public struct UplinkSummary: Codable, Sendable, Hashable {
    /// `host:port` of the platform.
    public var server: String
    public var connected: Bool
    public var lastError: String?
    /// When the platform last acknowledged a message.
    public var lastAcknowledged: Date?
    /// Minute and hourly periods due but not yet acknowledged (sent after an outage, oldest first).
    public var backlog: Int

    public init(server: String, connected: Bool, lastError: String?, lastAcknowledged: Date?, backlog: Int) {
        self.server = server
        self.connected = connected
        self.lastError = lastError
        self.lastAcknowledged = lastAcknowledged
        self.backlog = backlog
    }
}

/// A park instance's view of its plants and of the commands it sent them.
public struct ParkSummary: Codable, Sendable, Hashable {
    public var plants: [ParkPlantSummary]
    /// Escalations waiting for an operator to confirm the catchment's plan (`leveectl park confirm CATCHMENT`).
    public var pendingConfirmations: [PendingConfirmation]
    /// Commands sent to plants, newest first.
    public var commands: [ParkCommandSummary]
    /// Each catchment's display name by id, so screens name a catchment as people know it (nil from an older
    /// leveed: show the id).
    public var catchmentNames: [String: String]? = nil

    public init(
        plants: [ParkPlantSummary], pendingConfirmations: [PendingConfirmation], commands: [ParkCommandSummary]
    ) {
        self.plants = plants
        self.pendingConfirmations = pendingConfirmations
        self.commands = commands
    }
}

/// One plant as the park sees it over MQTT. Nothing here is guessed: a position is the plant's measured one with
/// its quality, and a plant not heard from within the timeout is `stale`.
public struct ParkPlantSummary: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var catchment: String
    /// "online", "offline" (its last will), "stale" (silent too long) or "unknown" (never heard).
    public var link: String
    public var lastSeen: Date?
    public var latched: Bool?
    public var plan: String?
    public var drill: Bool?
    public var escalated: Bool?
    public var escalationReason: String?
    public var summary: String?
    public var outlets: [ParkOutletSummary]

    public init(
        id: String, name: String, catchment: String, link: String, lastSeen: Date?, latched: Bool?, plan: String?,
        drill: Bool?, escalated: Bool?, escalationReason: String?, summary: String?, outlets: [ParkOutletSummary]
    ) {
        self.id = id
        self.name = name
        self.catchment = catchment
        self.link = link
        self.lastSeen = lastSeen
        self.latched = latched
        self.plan = plan
        self.drill = drill
        self.escalated = escalated
        self.escalationReason = escalationReason
        self.summary = summary
        self.outlets = outlets
    }
}

/// A valve of a plant (a rain or sewage outlet, a bund valve) with its measured position.
public struct ParkOutletSummary: Codable, Sendable, Hashable {
    public var device: String
    public var name: String
    public var line: String
    /// open, closed, travelling, fault or unknown: from the plant's limit switches.
    public var position: String
    public var mode: String
    /// The quality of that position: good, stale, comm-fail, out-of-range. A plant gone stale makes every one
    /// of its outlets stale here.
    public var quality: String

    public init(device: String, name: String, line: String, position: String, mode: String, quality: String) {
        self.device = device
        self.name = name
        self.line = line
        self.position = position
        self.mode = mode
        self.quality = quality
    }
}

/// An escalation from a plant that waits for an operator before the park closes the catchment.
public struct PendingConfirmation: Codable, Sendable, Hashable {
    public var catchment: String
    public var plan: String
    public var plant: String
    public var reason: String
    public var at: Date

    public init(catchment: String, plan: String, plant: String, reason: String, at: Date) {
        self.catchment = catchment
        self.plan = plan
        self.plant = plant
        self.reason = reason
        self.at = at
    }
}

/// A signed command the park sent a plant, and the plant's answer.
public struct ParkCommandSummary: Codable, Sendable, Hashable {
    public var id: String
    public var plant: String
    /// shutoff, drill or drill-check.
    public var op: String
    public var plan: String?
    public var sentAt: Date
    /// "sent", "accepted", "refused", "done", "failed" or "no answer".
    public var result: String
    public var message: String?

    public init(
        id: String, plant: String, op: String, plan: String?, sentAt: Date, result: String, message: String?
    ) {
        self.id = id
        self.plant = plant
        self.op = op
        self.plan = plan
        self.sentAt = sentAt
        self.result = result
        self.message = message
    }
}
