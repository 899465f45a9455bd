import Alarm
import Config
import ControlAPI
import Defence
import Drills
import Foundation
import Historian
import Logging
import MQTTLink
import Messages
import ParkLink
import ServiceLifecycle
import Synchronization

/// A park instance's side of the MQTT link: it watches every configured plant (`ParkDirectory`), reacts to a
/// plant's escalation by the catchment's `on_escalation` rule, and carries the park's own trips and drills to the
/// plants of the catchments they close, as signed commands on each plant's command topic.
///
/// The park's gates are ordinary devices run by the park's own `DefenceService`, with the same verified
/// sequencing as a plant's valves; this service adds the plants. What it shows of a plant is only what the plant
/// published: a plant that went offline or silent has every outlet shown stale, never its last position as fact.
final class ParkService: Service, Sendable {
    let settings: ParkSettings
    let site: String
    private let mqtt: MQTTService
    private let defence: DefenceService
    private let alarms: AlarmService
    private let historian: Historian
    private let logger: Logger
    private let plantKeys: [String: [UInt8]]
    let directory: Mutex<ParkDirectory>
    private let pending = Mutex<[PendingConfirmation]>([])
    /// The plans of the current latch whose plants have been commanded, so each is carried once.
    private let carriedPlans = Mutex<Set<String>>([])
    private let inbound: AsyncStream<MQTTMessage>
    private let input: AsyncStream<MQTTMessage>.Continuation

    init(
        config: LeveeConfig, settings: ParkSettings, secrets: LinkSecrets, mqtt: MQTTService, defence: DefenceService,
        alarms: AlarmService, historian: Historian, logger: Logger
    ) throws {
        self.settings = settings
        self.site = config.site.id
        self.mqtt = mqtt
        self.defence = defence
        self.alarms = alarms
        self.historian = historian
        self.logger = logger
        self.plantKeys = secrets.plantKeys
        self.directory = Mutex(
            try ParkDirectory(
                topics: mqtt.topics, park: config.site.id, plants: settings.plants.map(\.id),
                staleAfter: Double(settings.plantTimeoutSeconds),
                commandTimeout: Double(settings.commandTimeoutSeconds)))
        (inbound, input) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(4096))
        // A park restarted while latched has already sent that trip's commands.
        let summary = defence.summary()
        if summary.latched, let plan = summary.plan {
            carriedPlans.withLock { $0 = Set(plan.components(separatedBy: ResponsePlan.joiner)) }
        }
        // The park's drill report covers the plants too, as they reported themselves.
        defence.plantSections.withLock { $0 = { [self] since in plantSections(since: since) } }
    }

    func run() async throws {
        let input = self.input
        for filter in directory.withLock({ $0.subscriptions }) {
            try mqtt.client.subscribe(filter, qos: .atLeastOnce) { message in input.yield(message) }
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                for await message in inbound {
                    let changes = directory.withLock {
                        $0.apply(topic: message.topic, payload: message.payload, retained: message.retain, now: Date())
                    }
                    for change in changes { await handle(change) }
                }
            }
            group.addTask { [self] in
                while !Task.isShuttingDownGracefully && !Task.isCancelled {
                    for change in directory.withLock({ $0.tick(now: Date()) }) { await handle(change) }
                    await carryTrip()
                    try? await Task.sleep(for: .milliseconds(500))
                }
            }
            try? await gracefulShutdown()
            input.finish()
            group.cancelAll()
        }
    }

    // MARK: - What the plants say

    private func handle(_ change: ParkDirectory.Change) async {
        switch change {
        case .escalated(let plant, let reason, let drill):
            await escalated(plant: plant, reason: reason ?? "no reason given", drill: drill)
        case .escalationCleared(let plant):
            await alarms.raise(.plantEscalated(plant: plant), active: false, detail: nil)
            pending.withLock { $0.removeAll { $0.plant == plant } }
        case .plantOffline(let plant, let lastWill):
            let text = Message(lastWill ? .parkPlantOfflineWill : .parkPlantOffline, ["plant": .text(plant)])
            await alarms.raise(
                .plantLinkLost(plant: plant), active: true, detail: nil,
                text: HealthCondition.plantLinkLost(plant: plant).title(measured: nil).with(detail: text))
            await journal(text, source: plant)
        case .plantStale(let plant, let silent):
            let text = Message(.detailPlantSilent, ["plant": .text(plant), "seconds": .text(String(Int(silent)))])
            await alarms.raise(
                .plantLinkLost(plant: plant), active: true, detail: nil,
                text: HealthCondition.plantLinkLost(plant: plant).title(measured: nil).with(detail: text))
        case .plantOnline(let plant), .plantResumed(let plant):
            await alarms.raise(.plantLinkLost(plant: plant), active: false, detail: nil)
        case .ackReceived(let ack):
            var args: [String: MessageArg] = [
                "plant": .text(ack.plant), "command": .text(ack.id), "op": .text(ack.op ?? "?"),
                "result": .text(ack.result.rawValue),
            ]
            if let m = ack.message { args["message"] = .text(m) }
            await journal(Message(ack.message == nil ? .parkAck : .parkAckMessage, args), source: ack.plant)
            if ack.result == .refused || ack.result == .failed {
                let detail = Message(
                    .parkCommandRefused,
                    [
                        "op": .text(ack.op ?? "command"), "result": .text(ack.result.rawValue),
                        "message": .text(ack.message ?? ack.reason ?? ""),
                    ])
                await alarms.raise(
                    .plantCommandFailed(plant: ack.plant), active: true, detail: nil,
                    text: HealthCondition.plantCommandFailed(plant: ack.plant).title(measured: nil).with(detail: detail)
                )
            }
        case .commandUnanswered(let command):
            let detail = Message(
                .detailCommandNotAnswered,
                ["op": .text(command.op), "seconds": .text("\(settings.commandTimeoutSeconds)")])
            await alarms.raise(
                .plantCommandFailed(plant: command.plant), active: true, detail: nil,
                text: HealthCondition.plantCommandFailed(plant: command.plant).title(measured: nil).with(detail: detail)
            )
            await journal(
                Message(
                    .parkNoAnswer,
                    ["plant": .text(command.plant), "command": .text(command.id), "op": .text(command.op)]),
                source: command.plant)
        case .rejected(let topic, let reason):
            logger.warning("plant message rejected", metadata: ["topic": "\(topic)", "reason": "\(reason)"])
        default:
            break
        }
    }

    /// A plant called for help: the catchment's rule decides whether the park closes it now, after an operator
    /// confirms, or only alarms. An escalation in a plant's drill never mobilises the park.
    private func escalated(plant: String, reason: String, drill: Bool) async {
        guard let entry = settings.plant(plant), let catchment = settings.catchment(entry.catchment) else { return }
        let said = Message(.parkPlantEscalated, ["plant": .text(plant), "reason": .text(reason)])
        let what = drill ? said.asDrill : said
        await alarms.raise(
            .plantEscalated(plant: plant), active: true, detail: nil,
            text: HealthCondition.plantEscalated(plant: plant).title(measured: nil).with(detail: what))
        await journal(what, source: plant, drill: drill)
        guard !drill else { return }
        switch catchment.onEscalation {
        case .auto:
            await tripCatchment(catchment, who: "park", from: "escalation from \(plant)", why: reason)
        case .confirm:
            let item = PendingConfirmation(
                catchment: catchment.id, plan: catchment.plan, plant: plant, reason: reason, at: Date())
            pending.withLock { list in
                if !list.contains(where: { $0.catchment == catchment.id }) { list.append(item) }
            }
            logger.critical(
                "plant escalated; waiting for an operator to confirm the catchment plan",
                metadata: ["plant": "\(plant)", "catchment": "\(catchment.id)", "plan": "\(catchment.plan)"])
        case .alarm:
            break
        }
    }

    private func tripCatchment(_ catchment: Catchment, who: String, from: String, why: String) async {
        switch defence.plan(named: catchment.plan) {
        case .success(let plan):
            let response = await defence.trip(
                Trigger(kind: .park, who: who, from: from, why: why, date: Date(), action: ActionID.make()), plan: plan)
            if case .failure(let refusal) = response {
                logger.error(
                    "catchment plan not tripped", metadata: ["catchment": "\(catchment.id)", "error": "\(refusal)"])
                return
            }
            // Added to a latch already held for another plan, this trip is not the latch's plan: carry it here.
            await carry(plan: catchment.plan, drill: false, reason: "park plan \(catchment.plan): \(why)")
        case .failure(let refusal):
            logger.error(
                "catchment plan missing", metadata: ["catchment": "\(catchment.id)", "error": "\(refusal.message)"])
        }
    }

    /// `park-confirm`: an operator confirms the plan of a catchment a plant escalated in.
    func confirm(catchment id: String, by user: String, from: String, reason: String) async -> ControlResult {
        guard let catchment = settings.catchment(id) else {
            return .failure(
                ControlRefusal(
                    .notFound,
                    Message(
                        .refusalNoCatchment,
                        [
                            "catchment": .text(id),
                            "known": .text(settings.catchments.map(\.id).joined(separator: ", ")),
                        ])))
        }
        let item = pending.withLock { list -> PendingConfirmation? in
            guard let i = list.firstIndex(where: { $0.catchment == id }) else { return nil }
            return list.remove(at: i)
        }
        let why = item.map { "confirmed escalation from \($0.plant) (\($0.reason)): \(reason)" } ?? reason
        await tripCatchment(catchment, who: user, from: from, why: why)
        return .success(
            .said(
                Message(
                    .replyCatchmentTripped,
                    ["catchment": .text(catchment.name ?? id), "plan": .text(catchment.plan)])))
    }

    // MARK: - Carrying the park's trips to plants

    /// When the park trips (or drills) a plan, every plant of the catchments it closes gets the same by command:
    /// the plant-wide plan reaches every plant.
    private func carryTrip() async {
        let summary = defence.summary()
        guard summary.latched, let plan = summary.plan, !plan.hasPrefix("restore:") else {
            if !summary.latched { carriedPlans.withLock { $0 = [] } }
            return
        }
        let reason = "park plan \(plan)\(summary.drill ? " (drill)" : ""): \(summary.trips.first ?? "")"
        // A latch that merged plans names each; every one reaches its plants.
        for name in plan.components(separatedBy: ResponsePlan.joiner) {
            await carry(plan: name, drill: summary.drill, reason: reason)
        }
    }

    /// Commands the plants `plan` reaches, once per latch.
    private func carry(plan: String, drill: Bool, reason: String) async {
        guard carriedPlans.withLock({ $0.insert(plan).inserted }) else { return }
        for plant in targets(of: plan) {
            await send(drill ? .drill : .shutoff, to: plant, live: drill ? true : nil, reason: reason)
        }
    }

    /// The plants a park plan reaches: all for the plant-wide plan, else those of the catchments it closes.
    func targets(of plan: String) -> [String] {
        if plan == "plant-wide" { return settings.plants.map(\.id) }
        let catchments = settings.catchments.filter { $0.plan == plan && $0.tripPlants }.map(\.id)
        return settings.plants.filter { catchments.contains($0.catchment) }.map(\.id)
    }

    /// Signs and sends one command; its answer arrives on the plant's `cmd/ack` topic.
    @discardableResult
    func send(
        _ operation: ParkCommand.Operation, to plant: String, plan: String? = nil, live: Bool? = nil, reason: String,
        user: String = "park"
    ) async -> ParkCommand? {
        guard let key = plantKeys[plant] else {
            logger.error("no key for plant; command not sent", metadata: ["plant": "\(plant)"])
            return nil
        }
        let now = Date()
        let command = ParkCommand(
            park: site, plant: plant, operation: operation, plan: plan, live: live, reason: reason, user: user,
            issuedAt: now)
        directory.withLock { $0.sent(command, at: now) }
        mqtt.publish(command.message(topics: mqtt.topics, key: key))
        var args: [String: MessageArg] = [
            "command": .text(command.id), "plant": .text(plant), "op": .text(operation.rawValue),
            "reason": .text(reason),
        ]
        if let plan { args["plan"] = .text(plan) }
        await journal(
            Message(plan == nil ? .parkCommandSent : .parkCommandSentPlan, args), source: plant,
            drill: operation == .drill)
        return command
    }

    // MARK: - Drill report

    /// For each plant the park sent a command since `since` (the park drill's start): the command's answer, and
    /// the steps and outlets the plant published, with the plant's own measured times.
    func plantSections(since: Date, now: Date = Date()) -> [DrillReport.PlantSection] {
        let (views, commands) = directory.withLock { d in (d.plants, Array(d.commands.values)) }
        return settings.plants.compactMap { plant -> DrillReport.PlantSection? in
            guard
                let sent = commands.filter({ $0.command.plant == plant.id && $0.sentAt >= since })
                    .max(by: { $0.sentAt < $1.sentAt })
            else { return nil }
            let view = views.first { $0.id == plant.id }
            let answer = sent.acks.last
            let command = [
                sent.command.op, sent.command.plan ?? "plant-wide", sent.command.live == true ? "(live)" : nil,
            ]
            .compactMap { $0 }.joined(separator: " ")
            let steps = (view?.steps ?? []).map { s in
                DrillReport.PlantStep(
                    step: s.id, device: s.device, action: s.action, state: s.state, commandedAt: s.commandedAt,
                    confirmedAt: s.confirmedAt, measuredSeconds: s.seconds, failure: s.failure)
            }
            let outlets = shownOutlets(view, now: now).map { v in
                DrillReport.PlantOutlet(
                    device: v.device, name: v.name, position: v.lastMeasuredPosition, quality: v.quality)
            }
            return DrillReport.PlantSection(
                plant: plant.id, plantName: plant.name ?? view?.name ?? plant.id, command: command,
                result: result(of: sent, now: now), message: answer?.message ?? answer?.reason,
                online: liveness(view, now: now) == .online, latched: view?.latched, steps: steps, outlets: outlets)
        }
    }

    // MARK: - Status

    func summary(now: Date = Date()) -> ParkSummary {
        let (views, commands) = directory.withLock { d in (d.plants, d.commands.values.sorted { $0.sentAt > $1.sentAt })
        }
        let plants = settings.plants.map { plant -> ParkPlantSummary in
            let view = views.first { $0.id == plant.id }
            let outlets = shownOutlets(view, now: now).map { v in
                ParkOutletSummary(
                    device: v.device, name: v.name, line: v.line, position: v.lastMeasuredPosition, mode: v.mode,
                    quality: v.quality)
            }
            return ParkPlantSummary(
                id: plant.id, name: plant.name ?? view?.name ?? plant.id, catchment: plant.catchment,
                link: liveness(view, now: now).rawValue, lastSeen: view?.lastHeard, latched: view.map(\.latched),
                plan: view?.plan,
                drill: view.map(\.drill), escalated: view.map(\.escalated), escalationReason: view?.escalationReason,
                summary: view?.state?.summary, outlets: outlets)
        }
        let sent = commands.prefix(50).map { c in
            ParkCommandSummary(
                id: c.command.id, plant: c.command.plant, op: c.command.op, plan: c.command.plan, sentAt: c.sentAt,
                result: result(of: c, now: now), message: c.acks.last?.message ?? c.acks.last?.reason)
        }
        var summary = ParkSummary(
            plants: plants, pendingConfirmations: pending.withLock { $0 }, commands: Array(sent))
        summary.catchmentNames = Dictionary(
            settings.catchments.map { ($0.id, $0.name ?? $0.id) }, uniquingKeysWith: { a, _ in a })
        return summary
    }

    /// Whether the plant is heard from now: online, stale (silent too long), offline (its last will) or unknown.
    private func liveness(_ view: PlantView?, now: Date) -> PlantView.Liveness {
        view?.liveness(now: now, staleAfter: Double(settings.plantTimeoutSeconds)) ?? .unknown
    }

    /// A plant's outlets as they may be shown now: while the plant is not online every quality is stale
    /// (`PlantView.valves(now:staleAfter:)`); the position shown beside it is the last one the plant measured.
    private func shownOutlets(_ view: PlantView?, now: Date) -> [ValveView] {
        (view?.valves(now: now, staleAfter: Double(settings.plantTimeoutSeconds)) ?? []).filter {
            $0.line == "boundary"
        }
    }

    /// A command's last answer, "no answer" once the plant has had `command_timeout_s`, else "sent".
    private func result(of sent: ParkDirectory.SentCommand, now: Date) -> String {
        if let answer = sent.acks.last { return answer.result.rawValue }
        return now.timeIntervalSince(sent.sentAt) > Double(settings.commandTimeoutSeconds) ? "no answer" : "sent"
    }

    private func journal(_ text: Message, source: String, drill: Bool = false) async {
        await historian.journal(
            StoredEvent(kind: "park", source: source, text: text, at: Date(), drill: drill), logger: logger)
    }
}
