import Config
import Foundation

/// One message for one person through one channel, as the dispatcher decides it and the outbox records it.
public struct OutgoingMessage: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case alarm, escalation, summary, test
    }

    public var kind: Kind
    /// The incident's short number people reply with; nil for a summary or a test.
    public var incident: Int?
    public var person: String
    public var channel: String
    /// The phone number or e-mail address, for the channels that address one person.
    public var address: String?
    public var title: String
    public var text: String

    public init(
        kind: Kind, incident: Int?, person: String, channel: String, address: String?, title: String, text: String
    ) {
        self.kind = kind
        self.incident = incident
        self.person = person
        self.channel = channel
        self.address = address
        self.title = title
        self.text = text
    }
}

/// Who is told what and when: incidents with short numbers, the ladder, coalescing of repeats and each person's rate
/// limit. A value that takes events, ticks and acknowledgements with the time and returns what to do, so it is
/// tested on a fake clock without threads; levee-notify performs the actions and saves the state after each step.
public struct Dispatcher: Sendable {
    /// What the caller must do.
    public enum Action: Sendable, Hashable {
        /// Record in the outbox, then send.
        case send(OutgoingMessage)
        /// Acknowledge the alarm in leveed as `person`, who replied through `channel`.
        case acknowledge(alarm: String, incident: Int, person: String, channel: String)
        /// Write a line to leveed's journal (and the log): `kind` is a short word such as "notify-escalated".
        case journal(kind: String, message: String)
    }

    /// One thing people were told about, until it is acknowledged or dropped.
    public struct Incident: Sendable, Hashable, Codable {
        public var number: Int
        public var event: NotifyEvent
        public var rung: Int
        public var lastRung: Int
        public var escalateAfterSeconds: Int
        public var acknowledgeWanted: Bool
        public var openedAt: Date
        /// When the next rung is told if nobody has acknowledged; nil when no further escalation is due.
        public var escalateAt: Date?
        /// Repeats of the same alarm folded into this incident.
        public var repeats: Int
        public var told: [String]
        public var acknowledgedBy: String?
        public var acknowledgedVia: String?
        public var acknowledgedAt: Date?

        /// Still waiting for someone to acknowledge it.
        public var isWaiting: Bool { acknowledgeWanted && acknowledgedBy == nil }
    }

    /// One person's rate window.
    struct RateWindow: Sendable, Hashable, Codable {
        var start: Date
        var count: Int
        /// Incidents held back, in order; the first is the flood's first out unless one is marked.
        var held: [Int]
    }

    /// Everything that must survive a restart.
    public struct State: Sendable, Codable {
        public var incidents: [Incident] = []
        var windows: [String: RateWindow] = [:]
        public var nextNumber: Int = 1

        public init() {}
    }

    public let settings: NotifySettings
    public let roster: Roster
    public let text: MessageText
    public private(set) var state: State

    public init(settings: NotifySettings, roster: Roster, text: MessageText, state: State = State()) {
        self.settings = settings
        self.roster = roster
        self.text = text
        self.state = state
    }

    /// Incidents still waiting for an acknowledgement.
    public var unacknowledged: [Incident] {
        state.incidents.filter(\.isWaiting)
    }

    // MARK: Events

    /// A new event from leveed: ignored unless a rule takes it; a repeat of an open incident is counted, not sent.
    public mutating func event(_ e: NotifyEvent, now: Date) -> [Action] {
        let rules = settings.rules.filter { $0.matches(e) }
        guard let rule = rules.min(by: { $0.firstRung < $1.firstRung }) else { return [] }
        prune(now: now)
        let coalesce = TimeInterval(settings.coalesceSeconds)
        if let i = state.incidents.lastIndex(where: { $0.event.key == e.key }),
            state.incidents[i].isWaiting || now.timeIntervalSince(state.incidents[i].openedAt) < coalesce
        {
            state.incidents[i].repeats += 1
            return []
        }
        let number = state.nextNumber
        state.nextNumber = number >= 999 ? 1 : number + 1
        let lastRung = rules.map(\.lastRung).max() ?? rule.lastRung
        let after = rule.escalateAfterSeconds ?? settings.escalateAfterSeconds
        let wanted = rules.contains { $0.acknowledge }
        var incident = Incident(
            number: number, event: e, rung: rule.firstRung, lastRung: lastRung, escalateAfterSeconds: after,
            acknowledgeWanted: wanted, openedAt: now, escalateAt: nil, repeats: 0, told: [])
        var actions: [Action] = []
        guard let rung = roster.firstStaffedRung(from: rule.firstRung, through: lastRung, at: now) else {
            actions.append(.journal(kind: "notify-nobody", message: "#\(number) \(e.title): nobody on duty to tell"))
            state.incidents.append(incident)
            return actions
        }
        if rung != rule.firstRung {
            actions.append(
                .journal(
                    kind: "notify-skipped",
                    message: "#\(number): nobody on duty on rung \(rule.firstRung); told rung \(rung)"))
        }
        incident.rung = rung
        if wanted, rung < lastRung { incident.escalateAt = now.addingTimeInterval(TimeInterval(after)) }
        state.incidents.append(incident)
        actions += tell(rung: rung, incidentIndex: state.incidents.count - 1, kind: .alarm, now: now)
        return actions
    }

    /// Escalations due and rate windows ended: call it every second or so.
    public mutating func tick(now: Date) -> [Action] {
        var actions: [Action] = []
        for i in state.incidents.indices {
            guard let due = state.incidents[i].escalateAt, now >= due, state.incidents[i].acknowledgedBy == nil else {
                continue
            }
            let inc = state.incidents[i]
            guard let rung = roster.firstStaffedRung(from: inc.rung + 1, through: inc.lastRung, at: now) else {
                state.incidents[i].escalateAt = nil
                actions.append(
                    .journal(
                        kind: "notify-unacknowledged",
                        message:
                            "#\(inc.number) \(inc.event.title): not acknowledged, and no rung above \(inc.rung) is on duty"
                    ))
                continue
            }
            state.incidents[i].rung = rung
            state.incidents[i].escalateAt =
                rung < inc.lastRung ? now.addingTimeInterval(TimeInterval(inc.escalateAfterSeconds)) : nil
            actions.append(
                .journal(
                    kind: "notify-escalated",
                    message:
                        "#\(inc.number) \(inc.event.title): not acknowledged within \(inc.escalateAfterSeconds) s, told rung \(rung)"
                ))
            actions += tell(rung: rung, incidentIndex: i, kind: .escalation, now: now)
        }
        actions += endWindows(now: now)
        return actions
    }

    /// A reply from `person` through `channel` naming incident `number`.
    public mutating func acknowledge(number: Int, by person: String, via channel: String, now: Date) -> [Action] {
        guard let i = state.incidents.lastIndex(where: { $0.number == number }) else {
            return [
                .journal(
                    kind: "notify-ack-unknown",
                    message: "\(person) via \(channel) acknowledged #\(number), which is not open")
            ]
        }
        guard state.incidents[i].acknowledgedBy == nil else { return [] }
        state.incidents[i].acknowledgedBy = person
        state.incidents[i].acknowledgedVia = channel
        state.incidents[i].acknowledgedAt = now
        state.incidents[i].escalateAt = nil
        let inc = state.incidents[i]
        var actions: [Action] = [
            .journal(
                kind: "notify-acknowledged",
                message: "#\(number) \(inc.event.title): acknowledged by \(person) via \(channel)")
        ]
        if inc.event.kind == .alarm {
            actions.append(.acknowledge(alarm: inc.event.key, incident: number, person: person, channel: channel))
        }
        return actions
    }

    /// The alarm was acknowledged in leveed (on the dashboard, by leveectl): the ladder stops climbing.
    public mutating func acknowledgedElsewhere(key: String, by user: String?, now: Date) {
        for i in state.incidents.indices
        where state.incidents[i].event.key == key && state.incidents[i].acknowledgedBy == nil {
            state.incidents[i].acknowledgedBy = user ?? "leveed"
            state.incidents[i].acknowledgedVia = "levee"
            state.incidents[i].acknowledgedAt = now
            state.incidents[i].escalateAt = nil
        }
    }

    // MARK: Telling people

    /// Messages to everyone on duty on `rung`, through each of their channels, within their rate limit.
    private mutating func tell(rung: Int, incidentIndex i: Int, kind: OutgoingMessage.Kind, now: Date) -> [Action] {
        var actions: [Action] = []
        let inc = state.incidents[i]
        for person in roster.onDuty(rung: rung, at: now) {
            state.incidents[i].told.append(person.name)
            guard admit(person.name, incident: inc.number, now: now) else { continue }
            let (title, body) = text.alarm(
                inc.event, number: inc.number, rung: rung, acknowledge: inc.acknowledgeWanted, language: person.language
            )
            actions += messages(to: person, kind: kind, incident: inc.number, title: title, body: body)
        }
        return actions
    }

    private func messages(
        to person: OnCallEntry, kind: OutgoingMessage.Kind, incident: Int?, title: String, body: String
    )
        -> [Action]
    {
        person.channels.compactMap { id in
            guard let channel = settings.channels.first(where: { $0.id == id }) else { return nil }
            let address: String? =
                switch channel.kind {
                case .sms: person.phone
                case .email: person.email
                case .wecom, .dingtalk, .webhook: person.phone
                }
            return .send(
                OutgoingMessage(
                    kind: kind, incident: incident, person: person.name, channel: id, address: address, title: title,
                    text: body))
        }
    }

    /// Whether one more message to `person` fits their rate window; if not, the incident is held for the summary.
    private mutating func admit(_ person: String, incident: Int, now: Date) -> Bool {
        let window = TimeInterval(settings.rateWindowSeconds)
        var w = state.windows[person] ?? RateWindow(start: now, count: 0, held: [])
        if now.timeIntervalSince(w.start) >= window, w.held.isEmpty { w = RateWindow(start: now, count: 0, held: []) }
        defer { state.windows[person] = w }
        if w.count < settings.rateLimit, w.held.isEmpty {
            w.count += 1
            return true
        }
        w.held.append(incident)
        return false
    }

    /// One summary per person whose window has ended with incidents held; it opens their next window.
    private mutating func endWindows(now: Date) -> [Action] {
        var actions: [Action] = []
        let window = TimeInterval(settings.rateWindowSeconds)
        for name in state.windows.keys.sorted() {
            guard let w = state.windows[name], !w.held.isEmpty, now.timeIntervalSince(w.start) >= window else {
                continue
            }
            state.windows[name] = RateWindow(start: now, count: 1, held: [])
            guard let person = roster.people.first(where: { $0.name == name }) else { continue }
            let held = state.incidents.filter { w.held.contains($0.number) }
            let first = held.first(where: { $0.event.firstOut }) ?? held.first
            let (title, body) = text.summary(
                count: w.held.count, minutes: max(1, settings.rateWindowSeconds / 60),
                firstOut: first.map { ($0.number, $0.event.title) }, numbers: w.held, language: person.language)
            actions += messages(to: person, kind: .summary, incident: nil, title: title, body: body)
        }
        return actions
    }

    /// Forgets acknowledged incidents older than the coalescing window, and the oldest beyond 1000.
    private mutating func prune(now: Date) {
        let keep = TimeInterval(max(settings.coalesceSeconds, settings.rateWindowSeconds))
        state.incidents.removeAll { !$0.isWaiting && now.timeIntervalSince($0.acknowledgedAt ?? $0.openedAt) > keep }
        if state.incidents.count > 1000 { state.incidents.removeFirst(state.incidents.count - 1000) }
    }
}
