import CivilTime
import ControlAPI
import Defence
import Devices
import Drills
import Foundation
import Historian
import Messages

/// A verification drill (验证演练) under way: what the report needs that the sequencer does not keep.
struct ActiveDrill: Sendable {
    enum Phase: Sendable { case running, settled, restoring }

    var id: String
    var plan: ResponsePlan
    var startedBy: String
    var reason: String
    var startedAt: Date
    var phase: Phase = .running
    var timeline: [DrillReport.TimelineEntry] = []
    /// Stroke times the valve trackers measured (command to end limit), by valve.
    var strokes: [String: Double] = [:]
    var poolsBefore: [String: (level: Double?, volume: Double?)] = [:]
    var escalations: [String] = []
    var report: DrillReport?
}

extension DefenceService {
    // MARK: Live drill

    /// Runs a plan on the real equipment through the same path as a real trip, every event marked DRILL. Refused
    /// while latched: a drill must not mix with a real trip, nor a second drill with the first.
    func startDrill(plan: ResponsePlan, live: Bool, by user: String, from: String, reason: String) async
        -> ControlResult
    {
        guard live else {
            return .failure(
                ControlRefusal(.badRequest, Message(.refusalDrillNotLive, ["plan": .text(plan.name)])))
        }
        if isLatched {
            return .failure(ControlRefusal(.conflict, Message(.refusalDrillLatched)))
        }
        let now = Date()
        let id = Self.drillID(at: now, timeZone: site.timeZone)
        var active = ActiveDrill(id: id, plan: plan, startedBy: user, reason: reason, startedAt: now)
        for pool in field.snapshot(of: pools) {
            active.poolsBefore[pool.device.id] = (Self.level(pool), pool.pool?.volume)
        }
        let refused = drill.withLock { current -> Bool in
            guard current == nil else { return true }
            current = active
            return false
        }
        if refused { return .failure(ControlRefusal(.conflict, "a drill is already under way")) }
        let trigger = Trigger(
            kind: .leveectl, who: user, from: from, why: reason, drill: true, date: now, action: ActionID.make())
        return await trip(trigger, plan: plan).map { .done("DRILL \(id): " + ($0.message ?? "")) }
    }

    /// Adds what the sequencer did to the drill's timeline.
    func noteForDrill(_ actions: [ShutoffAction]) {
        let now = Date()
        drill.withLock { d in
            guard d != nil else { return }
            for action in actions {
                switch action {
                case .command(let c):
                    d!.timeline.append(
                        .init(at: now, kind: .command, device: c.device, text: "\(c.command) (attempt \(c.attempt))"))
                case .alarm(let a):
                    let kind: DrillReport.TimelineEntry.Kind =
                        switch a {
                        case .manualActionNeeded: .manualAction
                        case .stepFailed: .failed
                        case .commandNotAcknowledged: .note
                        case .movedWhileShutOff: .failed
                        }
                    d!.timeline.append(.init(at: now, kind: kind, text: a.text))
                case .escalate(let e):
                    d!.escalations.append("\(e.by): \(e.reason)")
                    d!.timeline.append(.init(at: now, kind: .escalation, text: "park escalation (drill): \(e.reason)"))
                case .event(let e):
                    switch e {
                    case .tripped(let t, _), .tripAdded(let t, _):
                        d!.timeline.append(.init(at: now, kind: .trigger, text: e.text))
                        if !t.drill {
                            // A real trip ends the drill: from here on it is an emergency, not an exercise.
                            d!.timeline.append(.init(at: now, kind: .note, text: "real trip during the drill"))
                            d!.phase = .settled
                        }
                    case .stepConfirmed(_, let device, _):
                        d!.timeline.append(.init(at: now, kind: .confirmed, device: device, text: e.text))
                    case .restoreStarted:
                        d!.timeline.append(.init(at: now, kind: .restore, text: e.text))
                        d!.phase = .restoring
                    default:
                        d!.timeline.append(.init(at: now, kind: .note, text: e.text))
                    }
                }
            }
        }
    }

    /// The devices of the drill under way: their state changes are journaled as drill.
    var drillDevices: Set<String> { drill.withLock { d in d.map { Set($0.plan.steps.map(\.device)) } ?? [] } }

    /// Keeps the stroke time the valve tracker measured, for the report.
    func noteStroke(valve: String, _ r: StrokeRecord) {
        guard r.commanded, case .reached = r.outcome else { return }
        drill.withLock { d in
            guard d != nil, d!.phase == .running, d!.strokes[valve] == nil, r.startedAt >= d!.startedAt else { return }
            d!.strokes[valve] = r.seconds
        }
    }

    /// Writes the report once every step is confirmed, failed or waiting for a person, and again once the restore
    /// that follows has settled.
    func advanceDrill() async {
        let (settled, planName) = sequencer.withLock { s in
            (s.steps.allSatisfy { $0.phase != .waiting && $0.phase != .commanded }, s.plan?.name)
        }
        guard let current = drill.withLock({ $0 }), settled else { return }
        switch current.phase {
        case .running:
            await writeReport(final: false)
            drill.withLock { $0?.phase = .settled }
        case .restoring where planName?.hasPrefix("restore:") == true:
            await writeReport(final: true)
            drill.withLock { $0 = nil }
        case .settled, .restoring:
            // On a park, the plants answer after the park's own gates have settled: keep the report current.
            let plants = plantSections.withLock { $0 }?(current.startedAt)
            // A stroke's record can arrive just after its step settled: put it in the report once it has.
            let strokeArrived =
                current.report?.strokes.contains { $0.measuredSeconds == nil && current.strokes[$0.valve] != nil }
                ?? false
            if current.report == nil || strokeArrived || (plants != nil && plants != current.report?.plants) {
                await writeReport(final: false)
            }
        }
    }

    private func writeReport(final: Bool) async {
        guard let d = drill.withLock({ $0 }) else { return }
        var report = await buildReport(d)
        // Append-only: after the restore the sequencer's steps are the restore's, so a fresh build has lost the
        // plan's strokes and failures; the report stored earlier keeps them.
        if let earlier = d.report { report = earlier.appending(report) }
        let steps = sequencer.withLock { $0.steps }
        if final {
            report.finishedAt = Date()
            report.restore += steps.map {
                DrillReport.StepOutcome(
                    step: $0.step.id, device: $0.step.device,
                    outcome: $0.failedReason.map { "failed: \($0)" } ?? $0.phase.rawValue, seconds: $0.measuredSeconds)
            }
        }
        drill.withLock { $0?.report = report }
        do {
            try await historian.saveDrill(
                StoredDrill(
                    id: report.id, plan: report.plan, live: true, startedAt: report.startedAt,
                    finishedAt: report.finishedAt, startedBy: report.startedBy, report: report.json()))
            logger.notice("drill report stored", metadata: ["drill": "\(report.id)", "final": "\(final)"])
        } catch {
            logger.error("drill report not stored", metadata: ["drill": "\(report.id)", "error": "\(error)"])
        }
    }

    private func buildReport(_ d: ActiveDrill) async -> DrillReport {
        let config = field.config
        let steps = sequencer.withLock { s in s.steps.filter { st in d.plan.steps.contains { $0.id == st.step.id } } }
        var strokes: [StrokeResult] = []
        var failures: [String] = []
        var local: [DrillReport.LocalValve] = []
        for st in steps {
            guard let device = config.device(st.step.device) else { continue }
            if let reason = st.failedReason { failures.append("\(st.step.id): \(reason)") }
            if st.phase == .manualActionNeeded {
                local.append(.init(valve: device.id, location: device.location))
                failures.append("\(st.step.id): \(device.id) in local mode: manual action needed")
            }
            guard let valve = device.valveSettings else { continue }
            let command = st.step.operation.commandName
            let previous = (try? await historian.strokes(device: device.id, command: command, limit: 20)) ?? []
            let measured = d.strokes[device.id]
            if measured == nil && st.phase == .confirmed {
                failures.append("\(st.step.id): \(device.id) was already \(command)d; its stroke was not proven")
            }
            strokes.append(
                StrokeResult.make(
                    valve: device.id, valveName: device.name, operation: command,
                    configuredSeconds: valve.strokeSeconds, measuredSeconds: measured,
                    previous: previous.filter { $0.at < d.startedAt }.map(\.seconds)))
        }
        let alarmEvents = (try? await historian.events(from: d.startedAt, to: Date().addingTimeInterval(1))) ?? []
        let alarms: [DrillReport.AlarmRecord] = alarmEvents.compactMap { e in
            guard e.kind == "alarm", let details = e.details?.data(using: .utf8),
                let json = try? JSONSerialization.jsonObject(with: details) as? [String: Any],
                json["event"] as? String == "activated"
            else { return nil }
            return .init(at: e.at, id: e.source, priority: json["priority"] as? String ?? "", text: e.message)
        }
        var poolChanges: [DrillReport.PoolChange] = []
        for pool in field.snapshot(of: pools) {
            let before = d.poolsBefore[pool.device.id]
            poolChanges.append(
                .init(
                    device: pool.device.id, name: pool.device.name, levelBefore: before?.level ?? nil,
                    levelAfter: Self.level(pool), volumeBefore: before?.volume ?? nil, volumeAfter: pool.pool?.volume,
                    unit: pool.device.points["level"]?.unit ?? "m"))
        }
        // Who started it and why, and every trip and escalation text in the timeline, were typed by people: the
        // report keeps them escaped as the journal does.
        var timeline = d.timeline
        for i in timeline.indices { timeline[i].text = JournalText.escape(timeline[i].text) }
        return DrillReport(
            id: d.id, site: site.id, siteName: site.name, timeZone: site.timeZone, plan: d.plan.name, live: true,
            startedBy: JournalText.escape(d.startedBy), reason: JournalText.escape(d.reason), startedAt: d.startedAt,
            finishedAt: nil, timeline: timeline, strokes: strokes, failures: failures.map(JournalText.escape),
            localValves: local,
            alarms: alarms.map { a in
                var a = a
                a.text = JournalText.escape(a.text)
                return a
            }, pools: poolChanges, escalations: d.escalations.map(JournalText.escape),
            plants: plantSections.withLock { $0 }?(d.startedAt) ?? [])
    }

    static func level(_ s: DeviceSnapshot) -> Double? {
        s.readings.first { $0.point == "level" && $0.quality.isUsable }?.value
    }

    /// Drill ids read in the site's own time, with its offset ("drill-20261208T091500+0800"), as the plant
    /// staff who ran it remember it; an unknown zone counts as UTC.
    static func drillID(at date: Date, timeZone: String) -> String {
        "drill-" + CivilTime.basic(date, in: TimeZone(identifier: timeZone) ?? TimeZone(secondsFromGMT: 0)!)
    }

    // MARK: Tabletop readiness check

    /// What each step of the plan would find now, commanding nothing: whether the device answers, is in remote,
    /// is fault-free and in a position from which the step proves something.
    func check(plan: ResponsePlan) -> DrillCheck {
        let snapshot = Dictionary(
            field.snapshot(of: Set(plan.steps.map(\.device))).map { ($0.device.id, $0) },
            uniquingKeysWith: { a, _ in a })
        let items = plan.steps.map { step -> DrillCheckItem in
            guard let s = snapshot[step.device] else {
                return DrillCheckItem(
                    step: step.id, device: step.device, operation: step.operation.rawValue, location: nil,
                    reachable: false, mode: nil, position: nil, faultFree: false,
                    problems: ["\(step.device) is not configured"])
            }
            var problems: [String] = []
            var notes: [String] = []
            let device = s.device
            if !s.answering {
                problems.append("\(device.id) does not answer (bus \(device.bus)): \(s.lastError ?? "no reply yet")")
            }
            var mode: String?
            var position: String?
            var faultFree = true
            func value(_ point: String) -> Bool? {
                guard let r = s.readings.first(where: { $0.point == point }), r.quality.isUsable, let v = r.value
                else { return nil }
                return v != 0
            }
            switch device.kind {
            case .valve:
                if let v = s.valve {
                    mode = v.mode.rawValue
                    position = v.position.rawValue
                    if v.mode == .local {
                        problems.append(
                            "\(device.id) is in local mode\(device.location.map { " at \($0)" } ?? ""): switch it to remote"
                        )
                    }
                    if v.faultBit == true || v.position == .fault {
                        faultFree = false
                        problems.append("\(device.id) reports an actuator fault (position \(v.position.rawValue))")
                    }
                    let target: ValvePosition = step.operation == .closeValve ? .closed : .open
                    if s.answering && v.position == target {
                        notes.append("\(device.id) is already \(target.rawValue): the step would not prove it moves")
                    } else if s.answering && (v.position == .unknown || v.position == .travelling) {
                        problems.append("\(device.id) position is \(v.position.rawValue)")
                    }
                }
            case .pump:
                let running = value("running")
                position = running.map { $0 ? "running" : "stopped" }
                if value("fault") == true {
                    faultFree = false
                    problems.append("\(device.id) reports a fault")
                }
                if value("remote") == false { problems.append("\(device.id) is not in remote") }
            case .digitalOutput:
                position = value("state").map { $0 ? "on" : "off" }
            default:
                break
            }
            return DrillCheckItem(
                step: step.id, device: device.id, operation: step.operation.rawValue, location: device.location,
                reachable: s.answering, mode: mode, position: position, faultFree: faultFree, problems: problems,
                notes: notes)
        }
        return DrillCheck(plan: plan.name, checkedAt: Date(), items: items)
    }

    // MARK: Stored reports

    func drillList() async -> ControlResult {
        do {
            let drills = try await historian.drills(limit: 50)
            return .success(
                .drills(
                    drills.map {
                        DrillEntry(
                            id: $0.id, plan: $0.plan, live: $0.live, startedAt: $0.startedAt, finishedAt: $0.finishedAt,
                            startedBy: $0.startedBy, timeZone: site.timeZone)
                    }))
        } catch {
            return .failure(ControlRefusal(.unavailable, "drill reports cannot be read: \(error)"))
        }
    }

    /// A stored report rendered as "html", "md" or "json"; `id` "latest" (or none) is the newest.
    func drillReport(id: String?, format: String?) async -> ControlResult {
        do {
            let stored: StoredDrill?
            if let id, id != "latest" {
                stored = try await historian.drill(id: id)
            } else {
                stored = try await historian.drills(limit: 1).first
            }
            guard let stored else {
                return .failure(ControlRefusal(.notFound, "no drill report \(id.map { "\"\($0)\"" } ?? "stored yet")"))
            }
            let report = try DrillReport(json: stored.report)
            switch format ?? "md" {
            case "html": return .success(.report(DrillReportRenderer.html(report)))
            case "md", "markdown": return .success(.report(DrillReportRenderer.markdown(report)))
            case "json": return .success(.report(stored.report))
            case let other:
                return .failure(ControlRefusal(.badRequest, "unknown report format \"\(other)\" (html, md, json)"))
            }
        } catch {
            return .failure(ControlRefusal(.unavailable, "drill report cannot be read: \(error)"))
        }
    }
}
