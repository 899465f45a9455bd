import Alarm
import Config
import ControlAPI
import Defence
import Devices
import Drills
import DurableState
import Foundation
import Historian
import Logging
import Messages
import ServiceLifecycle
import Synchronization

/// Connects the shutoff sequencer to the field: the one-key button, operators and the configured interlocks trip
/// it, its commands go out through the buses' priority path in parallel, and limit switches, pump feedback and
/// output read-backs confirm its steps.
///
/// The latch is written to a snapshot beside the database after every change. A trip is made durable before it
/// is reported accepted, but its commands are dispatched first: they never wait for the disk. After a crash or
/// kill -9 the daemon comes back latched and re-asserts every step not confirmed; it never opens anything itself.
///
/// What the sequencer raises goes to the alarm engine (manual action needed, a failed step, the park escalation,
/// all critical) and to the journal; the escalation also switches the configured `escalation_output`, except in a
/// drill, where the park must not mobilise.
final class DefenceService: Service, Sendable {
    let field: FieldIO
    let historian: Historian
    let alarms: AlarmService
    let logger: Logger
    let book: PlanBook
    let settings: DefenceSettings
    let site: Site
    let sequencer: Mutex<ShutoffSequencer>
    private let snapshotPath: String
    /// The latch file's one writer; nil when it could not be opened (logged at critical; the shutoff still runs).
    private let snapshots: SnapshotWriter?
    private let events: AsyncStream<FieldEvent>
    /// Rung whenever the shutoff acted: the status publisher builds a new status.
    let statusChanged = ChangeSignal()
    private let buttons: Set<String>
    private let pressed = Mutex<[String: Bool]>([:])
    private let restored: Mutex<[ShutoffAction]>
    private let interlockPoints: Set<String>
    /// The accident pools, watched for HH and time until full.
    let pools: Set<String>
    /// Steps whose failure or manual action is alarmed, so a reset can clear them.
    private let raised = Mutex<Set<HealthCondition>>([])
    /// The drill under way, if any; see DefenceService+Drill.
    let drill = Mutex<ActiveDrill?>(nil)
    /// On a park instance: what each plant did in the drill that started at the given time, for the drill report.
    let plantSections = Mutex<(@Sendable (Date) -> [DrillReport.PlantSection])?>(nil)
    /// The live conditions that keep each outlet closed on a restore (first flush's rain and quality alarms).
    let restoreHolds = Mutex<(@Sendable () -> [String: [String]])?>(nil)
    /// Latch changes, for first flush.
    private let latchWatchers = Mutex<[@Sendable (LatchState) -> Void]>([])

    init(config: LeveeConfig, field: FieldIO, historian: Historian, alarms: AlarmService, logger: Logger) {
        self.field = field
        self.historian = historian
        self.alarms = alarms
        self.logger = logger
        self.book = PlanBook(config: config)
        self.settings = config.defence
        self.site = config.site
        self.snapshotPath = config.historian.path + ".defence.json"
        self.snapshots = SnapshotWriter.openOrLog(path: snapshotPath, what: "shutoff latch", logger: logger)
        self.buttons = Set(
            config.devices.filter { $0.kind == .digitalInput && $0.digitalInputSettings?.role == .button }.map(\.id))
        self.interlockPoints = Set(book.automaticTriggers.map(\.point))
        self.pools = Set(config.devices.filter { $0.levelSettings?.isPool == true }.map(\.id))
        var sequencer = ShutoffSequencer(
            config: config, automaticTriggers: book.automaticTriggers,
            options: ShutoffSequencer.Options(settings: config.defence))
        var actions: [ShutoffAction] = []
        if let data = snapshots.map({ $0.initial }) ?? FileManager.default.contents(atPath: snapshotPath) {
            do {
                let snapshot = try JSONDecoder.control.decode(ShutoffSnapshot.self, from: data)
                actions = sequencer.restore(snapshot, at: .now)
                if snapshot.isLatched {
                    logger.critical(
                        "restarted latched: re-asserting unconfirmed steps",
                        metadata: ["file": "\(snapshotPath)", "steps": "\(snapshot.plan?.steps.count ?? 0)"])
                } else if sequencer.isRestoring {
                    logger.warning(
                        "restarted during a restore: watching its steps to the end",
                        metadata: ["file": "\(snapshotPath)", "plan": "\(snapshot.plan?.name ?? "")"])
                }
            } catch {
                // Fail safe: a latch that cannot be read is treated as latched on the plant-wide plan.
                logger.critical(
                    "shutoff snapshot unreadable; tripping the plant-wide plan to stay safe",
                    metadata: ["file": "\(snapshotPath)", "error": "\(error)"])
                actions = sequencer.trip(
                    Trigger(
                        kind: .daemon, who: Trigger.daemonUser, from: "restart",
                        why: "latch file unreadable: \(error)", action: ActionID.make()),
                    plan: book.plantWide, at: .now)
            }
        }
        self.sequencer = Mutex(sequencer)
        self.restored = Mutex(actions)
        self.events = field.events()
    }

    var isLatched: Bool { sequencer.withLock { $0.isLatched } }

    /// Whether the shutoff holds the plant, and whether an operator has started restoring it since.
    struct LatchState: Sendable, Hashable {
        var latched: Bool
        var restoring: Bool
    }

    var latchState: LatchState {
        sequencer.withLock { LatchState(latched: $0.isLatched, restoring: $0.plan?.name.hasPrefix("restore:") == true) }
    }

    /// Calls `watcher` with the latch now and after every action the sequencer returns.
    func watchLatch(_ watcher: @escaping @Sendable (LatchState) -> Void) {
        latchWatchers.withLock { $0.append(watcher) }
        watcher(latchState)
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
                var ticks = 0
                while !Task.isShuttingDownGracefully && !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(200))
                    await perform(sequencer.withLock { $0.tick(at: .now) })
                    ticks += 1
                    if ticks % 5 == 0 { await checkPools() }
                    await advanceDrill()
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        await saveSnapshot()
        snapshots?.close()
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
                            why: "one-key shutoff button pressed", whyMessage: Message(.triggerButton), date: Date(),
                            action: ActionID.make()),
                        plan: book.plantWide)
                }
            }
            for r in u.readings where interlockPoints.contains("\(r.device).\(r.point)") {
                let point = "\(r.device).\(r.point)"
                await perform(
                    sequencer.withLock {
                        $0.sample(point: point, value: r.value, usable: r.quality.isUsable, at: now, date: Date())
                    })
            }
            let observed: ObservedState?
            switch device.kind {
            case .valve:
                // The status the field derived from this very update: the field layer is not asked again.
                observed = u.valve.map(Self.observed)
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
        case .valve(let id, let e, let status):
            if case .movementFinished(let r) = e { noteStroke(valve: id, r) }
            await perform(sequencer.withLock { $0.feedback(device: id, observed: Self.observed(status), at: now) })
        case .command:
            break
        }
    }

    static func observed(_ s: ValveStatus) -> ObservedState {
        .valve(
            position: ObservedState.Position(rawValue: s.position.rawValue) ?? .unknown,
            mode: ObservedState.Mode(rawValue: s.mode.rawValue) ?? .unknown)
    }

    /// Escalates when an accident pool reaches its HH level (`[defence] pool_high_high`) or will be full sooner
    /// than `escalate_pool_full_within_min`.
    private func checkPools() async {
        guard !pools.isEmpty else { return }
        for pool in field.snapshot(of: pools) {
            let level = pool.readings.first { $0.point == "level" }
            let highHigh =
                settings.poolHighHigh[pool.device.id].map { hh in
                    level?.quality.isUsable == true && (level?.value ?? -.infinity) >= hh
                } ?? false
            let untilFull = pool.pool?.secondsUntilFull.map { Duration.milliseconds(Int($0 * 1000)) }
            await perform(
                sequencer.withLock {
                    $0.poolCritical(pool: pool.device.id, highHigh: highHigh, timeUntilFull: untilFull, at: .now)
                })
        }
    }

    // MARK: - Requests

    /// Trips a plan. The commands are on their way before this returns; the latch is durable when it returns.
    func trip(_ trigger: Trigger, plan: ResponsePlan) async -> ControlResult {
        let actions = sequencer.withLock { $0.trip(trigger, plan: plan, at: .now) }
        await perform(actions)
        let commands = actions.filter { if case .command = $0 { true } else { false } }.count
        // Said in the catalogue's words, each client in its language; it points to no tool, since a web user has none.
        return .success(
            .said(
                Message(
                    .replyLatched,
                    ["plan": .text(plan.name), "who": .text(trigger.who), "commands": .text(String(commands))])))
    }

    /// A plan by name, or an error listing the names there are.
    func plan(named name: String?) -> Result<ResponsePlan, Refusal> {
        guard let name, !name.isEmpty else { return .success(book.plantWide) }
        if let plan = book.plan(name) ?? book.plan("group:\(name)") { return .success(plan) }
        return .failure(
            Refusal(
                Message(
                    .refusalNoPlan, ["plan": .text(name), "plans": .text(book.names.joined(separator: ", "))])))
    }

    /// Resets the latch; refused while a button is still pressed or an interlock condition is active, unless an
    /// administrator overrides, and never reopens anything.
    func reset(by user: String, reason: String, override: Bool, isAdmin: Bool) async -> ControlResult {
        let active = pressed.withLock { p in p.filter(\.value).map { "button \($0.key) pressed" }.sorted() }
        let result = sequencer.withLock {
            $0.reset(by: user, reason: reason, activeConditions: active, override: override, isAdmin: isAdmin, at: .now)
        }
        switch result {
        case .success(let actions):
            await perform(actions)
            return .success(.said(Message(.replyReset, ["user": .text(user)])))
        case .failure(let refusal):
            return .failure(
                ControlRefusal(refusal.refusalKind, Message(.refusalReset, ["reason": .text("\(refusal)")])))
        }
    }

    /// Returns the plant to the line-up recorded when the last plan latched, each move confirmed by feedback like
    /// a trip. Only after a reset. With `dryRun` it answers what it would do and moves nothing.
    ///
    /// The live conditions that hold an outlet closed come from first flush (rain, quality alarms); the sequencer
    /// adds the active interlocks. `open` lists held outlets an administrator opens anyway.
    func restore(
        by user: String, reason: String, open: [String], dryRun: Bool, isAdmin: Bool,
        kind: Trigger.Kind = .leveectl, from: String = ""
    ) async -> ControlResult {
        var holds = restoreHolds.withLock { $0 }?() ?? [:]
        for (outlet, reasons) in alarmHolds() {
            holds[outlet, default: []] += reasons.filter { !(holds[outlet] ?? []).contains($0) }
        }
        let overrides = Set(open)
        if dryRun {
            switch sequencer.withLock({ $0.restorePreview(holds: holds, overrides: overrides, isAdmin: isAdmin) }) {
            case .success(let preview):
                let summary = Self.summary(preview)
                return .success(
                    .restore(summary, said: Message(.replyRestoreDryRun, ["counts": .message(Self.counts(summary))])))
            case .failure(let refusal):
                return .failure(
                    ControlRefusal(refusal.refusalKind, Message(.refusalRestore, ["reason": .text("\(refusal)")])))
            }
        }
        let action = ActionID.make()
        let result = sequencer.withLock { s in
            s.restore(
                by: user, reason: reason, holds: holds, overrides: overrides, isAdmin: isAdmin, kind: kind, from: from,
                action: action, at: .now
            )
            .map { ($0, s.lastRestore) }
        }
        switch result {
        case .success(let (actions, preview)):
            await perform(actions)
            let summary = preview.map(Self.summary)
            logger.notice(
                "restore started",
                metadata: ["by": "\(user)", "items": "\(summary?.items.map(\.text).joined(separator: "; ") ?? "")"])
            let said = Message(
                .replyRestoreStarted,
                ["user": .text(user), "counts": summary.map { .message(Self.counts($0)) } ?? .text("")])
            return .success(summary.map { .restore($0, said: said) } ?? .said(said))
        case .failure(let refusal):
            return .failure(
                ControlRefusal(refusal.refusalKind, Message(.refusalRestore, ["reason": .text("\(refusal)")])))
        }
    }

    /// Per outlet, the active alarms on it, whether or not first flush lists the outlet: alarms on the outlet's own
    /// points and on the devices of its group (an analyser grouped with its outlet), and the alarms of interlocks
    /// whose plan closes it. A restore holds the outlet closed while any is active (the sequencer adds the active
    /// interlocks themselves).
    func alarmHolds() -> [String: [String]] {
        let config = field.config
        let active = alarms.activeConfigured()
        guard !active.isEmpty else { return [:] }
        let interlockAlarms = Dictionary(
            config.interlocks.compactMap { i in i.alarm.map { (i.id, $0) } }, uniquingKeysWith: { a, _ in a })
        var named: [String: Set<String>] = [:]
        for trigger in book.automaticTriggers {
            guard let alarm = interlockAlarms[trigger.id] else { continue }
            for step in trigger.plan.steps where step.operation == .closeValve {
                named[step.device, default: []].insert(alarm)
            }
        }
        var holds: [String: [String]] = [:]
        for outlet in config.devices where Self.isOutlet(outlet) {
            var devices: Set<String> = [outlet.id]
            if let group = outlet.group {
                devices.formUnion(config.devices.filter { $0.group == group }.map(\.id))
            }
            let reasons = active.filter { a in
                devices.contains(String(a.point.prefix { $0 != "." })) || named[outlet.id]?.contains(a.id) == true
            }.map { "\($0.id) active" }
            if !reasons.isEmpty { holds[outlet.id] = reasons.sorted() }
        }
        return holds
    }

    /// A rain or sewage outlet (a boundary valve without a role is one), as the sequencer counts them.
    static func isOutlet(_ d: Device) -> Bool {
        guard d.kind == .valve else { return false }
        switch d.valveSettings?.role ?? (d.line == .boundary ? .rainOutlet : nil) {
        case .rainOutlet, .sewageOutlet: return true
        default: return false
        }
    }

    static func summary(_ p: RestorePreview) -> RestoreSummary {
        RestoreSummary(
            plan: p.plan,
            items: p.items.map {
                RestoreItemSummary(
                    device: $0.device, now: $0.now, target: $0.target?.rawValue, action: $0.disposition.rawValue,
                    reasons: $0.reasons)
            })
    }

    /// "2 to move, 1 already there, 1 held closed, 0 need a decision".
    static func counts(_ s: RestoreSummary) -> Message {
        func n(_ actions: String...) -> MessageArg {
            .text(String(s.items.filter { actions.contains($0.action) }.count))
        }
        return Message(
            .restoreCounts,
            [
                "move": n("move", "overridden"), "there": n("already-there"), "held": n("held-closed"),
                "decide": n("needs-decision"),
            ])
    }

    func bypass(interlock id: String, by user: String, reason: String, seconds: Double?, isAdmin: Bool) async
        -> ControlResult
    {
        // Who may bypass is decided before anything in the request is read, its length before it is converted.
        guard isAdmin else {
            return .failure(
                ControlRefusal(.forbidden, Message(.refusalBypass, ["reason": .text("\(BypassRefusal.notAdmin)")])))
        }
        var duration = Duration.milliseconds(Int(settings.maximumBypassHours * 3_600_000))
        if let seconds {
            switch RequestLimits.duration("seconds", seconds: seconds, in: RequestLimits.bypassSeconds) {
            case .success(let d): duration = d
            case .failure(let refusal):
                return .failure(ControlRefusal(.badRequest, Message(.refusalBypass, ["reason": .text("\(refusal)")])))
            }
        }
        let result = sequencer.withLock {
            $0.bypass(trigger: id, by: user, reason: reason, isAdmin: isAdmin, for: duration, at: .now)
        }
        switch result {
        case .success(let actions):
            await perform(actions)
            let until = summary().bypasses.first { $0.interlock == id }?.until
            return .success(
                .said(
                    Message(
                        .replyBypassed,
                        [
                            "interlock": .text(id), "user": .text(user),
                            "until": .text(until.map(ControlDates.format) ?? "?"),
                        ])))
        case .failure(let refusal):
            return .failure(
                ControlRefusal(refusal.refusalKind, Message(.refusalBypass, ["reason": .text("\(refusal)")])))
        }
    }

    func unbypass(interlock id: String, by user: String) async -> ControlResult {
        let actions = sequencer.withLock { $0.removeBypass(trigger: id, at: .now) }
        guard !actions.isEmpty else {
            return .failure(ControlRefusal(.conflict, Message(.refusalNotBypassed, ["interlock": .text(id)])))
        }
        await perform(actions)
        return .success(.said(Message(.replyUnbypassed, ["interlock": .text(id), "user": .text(user)])))
    }

    func escalate(by user: String, reason: String) async -> ControlResult {
        await perform(sequencer.withLock { $0.escalate(by: user, reason: reason, at: .now) })
        return .success(.said(Message(.replyEscalated, ["user": .text(user)])))
    }

    func summary() -> DefenceSummary {
        let now = ContinuousClock.now
        let date = Date()
        func wall(_ i: ContinuousClock.Instant?) -> Date? {
            i.map { date.addingTimeInterval(($0 - now).inSeconds) }
        }
        let activeDrill = drill.withLock { $0?.id }
        // Who and why are typed by people (and come from the network): escaped as the journal stores them.
        let safe = JournalText.escape
        return sequencer.withLock { s in
            var summary = DefenceSummary(
                latched: s.isLatched, drill: s.isDrill, plan: s.plan?.name, trips: s.trips.map { safe($0.text) },
                steps: s.steps.map { st in
                    DefenceStepSummary(
                        id: st.step.id, device: st.step.device, operation: st.step.operation.rawValue,
                        phase: st.phase.rawValue, attempts: st.attempts, seconds: st.measuredSeconds,
                        failedReason: st.failedReason.map(safe), commandedAt: wall(st.commandedAt),
                        confirmedAt: wall(st.confirmedAt), lastError: st.lastError.map(safe))
                },
                escalated: s.isEscalated,
                escalations: s.escalations.map { safe("\($0.drill ? "DRILL " : "")\($0.by): \($0.reason)") },
                interlocks: s.automatic.map {
                    InterlockSummary(
                        id: $0.trigger.id, point: $0.trigger.point, plan: $0.trigger.plan.name, active: $0.isActive,
                        description: $0.trigger.description)
                },
                bypasses: s.bypasses.map {
                    BypassSummary(
                        interlock: $0.trigger, by: safe($0.by), reason: safe($0.reason), until: wall($0.until) ?? date)
                },
                activeDrill: activeDrill, restore: s.lastRestore.map(Self.summary))
            summary.tripTexts = s.trips.map { JournalText.escapeMessage($0.message) }
            summary.escalationTexts = s.escalations.map {
                JournalText.escapeMessage($0.drill ? $0.message.asDrill : $0.message)
            }
            return summary
        }
    }

    // MARK: - Outputs

    func perform(_ actions: [ShutoffAction]) async {
        guard !actions.isEmpty else { return }
        defer { statusChanged.ring() }
        // Commands first, each handed to its bus's priority queue right here (no task hop), so the buses put them
        // on the wire in parallel; nothing below waits for them.
        for case .command(let c) in actions { execute(c) }
        await saveSnapshot()
        let latch = latchState
        // During a drill the alarms it raises say so, as every other event of it does.
        let tag = sequencer.withLock { $0.isLatched && $0.isDrill } ? "DRILL: " : ""
        noteForDrill(actions)
        for action in actions {
            switch action {
            case .command: break
            case .alarm(let a):
                logger.critical("shutoff alarm", metadata: ["alarm": "\(a.text)"])
                await record("defence-alarm", a.message)
                // The sequencer's text is the whole alarm text: one sentence per language, not a title and a repeat.
                let text = tag.isEmpty ? a.message : a.message.asDrill
                switch a {
                case .manualActionNeeded(let valve, _):
                    await raise(.manualAction(valve: valve), active: true, text: text, drill: !tag.isEmpty)
                case .stepFailed(let step, _, _, _):
                    await raise(.stepFailed(step: step), active: true, text: text, drill: !tag.isEmpty)
                case .movedWhileShutOff(_, let device, _, _):
                    await raise(.movedWhileShutOff(device: device), active: true, text: text, drill: !tag.isEmpty)
                case .commandNotAcknowledged:
                    break  // the device's comm-fail alarm says it; a retry follows at the deadline
                }
            case .escalate(let e):
                logger.critical(
                    "park escalation", metadata: ["reason": "\(e.reason)", "by": "\(e.by)", "drill": "\(e.drill)"])
                await record("escalation", e.message, drill: e.drill)
                await raise(
                    .parkEscalation, active: true,
                    text: Message(.alarmEscalated).with(
                        detail: e.drill ? e.reasonText.asDrill : e.reasonText),
                    drill: e.drill)
                if !e.drill { await switchEscalationOutput(on: true, why: e.reason) }
            case .event(let e):
                logger.notice("shutoff event", metadata: ["event": "\(e.text)"])
                await record(e.journalKind, e.message, details: e.ledgerDetails)
                switch e {
                case .stepConfirmed(let step, let device, _):
                    await raise(.manualAction(valve: device), active: false, detail: nil)
                    await raise(.movedWhileShutOff(device: device), active: false, detail: nil)
                    await raise(.stepFailed(step: step), active: false, detail: nil)
                case .reset:
                    for condition in raised.withLock({ $0 }) {
                        await raise(condition, active: false, detail: nil)
                    }
                    await switchEscalationOutput(on: false, why: "shutoff reset")
                default: break
                }
            }
        }
        let watchers = latchWatchers.withLock { $0 }
        for w in watchers { w(latch) }
    }

    private func raise(
        _ condition: HealthCondition, active: Bool, detail: String? = nil, text: Message? = nil, drill: Bool = false
    ) async {
        let changed = raised.withLock { set in
            active ? set.insert(condition).inserted : set.remove(condition) != nil
        }
        if changed || active {
            await alarms.raise(condition, active: active, detail: detail, text: text, drill: drill)
        }
    }

    private func switchEscalationOutput(on: Bool, why: String) async {
        guard let output = settings.escalationOutput else { return }
        do {
            try await field.send(
                on ? "on" : "off", to: output,
                origin: CommandOrigin(user: Trigger.daemonUser, source: "park escalation", reason: why))
        } catch {
            logger.critical("park escalation output failed", metadata: ["device": "\(output)", "error": "\(error)"])
        }
    }

    /// Puts one step's command on the wire. Its ledger row names what caused this step's run (the trip that added
    /// it, the operator's restore, Levee re-asserting it), from where, why, and the action id of its event row.
    private func execute(_ c: DeviceCommand) {
        let cause = c.trigger
        let source =
            [cause?.from, "shutoff step \(c.step) (attempt \(c.attempt))", cause?.action.map { "action \($0)" }]
            .compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: "; ")
        let origin = CommandOrigin(
            user: cause?.who ?? Trigger.daemonUser, source: source,
            reason: (c.drill ? "DRILL: " : "") + (cause?.why ?? "cause unknown"), drill: c.drill)
        field.issue(c.command, to: c.device, origin: origin) { [self] result in
            let failure: String?
            switch result {
            case .success: failure = nil
            case .failure(let error): failure = error.message
            }
            let actions = sequencer.withLock {
                $0.commandResult(step: c.step, acknowledged: failure == nil, error: failure, at: .now)
            }
            if !actions.isEmpty { Task { await perform(actions) } }
        }
    }

    func record(_ kind: String, _ text: Message, drill: Bool? = nil, details: String? = nil) async {
        // A drill's events are drill until its report is final: its reset and restore included.
        let (latched, latchedDrill) = sequencer.withLock { ($0.isLatched, $0.isDrill) }
        let isDrill = drill ?? (latched ? latchedDrill : self.drill.withLock { $0 != nil })
        do {
            try await historian.recordEvent(
                StoredEvent(kind: kind, source: "shutoff", text: text, at: Date(), details: details, drill: isDrill))
        } catch {
            logger.warning("shutoff journal entry not yet durable", metadata: ["error": "\(error)"])
        }
    }

    /// Saves the latch and returns once it is on disk (`SnapshotWriter`: in order, a full disk included).
    ///
    /// The snapshot is taken and submitted under the sequencer's lock, so however many tasks perform actions at
    /// once, the file ends with the newest state; and the caller (a trip, a reset) is answered only after this.
    private func saveSnapshot() async {
        guard let snapshots else { return }
        let sequence = sequencer.withLock { s in
            (try? JSONEncoder.control.encode(s.snapshot)).map { snapshots.submit($0) }
        }
        guard let sequence else {
            logger.critical("shutoff latch cannot be encoded", metadata: ["file": "\(snapshotPath)"])
            return
        }
        do {
            try await snapshots.durable(sequence)
        } catch {
            logger.critical("shutoff latch not saved", metadata: ["file": "\(snapshotPath)", "error": "\(error)"])
        }
    }
}

/// A refused shutoff request, in the words the operator sees.
struct Refusal: Error {
    var message: String
    /// The same from the catalogue, when it has words for it.
    var text: Message?
    init(_ message: String) { self.message = message }
    init(_ text: Message) {
        self.message = text.render(.en)
        self.text = text
    }
}

extension DefenceEvent {
    /// The journal's event kind.
    var journalKind: String {
        switch self {
        case .tripped, .tripAdded, .tripBypassed: "trip"
        case .reset: "reset"
        case .restoreStarted, .restoreHeld, .restoreNeedsDecision, .restoreOverridden: "restore"
        case .bypassed, .bypassRemoved: "bypass"
        case .stepConfirmed, .restarted: "defence"
        }
    }
}

/// Action ids: one per operator or field action, in its event row's details and in every command it caused.
enum ActionID {
    /// A short random id; unique enough to tie a day's ledger rows together, short enough to read out on a phone.
    static func make() -> String { String(UUID().uuidString.lowercased().prefix(8)) }
}

extension DefenceEvent {
    /// The event row's details for the ledger: who caused it and the action id its commands carry.
    var ledgerDetails: String? {
        let trigger: Trigger
        switch self {
        case .tripped(let t, _), .tripAdded(let t, _): trigger = t
        case .restoreStarted(_, _, _, let t): trigger = t
        default: return nil
        }
        let fields: [String: String] = [
            "action": trigger.action ?? "", "user": trigger.who, "from": trigger.from, "reason": trigger.why,
        ]
        return (try? JSONEncoder.control.encode(fields)).map { String(decoding: $0, as: UTF8.self) }
    }
}
