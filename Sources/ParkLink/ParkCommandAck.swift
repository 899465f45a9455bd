import ControlAPI
import Foundation

/// `<prefix>/<plant>/cmd/ack`, not retained, durable: the plant's answer to one park command.
///
/// A command gets `accepted` or `refused` at once, then, once accepted, `done` or `failed` when the plant knows:
/// for a shutoff, when the plan's steps are confirmed by feedback (or one failed); for a drill check, with the
/// readiness found.
public struct ParkCommandAck: Codable, Sendable, Hashable {
    public enum Outcome: String, Codable, Sendable, Hashable, CaseIterable {
        case accepted, refused, done, failed
    }

    public var version: Int
    /// The plant answering: every payload names its sender.
    public var site: String
    /// The command's id.
    public var id: String
    /// The plant the command was for (this one).
    public var plant: String
    public var park: String
    public var op: String?
    public var result: Outcome
    /// For `refused`, the refusal's code (bad-signature, replayed, ...); for `failed`, a short cause if known.
    public var reason: String?
    /// For a person: the refusal in words, what failed, or what was done.
    public var message: String?
    /// For a `drill-check` answered `done`: what each step of the plan would find now.
    public var readiness: ReadinessPayload?
    public var at: Date

    public init(
        id: String, plant: String, park: String, op: String?, result: Outcome, reason: String? = nil,
        message: String? = nil, readiness: ReadinessPayload? = nil, at: Date
    ) {
        self.version = ParkJSON.version
        self.site = plant
        self.id = id
        self.plant = plant
        self.park = park
        self.op = op
        self.result = result
        self.reason = reason
        self.message = message
        self.readiness = readiness
        self.at = at
    }

    /// The answer to an accepted command.
    public init(_ command: ParkCommand, result: Outcome, reason: String? = nil, message: String? = nil, at: Date) {
        self.init(
            id: command.id, plant: command.plant, park: command.park, op: command.op, result: result, reason: reason,
            message: message, at: at)
    }

    /// The answer to a `drill-check`: done, with the plant's readiness.
    public init(_ command: ParkCommand, check: DrillCheck, at: Date) {
        let readiness = ReadinessPayload(check)
        let blocked = check.items.filter { !$0.problems.isEmpty }.count
        self.init(
            id: command.id, plant: command.plant, park: command.park, op: command.op, result: .done,
            message: readiness.ready
                ? "plan \(check.plan) ready: \(check.items.count) steps could run now"
                : "plan \(check.plan) not ready: \(blocked) of \(check.items.count) steps could not run now",
            readiness: readiness, at: at)
    }

    /// The answer to a refused command; nil when not even its id and park could be read, so there is no one to
    /// answer (the daemon logs it instead).
    public init?(_ refusal: ParkCommandRefusal, plant: String, at: Date) {
        guard let id = refusal.id, let park = refusal.park else { return nil }
        self.init(
            id: id, plant: plant, park: park, op: refusal.op, result: .refused, reason: refusal.reason.code,
            message: refusal.description, at: at)
    }

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case site, id, plant, park, op, result, reason, message, readiness, at
    }

    /// The message to publish on the plant's `cmd/ack` topic: QoS 1, not retained, kept across an outage.
    public func message(topics: ParkTopics) -> ParkMessage {
        ParkMessage(
            topic: topics.commandAck(plant), payload: ParkJSON.encode(self, with: ParkJSON.encoder()),
            qos: .atLeastOnce, retain: false, durable: true, coalesce: false)
    }
}

/// A plant's readiness for a drill of one plan (the tabletop check): each step's device as the plant finds it,
/// commanding nothing.
public struct ReadinessPayload: Codable, Sendable, Hashable {
    public var plan: String
    public var checkedAt: Date
    /// Every step could run now.
    public var ready: Bool
    public var items: [ReadinessItem]

    init(_ check: DrillCheck) {
        plan = check.plan
        checkedAt = check.checkedAt
        ready = check.ready
        items = check.items.map {
            ReadinessItem(
                step: $0.step, device: $0.device, operation: $0.operation, location: $0.location,
                reachable: $0.reachable, mode: $0.mode, position: $0.position, faultFree: $0.faultFree,
                problems: $0.problems, notes: $0.notes)
        }
    }
}

public struct ReadinessItem: Codable, Sendable, Hashable {
    public var step: String
    public var device: String
    public var operation: String
    public var location: String?
    /// The device answered its last poll.
    public var reachable: Bool
    /// remote, local or unknown for a valve.
    public var mode: String?
    /// As measured: open, closed, travelling, fault, unknown for a valve; running or stopped for a pump; on or
    /// off for an output; absent when unreadable.
    public var position: String?
    public var faultFree: Bool
    /// Empty when the step could run now.
    public var problems: [String]
    public var notes: [String]
}
