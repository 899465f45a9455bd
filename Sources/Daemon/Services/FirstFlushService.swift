import Config
import Defence
import Devices
import Foundation
import Historian
import Logging
import ServiceLifecycle
import Synchronization

/// First-flush (初期雨水) diversion at the configured rain outlets: the rain contact or gauge drives one
/// `FirstFlushController` per outlet, whose divert and release become valve commands.
///
/// The shutoff always wins: while it is latched the controllers command nothing, and after a reset they still do
/// not release until an operator's restore has started, so first flush never reopens a valve a trip closed.
/// Water quality is the verdict of the configured `quality_alarms`: release only while each is clear and its point
/// reads usable; an outlet without any releases on the rule's time and amount alone.
final class FirstFlushService: Service, Sendable {
    private struct Outlet: Sendable {
        var definition: FirstFlushDefinition
        var controller: FirstFlushController
        var lastGaugeMM: Double?
    }

    private let field: FieldIO
    private let alarms: AlarmService
    private let historian: Historian
    private let logger: Logger
    private let outlets: Mutex<[Outlet]>
    /// Nil without any `[[first_flush]]`: an unread subscription would only fill its buffer.
    private let events: AsyncStream<FieldEvent>?

    init(config: LeveeConfig, field: FieldIO, alarms: AlarmService, historian: Historian, logger: Logger) {
        self.field = field
        self.alarms = alarms
        self.historian = historian
        self.logger = logger
        self.outlets = Mutex(
            config.firstFlush.map { d in
                func minutes(_ m: Double) -> Duration { .milliseconds(Int(m * 60_000)) }
                let settings = FirstFlushController.Settings(
                    amountMM: d.amountMM, rainingTime: minutes(d.rainingMinutes), t1: minutes(d.t1Minutes),
                    t3: minutes(d.t3Minutes), t2: minutes(d.t2Hours * 60))
                return Outlet(
                    definition: d,
                    controller: FirstFlushController(outlet: d.outlet, poolInlet: d.poolInlet, settings: settings))
            })
        self.events = config.firstFlush.isEmpty ? nil : field.events()
    }

    /// Why each first-flush outlet must stay closed now: rain, and its quality alarms active or unreadable. A
    /// restore leaves such an outlet closed and first flush takes it over.
    func holds() -> [String: [String]] {
        let outlets = outlets.withLock { $0.map { ($0.definition, $0.controller.raining) } }
        var holds: [String: [String]] = [:]
        for (d, raining) in outlets {
            let reasons = (raining ? ["raining"] : []) + alarms.holdReasons(d.qualityAlarms)
            if !reasons.isEmpty { holds[d.outlet, default: []] += reasons }
        }
        return holds
    }

    /// Follows the shutoff: latched overrides, a restore lets first flush take the outlet back, and a restore asks
    /// first flush which outlets must stay closed.
    func follow(_ defence: DefenceService) {
        defence.restoreHolds.withLock { $0 = { [self] in holds() } }
        defence.watchLatch { [self] state in
            let now = ContinuousClock.now
            let wanted = outlets.withLock { outlets -> [(Int, [FirstFlushController.Action])] in
                var wanted: [(Int, [FirstFlushController.Action])] = []
                for i in outlets.indices {
                    outlets[i].controller.override(latched: state.latched, at: now)
                    if !state.latched && state.restoring && outlets[i].controller.awaitingResume {
                        wanted.append((i, outlets[i].controller.resume(at: now)))
                    }
                }
                return wanted
            }
            guard !wanted.isEmpty else { return }
            Task { for (i, actions) in wanted { await self.perform(actions, outlet: i) } }
        }
    }

    func run() async throws {
        guard let events else {
            try? await gracefulShutdown()
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                for await event in events {
                    if case .update(let u) = event { await handle(u) }
                }
            }
            group.addTask { [self] in
                while !Task.isShuttingDownGracefully && !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    await tick()
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }

    private func handle(_ u: DeviceUpdate) async {
        let now = ContinuousClock.now
        var todo: [(Int, [FirstFlushController.Action])] = []
        outlets.withLock { outlets in
            for i in outlets.indices {
                let d = outlets[i].definition
                for r in u.readings where r.quality.isUsable {
                    guard let v = r.value else { continue }
                    let point = "\(r.device).\(r.point)"
                    if point == d.rain {
                        todo.append((i, outlets[i].controller.rain(v != 0, at: now)))
                    }
                    if point == d.rainGauge {
                        let increase = outlets[i].lastGaugeMM.map { max(0, v - $0) } ?? 0
                        outlets[i].lastGaugeMM = v
                        if increase > 0 {
                            // Without a contact, rain is "raining" while the gauge counts.
                            if d.rain == nil { todo.append((i, outlets[i].controller.rain(true, at: now))) }
                            todo.append((i, outlets[i].controller.rainfall(mm: increase, at: now)))
                        }
                    }
                }
            }
        }
        for (i, actions) in todo { await perform(actions, outlet: i) }
    }

    private func tick() async {
        let now = ContinuousClock.now
        let definitions = outlets.withLock { $0.map(\.definition) }
        let verdicts = definitions.map { $0.qualityAlarms.isEmpty ? true : alarms.allClear($0.qualityAlarms) }
        let todo = outlets.withLock { outlets in
            outlets.indices.map { i in
                (i, outlets[i].controller.waterQuality(ok: verdicts[i], at: now) + outlets[i].controller.tick(at: now))
            }
        }
        for (i, actions) in todo { await perform(actions, outlet: i) }
    }

    private func perform(_ actions: [FirstFlushController.Action], outlet i: Int) async {
        guard !actions.isEmpty else { return }
        let controller = outlets.withLock { $0[i].controller }
        for action in actions {
            let why =
                action == .divert
                ? "first flush: rain started, diverting the first rain to the first-flush pool"
                : "first flush: amount reached and water quality within limits, releasing through the outlet"
            logger.notice("first flush", metadata: ["outlet": "\(controller.outlet)", "action": "\(action)"])
            do {
                try await historian.recordEvent(
                    StoredEvent(kind: "first-flush", source: controller.outlet, message: why, at: Date()))
            } catch {
                logger.warning("first-flush journal entry not yet durable", metadata: ["error": "\(error)"])
            }
            for c in controller.commands(for: action) {
                let origin = CommandOrigin(user: Trigger.daemonUser, source: "first flush", reason: why)
                do {
                    let target: ValveTarget = c.command == "open" ? .open : .closed
                    _ = try await field.commandValve(c.device, to: target, origin: origin)
                } catch {
                    logger.error(
                        "first-flush command refused", metadata: ["device": "\(c.device)", "error": "\(error.message)"])
                }
            }
        }
    }
}
