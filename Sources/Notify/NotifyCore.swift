import Config
import ControlAPI
import Foundation
import Logging

/// levee-notify's heart: turns leveed's published status into events, feeds the dispatcher, records what it decides
/// in the outbox before anything is sent, delivers what is due through the channels, and passes acknowledgements
/// back to leveed. One actor owns the dispatcher, so events, replies and ticks never interleave inside it.
public actor NotifyCore {
    let config: LeveeConfig
    var dispatcher: Dispatcher
    let outbox: Outbox
    let channels: [String: any MessageChannel]
    let acknowledger: @Sendable (ControlCommand, ControlActor) async -> ControlResult
    let logger: Logger
    let now: @Sendable () -> Date
    private var inFlight: Set<Int64> = []
    private var previous: Snapshot?

    /// What of the last status the next one is compared with.
    struct Snapshot {
        var alarmStates: [String: String]
        var latched: Bool
        var escalated: Bool
        var drill: Bool
        var answering: [String: Bool]
    }

    /// - Parameters:
    ///   - acknowledger: sends a command to leveed as the given actor (the control socket in levee-notify).
    public init(
        config: LeveeConfig, outbox: Outbox, channels: [any MessageChannel], state: Dispatcher.State?,
        logger: Logger, now: @escaping @Sendable () -> Date = Date.init,
        acknowledger: @escaping @Sendable (ControlCommand, ControlActor) async -> ControlResult
    ) {
        self.config = config
        let zone = TimeZone(identifier: config.site.timeZone) ?? TimeZone(identifier: "UTC")!
        dispatcher = Dispatcher(
            settings: config.notify, roster: Roster(people: config.notify.oncall, zone: zone),
            text: MessageText(siteName: config.site.name, zone: zone, dashboardURL: config.notify.dashboardURL),
            state: state ?? Dispatcher.State())
        self.outbox = outbox
        self.channels = Dictionary(channels.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        self.logger = logger
        self.now = now
        self.acknowledger = acknowledger
    }

    /// The incidents still waiting for an acknowledgement.
    public var unacknowledged: [Dispatcher.Incident] { dispatcher.unacknowledged }

    // MARK: Input

    /// One status from leveed's watch: new unacknowledged alarms, a trip, an escalation, a drill starting or
    /// ending, a device that stopped answering become events; an alarm acknowledged in leveed stops its ladder.
    public func status(_ s: SiteStatus) async {
        let t = now()
        var next = Snapshot(
            alarmStates: [:], latched: s.defence?.latched ?? false, escalated: s.defence?.escalated ?? false,
            drill: s.defence?.drill ?? false, answering: [:])
        for a in s.alarms { next.alarmStates[a.id] = a.state }
        for d in s.devices { next.answering[d.id] = d.answering }
        let before = previous
        previous = next
        var events: [NotifyEvent] = []
        for a in s.alarms where a.state == "unacknowledged" && a.conditionActive {
            // On the first status (a start or a restart) every waiting alarm is offered again: the dispatcher's
            // saved incidents fold the ones already told.
            if before?.alarmStates[a.id] == "unacknowledged" { continue }
            events.append(alarmEvent(a, status: s, at: a.since ?? t))
        }
        for (id, state) in before?.alarmStates ?? [:]
        where state == "unacknowledged" || state == "returned-unacknowledged" {
            let nowState = next.alarmStates[id]
            if nowState != "unacknowledged" && nowState != "returned-unacknowledged" {
                let user = s.alarms.first { $0.id == id }?.user
                dispatcher.acknowledgedElsewhere(key: id, by: user, now: t)
            }
        }
        let plan = s.defence?.plan ?? "plant-wide"
        if let before {
            if next.latched && !before.latched {
                let why = s.defence?.trips.joined(separator: "；") ?? ""
                events.append(
                    NotifyEvent(
                        key: "trip", kind: .trip, title: "关断已触发（\(plan)）" + (why.isEmpty ? "" : "：\(why)"),
                        latched: true, at: t, drill: next.drill))
            }
            if next.escalated && !before.escalated {
                events.append(
                    NotifyEvent(
                        key: "escalation", kind: .escalation, title: "已上报园区（\(plan)）", latched: next.latched, at: t))
            }
            if next.drill != before.drill {
                events.append(
                    NotifyEvent(
                        key: "drill-\(next.drill ? "start" : "end")", kind: .drill,
                        title: next.drill ? "验证演练开始（\(plan)）" : "验证演练结束", at: t, drill: true))
            }
            for d in s.devices where before.answering[d.id] == true && !d.answering {
                events.append(
                    NotifyEvent(
                        key: "health:\(d.id)", kind: .health, device: d.id, deviceName: d.name,
                        location: config.device(d.id)?.location, title: "设备通讯中断：\(d.lastError ?? "无应答")", at: t))
            }
        }
        for e in events { await perform(dispatcher.event(e, now: t)) }
        if !events.isEmpty { await save() }
    }

    /// A message received on a channel: an acknowledgement when it comes from a person on the roster and names an
    /// incident.
    public func received(from sender: String, text: String, via channel: String) async {
        guard
            let person = config.notify.oncall.first(where: {
                $0.phone.map { ReplyParser.samePhone($0, sender) } ?? false
            })
        else {
            logger.notice("message from a number not on the roster ignored", metadata: ["channel": "\(channel)"])
            return
        }
        guard let number = ReplyParser.incident(in: text) else {
            logger.notice("reply not understood", metadata: ["person": "\(person.name)", "text": "\(text.prefix(40))"])
            return
        }
        await perform(dispatcher.acknowledge(number: number, by: person.name, via: "\(channel) \(sender)", now: now()))
        await save()
    }

    /// A message that is not an alarm: `leveectl notify test` goes through here.
    public func enqueue(_ message: OutgoingMessage) async {
        await perform([.send(message)])
    }

    /// Escalations due, rate windows ended, and every message due delivered.
    public func tick() async {
        let actions = dispatcher.tick(now: now())
        if !actions.isEmpty {
            await perform(actions)
            await save()
        }
        await deliverDue()
    }

    // MARK: Output

    private func perform(_ actions: [Dispatcher.Action]) async {
        for action in actions {
            switch action {
            case .send(let m):
                do {
                    try await outbox.record(m, now: now())
                } catch {
                    // The message cannot be made durable; send it anyway rather than tell nobody.
                    logger.error("outbox write failed; sending without a record", metadata: ["error": "\(error)"])
                    if let channel = channels[m.channel] { Task { _ = await channel.send(m) } }
                }
            case .acknowledge(let alarm, let incident, let person, let channel):
                let command = ControlCommand.ack(alarm: alarm, reason: "通知回复确认 #\(incident)（\(channel)）")
                let actor = ControlActor(user: person, address: "levee-notify \(channel)", role: .operator)
                let result = await acknowledger(command, actor)
                switch result {
                case .success:
                    logger.notice(
                        "alarm acknowledged in leveed",
                        metadata: ["alarm": "\(alarm)", "person": "\(person)", "via": "\(channel)"])
                case .failure(let refusal):
                    logger.warning(
                        "leveed refused the acknowledgement",
                        metadata: ["alarm": "\(alarm)", "person": "\(person)", "error": "\(refusal.message)"])
                }
            case .journal(let kind, let message):
                logger.notice("\(kind)", metadata: ["message": "\(message)"])
            }
        }
        await deliverDue()
    }

    private func save() async {
        do {
            try await outbox.saveState(dispatcher.state)
        } catch {
            logger.error("dispatcher state not saved", metadata: ["error": "\(error)"])
        }
    }

    /// Starts a send for every due message not already on its way; each finishes on its own.
    private func deliverDue() async {
        let due: [OutboxEntry]
        do {
            due = try await outbox.due(now: now())
        } catch {
            logger.error("outbox unreadable", metadata: ["error": "\(error)"])
            return
        }
        for entry in due where !inFlight.contains(entry.id) {
            inFlight.insert(entry.id)
            guard let channel = channels[entry.message.channel] else {
                await finish(entry, .failed("channel \(entry.message.channel) is not configured"))
                continue
            }
            Task { await self.finish(entry, await channel.send(entry.message)) }
        }
    }

    private func finish(_ entry: OutboxEntry, _ answer: ChannelAnswer) async {
        defer { inFlight.remove(entry.id) }
        let n = config.notify
        let meta: Logger.Metadata = [
            "id": "\(entry.id)", "person": "\(entry.message.person)", "channel": "\(entry.message.channel)",
            "incident": "\(entry.message.incident.map(String.init) ?? "-")", "kind": "\(entry.message.kind.rawValue)",
        ]
        do {
            switch answer {
            case .delivered(let said):
                try await outbox.markSent(entry.id, answer: said, now: now())
                logger.notice("notification sent", metadata: meta.merging(["answer": "\(said)"]) { a, _ in a })
            case .failed(let why):
                let state = try await outbox.markFailed(
                    entry.id, answer: why, now: now(), retryMin: TimeInterval(n.retryMinSeconds),
                    retryMax: TimeInterval(n.retryMaxSeconds), giveUpAfter: TimeInterval(n.giveUpAfterSeconds))
                logger.warning(
                    state == .failed ? "notification given up" : "notification failed; will retry",
                    metadata: meta.merging(["answer": "\(why)"]) { a, _ in a })
            }
        } catch {
            logger.error("outbox not updated", metadata: meta.merging(["error": "\(error)"]) { a, _ in a })
        }
    }

    // MARK: Events from alarms

    func alarmEvent(_ a: AlarmEntry, status s: SiteStatus, at t: Date) -> NotifyEvent {
        let deviceID = a.point.split(separator: ".").first.map(String.init)
        let pointName = a.point.split(separator: ".").dropFirst().first.map(String.init)
        let device = deviceID.flatMap { id in s.devices.first { $0.id == id } }
        var values: [NotifyEvent.Value] = []
        if let device, let p = device.points.first(where: { $0.name == pointName }) {
            values.append(
                .init(name: p.name, value: p.quality == "good" ? p.value : nil, unit: p.unit, quality: p.quality))
        } else if let v = a.value {
            values.append(.init(name: a.point, value: v, quality: "good"))
        }
        return NotifyEvent(
            key: a.id, kind: .alarm, priority: a.priority, group: a.group, device: deviceID, deviceName: device?.name,
            location: deviceID.flatMap { config.device($0)?.location }, title: a.message, values: values,
            latched: s.defence?.latched, firstOut: a.firstOut, at: t, drill: s.defence?.drill ?? false)
    }
}
