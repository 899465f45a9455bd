import Config
import ControlAPI
import DCSLink
import Defence
import Devices
import Foundation
import Historian
import Logging
import ServiceLifecycle

/// The Modbus TCP link to the plant's DCS (`[dcs]`): publishes the live state into the server's register image every
/// `update_ms`, and carries out the coil actions the server reports.
///
/// The server runs on its own thread (`DCSServer`) and answers from the last image, so a DCS client never waits on
/// leveed's services and they never wait on it. A coil goes through the same entry points as the control socket:
/// `DefenceService.trip` and `reset`, `AlarmService.operate`; the journal names "DCS <client address>" and gives
/// the coil's name as the reason. No coil restores or opens anything.
final class DCSService: Service, Sendable {
    let server: DCSServer
    private let field: FieldIO
    private let historian: Historian
    private let alarms: AlarmService
    private let defence: DefenceService
    private let links: LinkRegistry
    private let logger: Logger
    private let actions: AsyncStream<(DCSMap.CoilAction, String)>
    private let started = ContinuousClock.now

    /// Makes the map from the configuration and the lock file, writes the lock file back with any new assignments,
    /// and binds the port; any failure stops the daemon at start with the reason.
    init(
        map: DCSMap, field: FieldIO, historian: Historian, alarms: AlarmService, defence: DefenceService,
        links: LinkRegistry, logger: Logger
    ) throws {
        let (stream, continuation) = AsyncStream<(DCSMap.CoilAction, String)>.makeStream()
        actions = stream
        server = try DCSServer(map: map, logger: logger) { action, client in continuation.yield((action, client)) }
        try server.bind()
        self.field = field
        self.historian = historian
        self.alarms = alarms
        self.defence = defence
        self.links = links
        self.logger = logger
    }

    static func make(
        config: LeveeConfig, field: FieldIO, historian: Historian, alarms: AlarmService, defence: DefenceService,
        links: LinkRegistry, logger: Logger
    ) throws -> DCSService {
        let (map, notes) = try DCSLockFile.map(for: config, save: true)
        for note in notes { logger.warning("DCS map", metadata: ["note": "\(note)"]) }
        return try DCSService(
            map: map, field: field, historian: historian, alarms: alarms, defence: defence, links: links,
            logger: logger)
    }

    func run() async throws {
        server.start()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                for await (action, client) in actions.cancelOnGracefulShutdown() {
                    await perform(action, client: client)
                }
            }
            group.addTask { [self] in
                let period = Duration.milliseconds(server.map.settings.updateMs)
                while !Task.isCancelled && !Task.isShuttingDownGracefully {
                    server.publish(facts())
                    try? await Task.sleep(for: period)
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        await server.stop()
    }

    /// The link as the status shows it.
    func summary() -> DCSLinkSummary {
        let s = server.status
        return DCSLinkSummary(
            listen: s.listen,
            clients: s.clients.map {
                DCSClientSummary(
                    address: $0.address, connectedAt: $0.connectedAt, lastRequestAt: $0.lastRequestAt,
                    requests: $0.requests)
            }, refusedWrites: s.refusedWrites, refusedConnections: s.refusedConnections,
            droppedConnections: s.droppedConnections, coilActions: s.coilActions)
    }

    /// What the image shows, from the same sources as `leveectl status`.
    func facts() -> PlantFacts {
        let status = StatusBuilder.status(field: field, historian: historian, alarms: alarms)
        let defenceSummary = defence.summary()
        let firstTrip = defence.sequencer.withLock { $0.trips.first?.kind }
        let linkSummary = links.summary()
        let now = Date()
        var f = PlantFacts()
        let elapsed = started.duration(to: .now).components.seconds
        f.uptimeSeconds = Int(elapsed)
        f.latched = defenceSummary.latched
        f.plan = defenceSummary.plan
        f.tripSource = Self.code(firstTrip)
        f.escalated = defenceSummary.escalated
        f.bypasses = defenceSummary.bypasses.count
        f.drill = defenceSummary.activeDrill != nil || (defenceSummary.latched && defenceSummary.drill)
        f.historianHealthy = status.historian.healthy
        f.mqtt = linkSummary?.mqtt.map { $0.state == "connected" ? .up : .down } ?? .notConfigured
        f.uplink = linkSummary?.uplink.map { $0.connected ? .up : .down } ?? .notConfigured
        for d in status.devices {
            var points: [String: PlantFacts.PointFacts] = [:]
            for p in d.points {
                points[p.name] = PlantFacts.PointFacts(
                    value: p.value, quality: QualityCode(status: p.quality),
                    ageSeconds: p.readAt.map { max(0, now.timeIntervalSince($0)) })
            }
            let valve = d.valve.map { v in
                PlantFacts.ValveFacts(
                    position: ValvePositionCode(status: v.position), mode: ValveModeCode(status: v.mode),
                    lastStrokeSeconds: v.lastStrokeSeconds, failedToMove: v.movementFault != nil,
                    pending: v.pending == "open" ? 1 : v.pending == "closed" ? 2 : 0)
            }
            f.devices[d.id] = PlantFacts.DeviceFacts(answering: d.answering, points: points, valve: valve)
        }
        for a in status.alarms ?? [] {
            f.alarms[a.id] = PlantFacts.AlarmFacts(
                active: a.conditionActive,
                unacknowledged: a.state == "unacknowledged" || a.state == "returned-unacknowledged",
                hidden: ["shelved", "out-of-service", "suppressed-by-design"].contains(a.state),
                priority: PriorityCode(status: a.priority) ?? .low)
        }
        return f
    }

    static func code(_ kind: Trigger.Kind?) -> TripSourceCode {
        switch kind {
        case nil: .none
        case .button?: .button
        case .leveectl?: .leveectl
        case .http?: .http
        case .park?: .park
        case .automatic?: .interlock
        case .daemon?: .leveed
        case .dcs?: .dcs
        }
    }

    /// One coil's action, through the control socket's own entry points.
    func perform(_ action: DCSMap.CoilAction, client: String) async {
        let who = "DCS \(client)"
        let reason = action.name
        let response: ControlResult
        switch action {
        case .shutoff(let plan):
            switch defence.plan(named: plan) {
            case .success(let p):
                let trigger = Trigger(
                    kind: .dcs, who: who, from: "Modbus TCP \(server.map.settings.listen)", why: reason, date: Date(),
                    action: ActionID.make())
                response = await defence.trip(trigger, plan: p)
            case .failure(let refusal):
                response = .failure(ControlRefusal(.notFound, refusal.message))
            }
        case .reset:
            response = await defence.reset(by: who, reason: reason, override: false, isAdmin: false)
        case .acknowledgeAll:
            let waiting = alarms.summary().alarms.filter {
                $0.state == "unacknowledged" || $0.state == "returned-unacknowledged"
            }
            var failures: [String] = []
            for alarm in waiting {
                if case .failure(let refusal) = await alarms.operate(.ack(alarm: alarm.id, reason: reason), user: who) {
                    failures.append(refusal.message)
                }
            }
            response =
                failures.isEmpty
                ? .success(.done("\(waiting.count) alarms acknowledged by \(who)"))
                : .failure(ControlRefusal(.conflict, failures.joined(separator: "; ")))
        }
        switch response {
        case .success(let reply):
            logger.notice(
                "DCS coil done", metadata: ["coil": "\(reason)", "by": "\(who)", "result": "\(reply.message ?? "")"])
        case .failure(let refusal):
            logger.warning(
                "DCS coil refused", metadata: ["coil": "\(reason)", "by": "\(who)", "error": "\(refusal.message)"])
            do {
                try await historian.recordEvent(
                    StoredEvent(
                        kind: "dcs-refused", source: who, message: "\(reason): \(refusal.message)",
                        at: Date()))
            } catch {
                logger.warning("DCS refusal not journaled", metadata: ["error": "\(error)"])
            }
        }
    }
}
