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

/// Connects the pure alarm engine to the field, the historian and the annunciation outputs.
///
/// It feeds the engine every reading of an alarmed point, and reports device health for every point and device
/// by itself: comm-fail, stale, out-of-range, valve fault, valve failed to move (with the measured time), valve in
/// local mode, historian fault. Every transition is journaled in the historian and the engine's states are
/// written to a snapshot file beside the database after each change, so a restart (even after kill -9) brings the
/// active alarms back with their acknowledgement and shelve states.
final class AlarmService: Service, Sendable {
    private let field: FieldIO
    private let historian: Historian
    private let logger: Logger
    private let engine: Mutex<AlarmEngine>
    private let snapshotPath: String
    /// The alarm-state file's one writer; nil when it could not be opened (logged at critical).
    private let snapshots: SnapshotWriter?
    private let annunciation: [AlarmPriority: [String]]
    private let events: AsyncStream<FieldEvent>
    /// Rung whenever an alarm changed: the status publisher builds a new status.
    let statusChanged = ChangeSignal()
    private let alarmedPoints: Set<String>
    /// Health conditions reported active, so only changes are sent.
    private let reported = Mutex<Set<HealthCondition>>([])
    private let valveFlags = Mutex<[String: (position: Bool, bit: Bool)]>([:])

    /// - Throws: when the configured alarms are inconsistent (check-config reports this first).
    /// Alarms a drill raised (by id): journaled as drill.
    private let drillAlarms = Mutex<Set<String>>([])
    /// The devices of the drill under way (set by the shutoff once it exists): their alarms are journaled as drill.
    let drillDevices = Mutex<(@Sendable () -> Set<String>)?>(nil)

    init(config: LeveeConfig, field: FieldIO, historian: Historian, logger: Logger) throws {
        self.field = field
        self.historian = historian
        self.logger = logger
        self.annunciation = config.alarmSettings.annunciation
        self.snapshotPath = config.historian.path + ".alarms.json"
        self.snapshots = SnapshotWriter.openOrLog(path: snapshotPath, what: "alarm states", logger: logger)
        self.alarmedPoints = Set(config.alarms.map(\.point))
        var engine = try AlarmEngine(definitions: config.alarms, options: config.alarmSettings.engineOptions)
        var restored: [AlarmAction] = []
        if let data = snapshots.map({ $0.initial }) ?? FileManager.default.contents(atPath: snapshotPath) {
            do {
                let snapshot = try JSONDecoder.control.decode(AlarmSnapshot.self, from: data)
                let outcome = engine.restore(snapshot, at: .now, date: Date())
                restored = outcome.actions
                logger.notice(
                    "alarm states restored",
                    metadata: [
                        "file": "\(snapshotPath)", "alarms": "\(snapshot.alarms.count)",
                        "unknown": "\(outcome.unknownAlarms.joined(separator: ","))",
                    ])
            } catch {
                logger.error(
                    "alarm snapshot unreadable; starting with every alarm normal",
                    metadata: ["file": "\(snapshotPath)", "error": "\(error)"])
            }
        }
        self.engine = Mutex(engine)
        self.events = field.events()
        self.pendingRestoreActions = Mutex(restored)
    }

    private let pendingRestoreActions: Mutex<[AlarmAction]>

    func run() async throws {
        let restored = pendingRestoreActions.withLock { a in
            defer { a = [] }
            return a
        }
        await perform(restored)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                for await event in events { await handle(event) }
            }
            group.addTask { [self] in
                for await change in historian.healthChanges().cancelOnGracefulShutdown() {
                    // The fault's detail names the file and the error, as the operator needs them.
                    switch change {
                    case .fault(let error):
                        await report(.historianFault, active: true, detail: error.description)
                    case .recovered(let dropped, let duration):
                        await report(
                            .historianFault, active: false,
                            detail: nil,
                            detailMessage: Message(
                                .detailHistorianRecovered,
                                [
                                    "duration": .text(Message.number(duration.inSeconds, decimals: 0)),
                                    "dropped": .text(String(dropped)),
                                ]))
                    }
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
        await saveSnapshot()
        snapshots?.close()
    }

    // MARK: - Inputs

    private func handle(_ event: FieldEvent) async {
        switch event {
        case .update(let update):
            let now = ContinuousClock.now
            var samples: [PointSample] = []
            for r in update.readings {
                let point = "\(r.device).\(r.point)"
                if alarmedPoints.contains(point) {
                    samples.append(PointSample(point: point, value: r.value, usable: r.quality.isUsable))
                }
                await report(
                    .outOfRange(point: point), active: r.quality == .outOfRange, detail: nil,
                    detailMessage: r.value.map { Message(.detailValue, ["value": .text(valueText($0, point: point))]) })
            }
            if !samples.isEmpty {
                let actions = engine.withLock { $0.scan(samples, at: now) }
                await perform(actions)
            }
            await report(.commFail(device: update.device), active: !update.healthy, detail: update.error)
        case .valve(let id, let e, _):
            switch e {
            case .modeChanged(_, let to):
                await report(
                    .valveLocal(valve: id), active: to == .local, detail: nil,
                    detailMessage: Message(to == .local ? .detailSelectorLocal : .detailSelectorRemote))
            case .positionChanged(_, let to):
                let flags = valveFlags.withLock { f in
                    f[id, default: (false, false)].position = to == .fault
                    return f[id]!
                }
                await report(
                    .valveFault(valve: id), active: flags.position || flags.bit, detail: nil,
                    detailMessage: Message(.detailPosition, ["position": .message(to.word)]))
            case .faultBitChanged(let on):
                let flags = valveFlags.withLock { f in
                    f[id, default: (false, false)].bit = on
                    return f[id]!
                }
                await report(
                    .valveFault(valve: id), active: flags.position || flags.bit, detail: nil,
                    detailMessage: Message(on ? .detailActuatorFaultOn : .detailActuatorFaultOff))
            case .movementFinished(let r):
                switch r.outcome {
                case .failed(let reason):
                    await report(
                        .valveFailedToMove(valve: id), active: true, detail: reason,
                        measured: .milliseconds(Int(r.seconds * 1000)))
                case .reached:
                    await report(.valveFailedToMove(valve: id), active: false, detail: nil)
                    if r.commanded { await checkDrift(valve: id, r) }
                case .alreadyThere, .reachedUntimed:
                    await report(.valveFailedToMove(valve: id), active: false, detail: nil)
                }
            }
        case .command:
            break
        }
    }

    private func tick() async {
        let now = ContinuousClock.now
        // Stale values only show when the snapshot ages them: look once a second.
        for device in field.snapshot() {
            for r in device.readings {
                await report(.stale(point: "\(device.device.id).\(r.point)"), active: r.quality == .stale, detail: nil)
            }
        }
        let actions = engine.withLock { $0.tick(at: now) }
        await perform(actions)
    }

    /// Proof-test evidence: a commanded stroke slower than 1.5× the valve's baseline (the median of its earlier
    /// strokes in the same direction, or its configured stroke until it has three) raises a drift alarm; a
    /// normal stroke clears it.
    private func checkDrift(valve id: String, _ r: StrokeRecord) async {
        guard let configured = field.config.device(id)?.valveSettings?.strokeSeconds else { return }
        let previous: [Double]
        do {
            previous = try await historian.strokes(device: id, command: r.target.commandName, limit: 20)
                .filter { $0.at < r.startedAt }.map(\.seconds)
        } catch {
            logger.warning("stroke history unreadable", metadata: ["valve": "\(id)", "error": "\(error)"])
            return
        }
        let baseline = StrokeDrift.baseline(previous: previous, configured: configured)
        let drifted = StrokeDrift.isDrift(measured: r.seconds, baseline: baseline)
        await report(
            .strokeDrift(valve: id), active: drifted,
            detail: nil,
            detailMessage: Message(
                .detailStrokeDrift,
                [
                    "command": .text(r.target.commandName), "seconds": .text(Message.number(r.seconds, decimals: 1)),
                    "baseline": .text(Message.number(baseline, decimals: 1)),
                    "ratio": .text(Message.number(r.seconds / baseline, decimals: 1)),
                ]))
    }

    /// A health condition the shutoff reports: a step needing a person on site, a failed step, a park escalation.
    /// - Parameter drill: raised by a drill (its manual action, failed step, escalation): its journal rows are
    ///   marked drill, the clearing and the acknowledgement included, until it is raised again outside a drill.
    /// - Parameters:
    ///   - detail: technical text added after the title as it is (an error from a library, a typed reason).
    ///   - text: the whole text from the catalogue, when the reporter says it better than title and detail.
    func raise(
        _ condition: HealthCondition, active: Bool, detail: String?, text: Message? = nil, drill: Bool = false
    ) async {
        if active {
            drillAlarms.withLock { set in
                if drill { set.insert(condition.alarmID) } else { set.remove(condition.alarmID) }
            }
        }
        await report(condition, active: active, detail: detail, text: text)
    }

    /// The configured alarms (not device-health ones) whose condition is active now, with their points.
    func activeConfigured() -> [(id: String, point: String)] {
        engine.withLock { e in e.alarms.filter { $0.health == nil && $0.conditionActive }.map { ($0.id, $0.point) } }
    }

    /// The verdict of a set of alarms, as first flush reads water quality: nil when any is unknown or its point
    /// is not usable now, false when any condition is active, true when every one is clear.
    func allClear(_ ids: [String]) -> Bool? {
        let states = engine.withLock { e in ids.map { id in e.alarms.first { $0.id == id } } }
        var clear = true
        for state in states {
            guard let state else { return nil }
            let parts = state.point.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2, field.reading(parts[0], parts[1])?.quality.isUsable == true else { return nil }
            if state.conditionActive { clear = false }
        }
        return clear
    }

    /// Why a set of quality alarms forbids sending water out, one reason each: "wq-outlet-1.cod.H active" for an
    /// active condition, "… unreadable" when its point is not usable or the alarm is not configured (unknown water
    /// is not clean water). Empty when every one is clear.
    func holdReasons(_ ids: [String]) -> [String] {
        let states = engine.withLock { e in ids.map { id in (id, e.alarms.first { $0.id == id }) } }
        return states.compactMap { id, state in
            guard let state else { return "\(id) unreadable" }
            let parts = state.point.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2, field.reading(parts[0], parts[1])?.quality.isUsable == true else {
                return "\(id) unreadable"
            }
            return state.conditionActive ? "\(id) active" : nil
        }
    }

    /// A reading as its point's precision writes it ("12.3", not 12.300000000000001); a float32 point, whose
    /// precision is not configured, in the shortest digits that read back as the same float.
    private func valueText(_ value: Double, point: String) -> String {
        let parts = point.split(separator: ".", maxSplits: 1).map(String.init)
        let decimals = parts.count == 2 ? field.config.device(parts[0])?.points[parts[1]]?.decimals : nil
        return Message.reading(value, decimals: decimals)
    }

    /// Reports a health condition to the engine when it changed.
    private func report(
        _ condition: HealthCondition, active: Bool, detail: String?, detailMessage: Message? = nil,
        text: Message? = nil, measured: Duration? = nil
    ) async {
        let changed = reported.withLock { set in
            if active { return set.insert(condition).inserted }
            return set.remove(condition) != nil
        }
        // A failed move is reported again each time it fails, with its new measured time.
        guard changed || (active && measured != nil) else { return }
        let now = ContinuousClock.now
        let actions = engine.withLock {
            $0.health(
                condition, active: active,
                detail: detailMessage ?? detail.flatMap { $0.isEmpty ? nil : Message.literal($0) }, text: text,
                measured: measured, at: now)
        }
        await perform(actions)
    }

    // MARK: - Operator requests (from the control socket; `user` is the caller's Unix account)

    func summary(now: ContinuousClock.Instant = .now, date: Date = Date()) -> (alarms: [AlarmEntry], rate: Int) {
        engine.withLock { e in
            (
                e.alarms.filter { $0.state != .normal }.sorted { a, b in
                    (a.priority, a.activatedAt ?? now) < (b.priority, b.activatedAt ?? now)
                }.map { Self.entry($0, now: now, date: date) }, e.floodRate(at: now)
            )
        }
    }

    static func entry(_ s: AlarmStatus, now: ContinuousClock.Instant, date: Date) -> AlarmEntry {
        func wall(_ i: ContinuousClock.Instant?) -> Date? {
            i.map {
                date.addingTimeInterval(
                    Double(($0 - now).components.seconds) + Double(($0 - now).components.attoseconds) / 1e18)
            }
        }
        var entry = AlarmEntry(
            id: s.id, point: s.point, priority: s.priority.rawValue, state: s.state.rawValue,
            conditionActive: s.conditionActive, value: s.value, message: JournalText.escape(s.message), group: s.group,
            firstOut: s.firstOut, since: wall(s.since), shelvedUntil: wall(s.shelvedUntil),
            // Typed by people (a shelve's reason, a trip's text in the detail): escaped as the journal stores them,
            // so a bidi override or a control character cannot make status read otherwise than it was typed.
            user: s.user.map(JournalText.escape), reason: s.reason.map(JournalText.escape))
        entry.text = JournalText.escapeMessage(s.text)
        entry.nextAction = s.health?.nextAction
        return entry
    }

    /// Runs an operator's alarm command against the engine and journals what it did.
    func operate(_ command: ControlCommand, user: String) async -> ControlResult {
        let now = ContinuousClock.now
        let op = command.op.rawValue
        // The shelve's length was checked where the command was decoded; it becomes a Duration only here.
        var shelveFor = Duration.zero
        if case .shelve(_, _, let seconds) = command {
            switch RequestLimits.duration("seconds", seconds: seconds, in: RequestLimits.shelveSeconds) {
            case .success(let d): shelveFor = d
            case .failure(let refusal):
                return .failure(ControlRefusal(.badRequest, Message(.refusalShelve, ["reason": .text("\(refusal)")])))
            }
        }
        var id = ""
        let result: Result<[AlarmAction], AlarmError> = engine.withLock { e in
            do throws(AlarmError) {
                switch command {
                case .ack(let alarm, let reason):
                    id = alarm
                    return .success(try e.acknowledge(alarm, user: user, reason: reason, at: now))
                case .shelve(let alarm, let reason, _):
                    id = alarm
                    return .success(try e.shelve(alarm, until: now + shelveFor, user: user, reason: reason, at: now))
                case .unshelve(let alarm, let reason):
                    id = alarm
                    return .success(try e.unshelve(alarm, user: user, reason: reason, at: now))
                case .removeFromService(let alarm, let reason):
                    id = alarm
                    return .success(try e.removeFromService(alarm, user: user, reason: reason, at: now))
                case .returnToService(let alarm, let reason):
                    id = alarm
                    return .success(try e.returnToService(alarm, user: user, reason: reason, at: now))
                case .silence:
                    return .success(try e.silence(user: user, at: now))
                case .ping, .status, .alarms, .command, .shutoff, .reset, .restore, .bypass, .unbypass, .escalate,
                    .drillStart, .drillCheck, .drills, .drillReport, .parkConfirm, .metrics, .watch:
                    return .success([])
                }
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let actions):
            await perform(actions)
            if id.isEmpty { return .success(.said(Message(.replySilenced, ["user": .text(user)]))) }
            return .success(
                .said(
                    Message(
                        .replyAlarmDone,
                        ["op": .message(AlarmError.operation(op)), "alarm": .text(id), "user": .text(user)])))
        case .failure(let error):
            return .failure(ControlRefusal(error.refusalKind, error.text))
        }
    }

    // MARK: - Outputs

    private func perform(_ actions: [AlarmAction]) async {
        guard !actions.isEmpty else { return }
        defer { statusChanged.ring() }
        let now = ContinuousClock.now
        let date = Date()
        var journaled = false
        for action in actions {
            switch action {
            case .transition(let t):
                journaled = true
                let value = t.value.map { String(format: "%g", $0) } ?? "null"
                let details =
                    #"{"alarm":\#(json(t.alarm)),"point":\#(json(t.point)),"priority":"\#(t.priority)","from":"\#(t.from)","to":"\#(t.to)","event":"\#(t.event)","value":\#(value),"user":\#(t.user.map(json) ?? "null"),"reason":\#(t.reason.map(json) ?? "null"),"firstOut":\#(t.firstOut)}"#
                var journalText = t.journalText
                if t.event == .activated, t.point.hasSuffix(".level"),
                    let pool = poolText(device: String(t.point.dropLast(6)))
                {
                    journalText = Message(.alarmWithPool, ["text": .message(journalText), "pool": .text(pool)])
                }
                let text = journalText.render(.en)
                logger.notice(
                    "alarm transition",
                    metadata: [
                        "alarm": "\(t.alarm)", "from": "\(t.from)", "to": "\(t.to)", "priority": "\(t.priority)",
                        "user": "\(t.user ?? "")",
                    ])
                await record(
                    StoredEvent(
                        kind: "alarm", source: t.alarm, message: text, at: t.date(now: now, nowDate: date),
                        details: details, drill: isDrill(alarm: t.alarm, point: t.point), text: journalText))
            case .annunciate(let priority):
                await switchOutputs(annunciation[priority] ?? [], on: true, why: "\(priority) alarm")
            case .silence(let user):
                await switchOutputs(
                    Array(Set(annunciation.values.joined())), on: false,
                    why: user.map { "silenced by \($0)" } ?? "nothing awaiting acknowledgement")
            case .flood(let change, let count):
                journaled = true
                await record(
                    StoredEvent(
                        kind: "alarm-flood", source: "alarms",
                        text: Message(
                            change == .started ? .alarmFloodStarted : .alarmFloodEnded, ["count": .text(String(count))]),
                        at: date))
            }
        }
        if journaled { await saveSnapshot() }
    }

    /// "1004 m³ of 5000, filling 240 m³/h, full in 16 h 39 min" for a pool, so the journal says how long is left.
    private func poolText(device: String) -> String? {
        guard let pool = field.snapshot().first(where: { $0.device.id == device })?.pool else { return nil }
        var text = String(format: "%.0f m³", pool.volume)
        if let c = pool.capacity { text += String(format: " of %.0f", c) }
        if let r = pool.fillRate { text += String(format: ", %@ %.0f m³/h", r >= 0 ? "filling" : "emptying", abs(r)) }
        if let u = pool.secondsUntilFull { text += ", full in \(Int(u / 3600)) h \(Int(u) % 3600 / 60) min" }
        return text
    }

    private func switchOutputs(_ devices: [String], on: Bool, why: String) async {
        for device in devices {
            do {
                try await field.send(
                    on ? "on" : "off", to: device,
                    origin: CommandOrigin(user: Trigger.daemonUser, source: "alarm annunciation", reason: why))
            } catch {
                logger.error("annunciation output failed", metadata: ["device": "\(device)", "error": "\(error)"])
            }
        }
    }

    /// Whether an alarm's journal row belongs to a drill: one a drill raised, or one on a device of the drill under
    /// way (a drill valve's failure to move, its local mode).
    private func isDrill(alarm: String, point: String) -> Bool {
        if drillAlarms.withLock({ $0.contains(alarm) }) { return true }
        guard let devices = drillDevices.withLock({ $0 })?() else { return false }
        return devices.contains(String(point.prefix { $0 != "." }))
    }

    private func record(_ event: StoredEvent) async {
        do {
            try await historian.recordEvent(event)
        } catch {
            logger.warning(
                "alarm journal entry not yet durable", metadata: ["alarm": "\(event.source)", "error": "\(error)"])
        }
    }

    /// Saves the engine's states and returns once they are on disk (`SnapshotWriter`). Taken and submitted under
    /// the engine's lock, so concurrent changes land in their order.
    private func saveSnapshot() async {
        guard let snapshots else { return }
        let sequence = engine.withLock { e in
            (try? JSONEncoder.control.encode(e.snapshot(at: .now, date: Date()))).map { snapshots.submit($0) }
        }
        guard let sequence else { return }
        do {
            try await snapshots.durable(sequence)
        } catch {
            logger.error("alarm states not saved", metadata: ["file": "\(snapshotPath)", "error": "\(error)"])
        }
    }

    private func json(_ s: String) -> String {
        (try? String(decoding: JSONEncoder().encode(s), as: UTF8.self)) ?? "\"\""
    }
}

extension AlarmError {
    var refusalKind: ControlRefusal.Kind {
        switch self {
        case .unknownAlarm: .notFound
        case .notAllowed: .conflict
        case .missingUser, .missingReason, .shelveExpiryNotInFuture, .shelveTooLong, .silenceWithoutUser: .badRequest
        }
    }
}
