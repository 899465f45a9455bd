import Config
import ControlAPI
import Defence
import Devices
import Foundation
import Historian
import Logging
import ServiceLifecycle
import Synchronization

/// Connects the shutoff sequencer to the field: the one-key button and operators trip it, its commands go out
/// through the buses' priority path in parallel, and limit switches, pump feedback and output read-backs confirm
/// its steps.
///
/// The latch is written to a snapshot beside the database after every change. A trip is made durable before it
/// is reported accepted, but its commands are dispatched first: they never wait for the disk. After a crash or
/// kill -9 the daemon comes back latched and re-asserts every step not confirmed; it never opens anything itself.
final class DefenceService: Service, Sendable {
    private let field: FieldIO
    private let historian: Historian
    private let logger: Logger
    private let sequencer: Mutex<ShutoffSequencer>
    private let plan: ResponsePlan
    private let snapshotPath: String
    private let events: AsyncStream<FieldEvent>
    private let buttons: Set<String>
    private let pressed = Mutex<[String: Bool]>([:])
    private let restored: Mutex<[ShutoffAction]>

    init(config: LeveeConfig, field: FieldIO, historian: Historian, logger: Logger) {
        self.field = field
        self.historian = historian
        self.logger = logger
        self.plan = DefaultPlans.plantWide(config: config)
        self.snapshotPath = config.historian.path + ".defence.json"
        self.buttons = Set(
            config.devices.filter { $0.kind == .digitalInput && $0.digitalInputSettings?.role == .button }.map(\.id))
        var sequencer = ShutoffSequencer(config: config)
        var actions: [ShutoffAction] = []
        if let data = FileManager.default.contents(atPath: snapshotPath) {
            do {
                let snapshot = try JSONDecoder.control.decode(ShutoffSnapshot.self, from: data)
                actions = sequencer.restore(snapshot, at: .now)
                if snapshot.isLatched {
                    logger.critical(
                        "restarted latched: re-asserting unconfirmed steps",
                        metadata: ["file": "\(snapshotPath)", "steps": "\(snapshot.plan?.steps.count ?? 0)"])
                }
            } catch {
                // Fail safe: a latch that cannot be read is treated as latched on the plant-wide plan.
                logger.critical(
                    "shutoff snapshot unreadable; tripping the plant-wide plan to stay safe",
                    metadata: ["file": "\(snapshotPath)", "error": "\(error)"])
                actions = sequencer.trip(
                    Trigger(kind: .leveectl, who: "leveed", from: "restart", why: "latch file unreadable: \(error)"),
                    plan: plan, at: .now)
            }
        }
        self.sequencer = Mutex(sequencer)
        self.restored = Mutex(actions)
        self.events = field.events()
    }

    func run() async throws {
        await perform(
            restored.withLock { a in
                defer { a = [] }
                return a
            })
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                for await event in events { await handle(event) }
            }
            group.addTask { [self] in
                while !Task.isShuttingDownGracefully && !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(200))
                    await perform(sequencer.withLock { $0.tick(at: .now) })
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        saveSnapshot()
    }

    // MARK: - Inputs

    private func handle(_ event: FieldEvent) async {
        let now = ContinuousClock.now
        switch event {
        case .update(let u):
            guard let device = field.config.device(u.device) else { return }
            let state = u.readings.first { $0.point == "state" }
            if buttons.contains(u.device), let state, state.quality.isUsable, let v = state.value {
                let isPressed = v != 0
                let was = pressed.withLock { p in
                    defer { p[u.device] = isPressed }
                    return p[u.device]
                }
                if isPressed && was != true {
                    _ = await trip(
                        Trigger(
                            kind: .button, who: "button \(u.device)", from: device.location ?? device.name,
                            why: "one-key shutoff button pressed"))
                }
            }
            let observed: ObservedState?
            switch device.kind {
            case .valve:
                observed = field.valveStatus(u.device).map(Self.observed)
            case .pump:
                let r = u.readings.first { $0.point == "running" }
                observed = .pump(running: r?.quality.isUsable == true ? r?.value.map { $0 != 0 } : nil)
            case .digitalOutput:
                observed = .output(on: state?.quality.isUsable == true ? state?.value.map { $0 != 0 } : nil)
            default:
                observed = nil
            }
            if let observed {
                await perform(sequencer.withLock { $0.feedback(device: u.device, observed: observed, at: now) })
            }
        case .valve(let id, _):
            if let status = field.valveStatus(id) {
                await perform(sequencer.withLock { $0.feedback(device: id, observed: Self.observed(status), at: now) })
            }
        case .command:
            break
        }
    }

    static func observed(_ s: ValveStatus) -> ObservedState {
        .valve(
            position: ObservedState.Position(rawValue: s.position.rawValue) ?? .unknown,
            mode: ObservedState.Mode(rawValue: s.mode.rawValue) ?? .unknown)
    }

    /// Trips the plant-wide plan. The commands are on their way before this returns; the latch is durable when
    /// it returns.
    func trip(_ trigger: Trigger) async -> String {
        let actions = sequencer.withLock { $0.trip(trigger, plan: plan, at: .now) }
        await perform(actions)
        let commands = actions.filter { if case .command = $0 { true } else { false } }.count
        return "latched by \(trigger.who): \(commands) commands sent; follow the steps in leveectl status"
    }

    /// Resets the latch; refused while a button is still pressed unless an administrator overrides, and never
    /// reopens anything.
    func reset(by user: String, reason: String, override: Bool, isAdmin: Bool) async -> ControlResponse {
        let active = pressed.withLock { p in p.filter(\.value).map { "button \($0.key) pressed" }.sorted() }
        let result = sequencer.withLock {
            $0.reset(by: user, reason: reason, activeConditions: active, override: override, isAdmin: isAdmin, at: .now)
        }
        switch result {
        case .success(let actions):
            await perform(actions)
            return ControlResponse(ok: true, message: "reset by \(user); nothing was reopened")
        case .failure(let refusal):
            return ControlResponse(ok: false, error: "reset refused: \(refusal)")
        }
    }

    func summary() -> DefenceSummary {
        sequencer.withLock { s in
            DefenceSummary(
                latched: s.isLatched, drill: s.isDrill,
                trips: s.trips.map { "\($0.who) from \($0.from): \($0.why)" },
                steps: s.steps.map { st in
                    DefenceStepSummary(
                        id: st.step.id, device: st.step.device, phase: st.phase.rawValue, attempts: st.attempts,
                        seconds: st.measuredSeconds, failedReason: st.failedReason)
                },
                escalations: s.escalations.map { "\($0.by): \($0.reason)" })
        }
    }

    // MARK: - Outputs

    private func perform(_ actions: [ShutoffAction]) async {
        guard !actions.isEmpty else { return }
        // Commands first and in parallel, each through its bus's priority path; nothing below waits for them.
        for case .command(let c) in actions {
            Task { await execute(c) }
        }
        saveSnapshot()
        for action in actions {
            switch action {
            case .command: break
            case .alarm(let a):
                logger.critical("shutoff alarm", metadata: ["alarm": "\(a)"])
                await record("defence-alarm", "\(a)", drill: false)
            case .escalate(let e):
                logger.critical(
                    "park escalation", metadata: ["reason": "\(e.reason)", "by": "\(e.by)", "drill": "\(e.drill)"])
                await record("escalation", "\(e.by): \(e.reason)", drill: e.drill)
            case .event(let e):
                logger.notice("shutoff event", metadata: ["event": "\(e)"])
                await record("defence", "\(e)", drill: false)
            }
        }
    }

    private func execute(_ c: DeviceCommand) async {
        let origin = CommandOrigin(
            user: c.trigger?.who ?? "leveed", source: "shutoff step \(c.step) (attempt \(c.attempt))",
            reason: c.trigger?.why ?? "re-asserted after restart")
        var failure: String?
        do {
            if field.config.device(c.device)?.kind == .valve, c.command == "open" || c.command == "close" {
                _ = try await field.commandValve(c.device, to: c.command == "open" ? .open : .closed, origin: origin)
            } else {
                try await field.send(c.command, to: c.device, origin: origin)
            }
        } catch {
            failure = error.message
        }
        let actions = sequencer.withLock {
            $0.commandResult(step: c.step, acknowledged: failure == nil, error: failure, at: .now)
        }
        await perform(actions)
    }

    private func record(_ kind: String, _ message: String, drill: Bool) async {
        do {
            try await historian.recordEvent(
                StoredEvent(kind: kind, source: "shutoff", message: message, at: Date(), drill: drill))
        } catch {
            logger.warning("shutoff journal entry not yet durable", metadata: ["error": "\(error)"])
        }
    }

    /// Writes the latch atomically (`AtomicFile`): a crash leaves the old or the new latch, never half of one.
    private func saveSnapshot() {
        let snapshot = sequencer.withLock { $0.snapshot }
        do {
            try AtomicFile.write(JSONEncoder.control.encode(snapshot), to: snapshotPath)
        } catch {
            logger.critical("shutoff latch not saved", metadata: ["file": "\(snapshotPath)", "error": "\(error)"])
        }
    }
}
