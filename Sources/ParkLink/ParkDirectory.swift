import Foundation

/// The park's view of its plants, fed with every message of their topics: a value that returns what changed.
///
/// The daemon subscribes to `subscriptions`, passes each message to `apply(topic:payload:retained:now:)`, calls
/// `tick(now:)` every second or so for silence and unanswered commands, and `sent(_:at:)` for every command it
/// publishes. Messages of plants it is not configured for are ignored; a payload it cannot read is returned as
/// `.rejected` with the reason, and the view keeps what it had.
public struct ParkDirectory: Sendable {
    /// What a message or a tick changed.
    public enum Change: Sendable, Hashable {
        case plantOnline(String)
        case plantOffline(String, lastWill: Bool)
        /// Online by its last word but silent for `staleAfter`.
        case plantStale(String, silentSeconds: Double)
        /// Heard again after being stale.
        case plantResumed(String)
        case stateChanged(String)
        case latched(String, plan: String?, drill: Bool)
        case unlatched(String)
        case escalated(String, reason: String?, drill: Bool)
        case escalationCleared(String)
        case defenceChanged(String)
        case deviceChanged(String, device: String)
        case deviceRemoved(String, device: String)
        case alarmsChanged(String)
        case alarmEvent(String, AlarmEventPayload)
        case ackReceived(ParkCommandAck)
        /// No acknowledgement at all within `commandTimeout`: the plant may be offline or refuse to listen.
        case commandUnanswered(ParkCommand)
        case rejected(topic: String, reason: String)
    }

    /// A command this park sent, and how far the plant has answered it.
    public struct SentCommand: Sendable, Hashable {
        public var command: ParkCommand
        public var sentAt: Date
        public var acks: [ParkCommandAck] = []
        var reportedUnanswered = false

        public var lastResult: ParkCommandAck.Outcome? { acks.last?.result }
    }

    public let topics: ParkTopics
    public let park: String
    /// Seconds of silence after which a plant is stale.
    public var staleAfter: Double
    /// Seconds a plant has to acknowledge a command.
    public var commandTimeout: Double
    private var views: [String: PlantView]
    /// Commands sent and not yet done, failed or refused, by id.
    public private(set) var commands: [String: SentCommand] = [:]

    static let keptAcks = 32
    static let keptEvents = 64

    /// - Throws: `ParkTopicError` for an id that cannot be a topic level.
    public init(
        topics: ParkTopics, park: String, plants: [String], staleAfter: Double = 90, commandTimeout: Double = 30
    )
        throws
    {
        try ParkTopics.validate(park, as: "park id")
        for p in plants { try ParkTopics.validate(p, as: "plant id") }
        self.topics = topics
        self.park = park
        self.staleAfter = staleAfter
        self.commandTimeout = commandTimeout
        self.views = Dictionary(plants.map { ($0, PlantView(id: $0)) }, uniquingKeysWith: { a, _ in a })
    }

    /// The topics to subscribe to, plant by plant (so a broker ACL can grant exactly these).
    public var subscriptions: [String] { topics.parkSubscriptions(plants: views.keys.sorted()) }

    public var plants: [PlantView] { views.values.sorted { $0.id < $1.id } }

    public func plant(_ id: String) -> PlantView? { views[id] }

    /// The plants with their liveness now.
    public func liveness(now: Date) -> [String: PlantView.Liveness] {
        views.mapValues { $0.liveness(now: now, staleAfter: staleAfter) }
    }

    // MARK: Commands

    /// Records a command just published, to match its acknowledgements and notice silence.
    public mutating func sent(_ command: ParkCommand, at now: Date) {
        commands[command.id] = SentCommand(command: command, sentAt: now)
    }

    // MARK: Messages

    /// Takes one message. `retained` is the MQTT retain flag as delivered: a retained message may be old, so it
    /// fills the view but counts as hearing from the plant only as of its own `at`.
    public mutating func apply(topic: String, payload: [UInt8], retained: Bool = false, now: Date) -> [Change] {
        guard let parsed = topics.parse(topic) else {
            // Under the prefix but not a topic of the tree: a newer plant, or a mistake; outside it: not ours.
            return topic.hasPrefix(topics.prefix + "/") && views[Self.site(of: topic, prefix: topics.prefix)] != nil
                ? [.rejected(topic: topic, reason: "not a topic of the Levee tree")] : []
        }
        let site = parsed.site
        guard var view = views[site] else { return [] }
        var changes: [Change] = []
        defer { views[site] = view }

        func reject(_ reason: String) -> [Change] { [.rejected(topic: topic, reason: reason)] }
        func read<T: Decodable>(_ type: T.Type) -> T? {
            switch ParkJSON.decode(type, from: payload) {
            case .success(let value): return value
            case .failure(let error):
                changes.append(.rejected(topic: topic, reason: error.description))
                return nil
            }
        }
        func heard(_ at: Date) {
            if retained {
                let when = min(at, now)
                if view.lastHeard.map({ $0 < when }) ?? true { view.lastHeard = when }
            } else {
                view.lastHeard = now
                if view.isStale {
                    view.isStale = false
                    changes.append(.plantResumed(site))
                }
            }
        }
        func checkSite(_ s: String) -> Bool {
            guard s == site else {
                changes.append(
                    .rejected(topic: topic, reason: "field \"site\" is \"\(s)\", not the topic's \"\(site)\""))
                return false
            }
            return true
        }

        // An empty payload clears a retained topic: a device taken out of service, or a plant's topics cleaned up.
        if payload.isEmpty {
            switch parsed {
            case .online: view.connection = .unknown
            case .state: view.state = nil
            case .defence: view.defence = nil
            case .escalation: view.escalation = nil
            case .alarms: view.alarms = nil
            case .device(_, let device):
                if view.devices.removeValue(forKey: device) != nil {
                    changes.append(.deviceRemoved(site, device: device))
                }
            case .alarmEvents, .commandAck: return reject("empty payload")
            case .command: return []
            }
            return changes
        }

        switch parsed {
        case .command:
            return []  // the park's own commands, if a wildcard brought them

        case .online:
            guard let p = read(OnlinePayload.self), checkSite(p.site) else { return changes }
            let will = p.will ?? false
            if !will { heard(p.at) }
            let new: PlantView.Connection = p.state == .online ? .online : .offline
            if new != view.connection || (new == .offline && will != view.offlineByWill) {
                view.connection = new
                view.offlineByWill = new == .offline && will
                view.connectionChangedAt = retained ? min(p.at, now) : now
                changes.append(new == .online ? .plantOnline(site) : .plantOffline(site, lastWill: will))
            }

        case .state:
            guard let p = read(StatePayload.self), checkSite(p.site) else { return changes }
            heard(p.at)
            var old = view.state
            old?.at = p.at
            old?.generatedAt = p.generatedAt
            view.state = p
            if old != p { changes.append(.stateChanged(site)) }
            latch(&view, latched: p.latched, plan: p.plan, drill: p.drill, activeDrill: p.activeDrill, &changes)

        case .defence:
            guard let p = read(DefencePayload.self), checkSite(p.site) else { return changes }
            heard(p.at)
            var old = view.defence
            old?.at = p.at
            view.defence = p
            if old != p { changes.append(.defenceChanged(site)) }
            latch(&view, latched: p.latched, plan: p.plan, drill: p.drill, activeDrill: p.activeDrill, &changes)

        case .escalation:
            guard let p = read(EscalationPayload.self), checkSite(p.site) else { return changes }
            heard(p.at)
            let old = view.escalation
            view.escalation = p
            let wasEscalated = old?.escalated ?? false
            if p.escalated && (!wasEscalated || p.reasons.count > (old?.reasons.count ?? 0)) {
                changes.append(.escalated(site, reason: p.reason, drill: p.drill))
            } else if !p.escalated && wasEscalated {
                changes.append(.escalationCleared(site))
            }

        case .device(_, let device):
            guard let p = read(DevicePayload.self), checkSite(p.site) else { return changes }
            guard p.device == device else {
                return changes + reject("field \"device\" is \"\(p.device)\", not the topic's \"\(device)\"")
            }
            heard(p.at)
            let old = view.devices[device]
            view.devices[device] = p
            if old?.withoutReadTimes != p.withoutReadTimes { changes.append(.deviceChanged(site, device: device)) }

        case .alarms:
            guard let p = read(AlarmsPayload.self), checkSite(p.site) else { return changes }
            heard(p.at)
            let old = view.alarms
            view.alarms = p
            if old?.structure != p.structure { changes.append(.alarmsChanged(site)) }

        case .alarmEvents:
            guard let p = read(AlarmEventPayload.self), checkSite(p.site) else { return changes }
            heard(p.at)
            guard !view.recentEvents.contains(p) else { return changes }
            view.recentEvents.append(p)
            if view.recentEvents.count > Self.keptEvents { view.recentEvents.removeFirst() }
            changes.append(.alarmEvent(site, p))

        case .commandAck:
            guard let p = read(ParkCommandAck.self), checkSite(p.site) else { return changes }
            guard p.plant == site else {
                return changes + reject("field \"plant\" is \"\(p.plant)\", not the topic's \"\(site)\"")
            }
            heard(p.at)
            guard p.park == park else { return changes }  // an answer to another park on a shared broker
            guard !view.acks.contains(p) else { return changes }  // a QoS 1 duplicate
            view.acks.append(p)
            if view.acks.count > Self.keptAcks { view.acks.removeFirst() }
            if var sent = commands[p.id], sent.command.plant == site {
                sent.acks.append(p)
                commands[p.id] = sent
            }
            changes.append(.ackReceived(p))
        }
        return changes
    }

    private func latch(
        _ view: inout PlantView, latched: Bool, plan: String?, drill: Bool, activeDrill: String?,
        _ changes: inout [Change]
    ) {
        if latched && !view.latched {
            changes.append(.latched(view.id, plan: plan, drill: drill))
        } else if !latched && view.latched {
            changes.append(.unlatched(view.id))
        }
        view.latched = latched
        view.plan = plan
        view.drill = drill
        view.activeDrill = activeDrill
    }

    static func site(of topic: String, prefix: String) -> String {
        String(topic.dropFirst(prefix.count + 1).prefix { $0 != "/" })
    }

    // MARK: Time

    /// Notices plants gone silent and commands left unanswered; call it every second or so.
    public mutating func tick(now: Date) -> [Change] {
        var changes: [Change] = []
        for id in views.keys.sorted() {
            guard var view = views[id] else { continue }
            if !view.isStale, view.liveness(now: now, staleAfter: staleAfter) == .stale, let last = view.lastHeard {
                view.isStale = true
                changes.append(.plantStale(id, silentSeconds: now.timeIntervalSince(last)))
                views[id] = view
            } else if view.isStale, view.liveness(now: now, staleAfter: staleAfter) != .stale {
                // Gone offline (or cleared) meanwhile: staleness is no longer the news.
                view.isStale = false
                views[id] = view
            }
        }
        for id in commands.keys.sorted() {
            // A command still open after a day is history, not news.
            if let sent = commands[id], now.timeIntervalSince(sent.sentAt) > 86_400 {
                commands[id] = nil
                continue
            }
            guard var sent = commands[id], sent.acks.isEmpty, !sent.reportedUnanswered,
                now.timeIntervalSince(sent.sentAt) > commandTimeout
            else { continue }
            sent.reportedUnanswered = true
            commands[id] = sent
            changes.append(.commandUnanswered(sent.command))
        }
        return changes
    }
}
