import Alarm
import Config
import Foundation
import Messages

/// The one-key shutoff as a latching interlock: trips, feedback and ticks go in, commands and alarms come out.
///
/// A pure value in the shape of the house state machines: the daemon performs the returned actions, feeds back
/// what the field reports, and ticks it for the deadlines. Practice from IEC 61511 that it encodes:
/// - **Latch.** A trip holds until an authorised reset, after the cause has cleared; a reset never reopens anything.
/// - **Feedback.** A step is done only when the field shows it; a command acknowledged by the bus is not enough.
/// - **Local mode.** A valve on its hand/auto selector in local is never commanded; a person must go there.
/// - **Bypasses** of automatic triggers are time-limited and recorded, and never block a person's trip.
public struct ShutoffSequencer: Sendable {
    /// Tuning of the sequencer; the defaults suit the field practice in the domain brief.
    public struct Options: Sendable, Hashable {
        /// Re-commands after the first try before a step is failed.
        public var retries: Int
        /// Deadline of pump and output steps, which have no configured stroke time.
        public var defaultDeadline: Duration
        /// The longest an automatic trigger may be bypassed.
        public var maximumBypass: Duration
        /// A pool whose time until full drops below this escalates to the park.
        public var escalateWhenPoolFullWithin: Duration

        public init(
            retries: Int = 1, defaultDeadline: Duration = .seconds(30), maximumBypass: Duration = .seconds(4 * 3600),
            escalateWhenPoolFullWithin: Duration = .seconds(30 * 60)
        ) {
            self.retries = retries
            self.defaultDeadline = defaultDeadline
            self.maximumBypass = maximumBypass
            self.escalateWhenPoolFullWithin = escalateWhenPoolFullWithin
        }
    }

    public let options: Options
    let devices: [String: Device]

    /// Whether a trip holds. Only `reset` clears it.
    public internal(set) var isLatched = false
    /// The trips since the last reset, first-out first.
    public internal(set) var trips: [Trigger] = []
    /// The running plan: the tripped plans merged (named by all of them, see `ResponsePlan.planNames`), or an
    /// operator's restore.
    public internal(set) var plan: ResponsePlan?
    /// Step states in plan order.
    public internal(set) var steps: [StepState] = []
    /// Escalations since the last reset.
    public internal(set) var escalations: [Escalation] = []
    /// Bypasses in force.
    public internal(set) var bypasses: [Bypass] = []
    /// The automatic triggers and their running conditions.
    public internal(set) var automatic: [AutomaticTriggerState] = []

    /// Each plan device's measured state when its plan latched: the line-up a restore returns to.
    public internal(set) var lineUp: [String: LineUpEntry] = [:]
    /// The last restore's verdicts, device by device: what it moved, held and left for a decision.
    public internal(set) var lastRestore: RestorePreview?

    /// The last feedback per device; a step released later is checked against it.
    var observed: [String: ObservedState] = [:]
    var escalatedPools: Set<String> = []

    public init(config: LeveeConfig, automaticTriggers: [AutomaticTrigger] = [], options: Options = Options()) {
        self.options = options
        self.devices = Dictionary(config.devices.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.automatic = automaticTriggers.map { AutomaticTriggerState(trigger: $0) }
    }

    /// Whether an operator's restore has steps not yet settled.
    public var isRestoring: Bool {
        !isLatched && plan?.name.hasPrefix("restore:") == true && steps.contains { $0.phase == .commanded }
    }

    /// Whether the latched trip is a drill; false once any real trip has joined it.
    public var isDrill: Bool { !trips.isEmpty && trips.allSatisfy(\.drill) }

    /// Whether the plant has escalated to the park since the last reset.
    public var isEscalated: Bool { !escalations.isEmpty }

    public func state(ofStep id: String) -> StepState? { steps.first { $0.step.id == id } }

    // MARK: Trip

    /// Latches and starts the plan: every step that waits for nothing is commanded now, all in one batch.
    ///
    /// A trip while latched adds the plan's steps that are not already running (a risk unit's partial plan
    /// followed by the plant-wide one), and never re-commands what is already under way. An automatic trigger
    /// under bypass is journaled and ignored; a person's trip is never blocked.
    public mutating func trip(_ trigger: Trigger, plan: ResponsePlan, at now: ContinuousClock.Instant)
        -> [ShutoffAction]
    {
        if let id = trigger.automaticID, isBypassed(id, at: now) {
            return [.event(.tripBypassed(trigger))]
        }
        var actions: [ShutoffAction] = []
        if isLatched {
            trips.append(trigger)
            actions.append(.event(.tripAdded(trigger, plan: plan.name)))
            let known = Set(steps.map(\.step.id))
            let added = plan.steps.filter { !known.contains($0.id) }
            steps += added.map { StepState(step: $0, cause: trigger) }
            if var merged = self.plan {
                merged.steps += added
                // The name says every plan that latched, first-out first ("group:unit-a + plant-wide"): status, the
                // journal and a restart's header must not name only the first of them.
                if !merged.planNames.contains(plan.name) { merged.name += ResponsePlan.joiner + plan.name }
                self.plan = merged
            }
            recordLineUp(added)
        } else {
            // A trip during an unfinished restore keeps the line-up that restore was heading for; otherwise the
            // line-up is what the field shows now, before anything of this plan moves.
            if !isRestoring { lineUp = [:] }
            lastRestore = nil
            // Any earlier plan (a finished trip, or a restore under way) is replaced: the trip wins.
            isLatched = true
            trips = [trigger]
            // Escalations stay: one made before this trip (the plant called the park, and the park's command is
            // this trip) still stands until a reset ends it.
            self.plan = plan
            steps = plan.steps.map { StepState(step: $0, cause: trigger) }
            recordLineUp(plan.steps)
            actions.append(.event(.tripped(trigger, plan: plan.name)))
        }
        actions += release(at: now)
        return actions
    }

    // MARK: Feedback

    /// Takes what the field reports about one device; confirms steps whose target it shows, and releases the
    /// steps waiting for them.
    public mutating func feedback(device: String, observed state: ObservedState, at now: ContinuousClock.Instant)
        -> [ShutoffAction]
    {
        let previous = observed[device]
        observed[device] = state
        var actions: [ShutoffAction] = []
        var confirmedAny = false
        for i in steps.indices where steps[i].step.device == device && steps[i].phase != .waiting {
            let phase = steps[i].phase
            if state.confirms(steps[i].step.operation) {
                if phase != .confirmed {
                    actions += confirm(i, at: now)
                    confirmedAny = true
                }
            } else if phase == .confirmed && isLatched && state.hasLeft(steps[i].step.operation) {
                // Latched means held: whatever moved it, the step is live again.
                actions += reraise(i, state, at: now)
            } else if phase == .commanded && state.isLocal {
                actions += needsManualAction(i)
            } else if phase == .manualActionNeeded && !state.isLocal && previous?.isLocal == true {
                // Back in remote: the sequencer can do the step itself again.
                actions += command(i, at: now, newRun: true)
            }
        }
        if confirmedAny { actions += release(at: now) }
        return actions
    }

    /// The bus's answer to a command. A refusal is alarmed at once; the retry waits for the step's deadline so
    /// that a flapping link is not hammered.
    @discardableResult
    public mutating func commandResult(
        step id: String, acknowledged: Bool, error: String?, at now: ContinuousClock.Instant
    )
        -> [ShutoffAction]
    {
        guard let i = steps.firstIndex(where: { $0.step.id == id }) else { return [] }
        if acknowledged {
            steps[i].lastError = nil
            return []
        }
        steps[i].lastError = error ?? "not acknowledged"
        return [.alarm(.commandNotAcknowledged(step: id, device: steps[i].step.device, error: error))]
    }

    // MARK: Time

    /// Lets time pass: retries or fails overdue steps, drops expired bypasses, and completes condition delays.
    public mutating func tick(at now: ContinuousClock.Instant) -> [ShutoffAction] {
        var actions = expireBypasses(at: now)
        actions += advanceConditions(at: now)
        for i in steps.indices where steps[i].phase == .commanded {
            guard let last = steps[i].lastCommandAt, now - last >= deadline(of: steps[i].step) else { continue }
            if steps[i].runAttempts <= options.retries {
                actions += command(i, at: now, newRun: false)
            } else {
                actions += fail(i, at: now)
            }
        }
        return actions
    }

    // MARK: Escalation

    /// An operator escalates to the park.
    public mutating func escalate(by who: String, reason: String, at now: ContinuousClock.Instant) -> [ShutoffAction] {
        escalateAction(reason: reason, by: who)
    }

    /// A pool's level calls for help: escalates once per pool when it is at HH or will be full sooner than
    /// `escalateWhenPoolFullWithin`, since an overflowing accident pool sends the water on to the river.
    public mutating func poolCritical(
        pool: String, highHigh: Bool, timeUntilFull: Duration?, at now: ContinuousClock.Instant
    ) -> [ShutoffAction] {
        let soon = timeUntilFull.map { $0 < options.escalateWhenPoolFullWithin } ?? false
        guard highHigh || soon else {
            escalatedPools.remove(pool)
            return []
        }
        guard escalatedPools.insert(pool).inserted else { return [] }
        let minutes = String(Int((timeUntilFull ?? .zero).inSeconds / 60))
        let why =
            highHigh
            ? Message(.escalationPoolHighHigh, ["pool": .text(pool)])
            : Message(.escalationPoolFull, ["pool": .text(pool), "minutes": .text(minutes)])
        return escalateAction(reason: why.render(.en), message: why, by: Trigger.daemonUser)
    }

    // MARK: Internals

    func deadline(of step: PlanStep) -> Duration {
        if let d = step.deadline { return d }
        if let valve = devices[step.device]?.valveSettings {
            return .milliseconds(Int((valve.deadlineSeconds * 1000).rounded()))
        }
        return options.defaultDeadline
    }

    /// Commands every waiting step whose dependencies are all confirmed.
    mutating func release(at now: ContinuousClock.Instant) -> [ShutoffAction] {
        var actions: [ShutoffAction] = []
        let confirmed = Set(steps.filter(\.isConfirmed).map(\.step.id))
        for i in steps.indices where steps[i].phase == .waiting {
            guard steps[i].step.after.allSatisfy(confirmed.contains) else { continue }
            actions += command(i, at: now, newRun: true)
        }
        return actions
    }

    /// Sends (or resends) a step's command, unless its valve is in local mode. A device already at the target is
    /// still commanded, to hold it there, and is confirmed from the feedback already in hand.
    mutating func command(_ i: Int, at now: ContinuousClock.Instant, newRun: Bool) -> [ShutoffAction] {
        let step = steps[i].step
        let seen = observed[step.device]
        if seen?.isLocal == true {
            if let seen, seen.confirms(step.operation) {
                steps[i].commandedAt = steps[i].commandedAt ?? now
                return confirm(i, at: now) + release(at: now)
            }
            return needsManualAction(i)
        }
        if newRun {
            steps[i].runAttempts = 0
            steps[i].commandedAt = now
            steps[i].startedBeforeRestart = false
        }
        steps[i].phase = .commanded
        steps[i].attempts += 1
        steps[i].runAttempts += 1
        steps[i].lastCommandAt = now
        var actions: [ShutoffAction] = [
            .command(
                DeviceCommand(
                    step: step.id, device: step.device, command: step.operation.commandName,
                    attempt: steps[i].runAttempts, trigger: steps[i].cause ?? trips.first,
                    drill: isLatched ? isDrill : steps[i].cause?.drill ?? false))
        ]
        if let seen, seen.confirms(step.operation) {
            actions += confirm(i, at: now)
            actions += release(at: now)
        }
        return actions
    }

    mutating func confirm(_ i: Int, at now: ContinuousClock.Instant) -> [ShutoffAction] {
        steps[i].phase = .confirmed
        steps[i].confirmedAt = now
        // Never a time counted from a restart: a run begun before it has none.
        let seconds = steps[i].startedBeforeRestart ? nil : steps[i].commandedAt.map { (now - $0).inSeconds }
        steps[i].measuredSeconds = seconds
        return [.event(.stepConfirmed(step: steps[i].step.id, device: steps[i].step.device, seconds: seconds))]
    }

    /// A confirmed step whose device left its tripped state while latched: the step is commanded again, and in
    /// remote a critical alarm names the device and how it moved (Levee sent nothing). In local the command
    /// cannot go out, and the manual-action alarm says a person must put it back.
    mutating func reraise(_ i: Int, _ state: ObservedState, at now: ContinuousClock.Instant) -> [ShutoffAction] {
        let step = steps[i].step
        steps[i].phase = .commanded
        steps[i].confirmedAt = nil
        steps[i].cause = .daemon(
            from: "shutoff latch", why: "re-asserted: \(step.device) moved while shut off", cause: steps[i].cause)
        var actions: [ShutoffAction] = []
        if !state.isLocal {
            let how = "\(state.words), actuator in remote, not commanded by Levee"
            actions.append(
                .alarm(.movedWhileShutOff(step: step.id, device: step.device, operation: step.operation, how: how)))
        }
        return actions + command(i, at: now, newRun: true)
    }

    mutating func needsManualAction(_ i: Int) -> [ShutoffAction] {
        guard steps[i].phase != .manualActionNeeded else { return [] }
        steps[i].phase = .manualActionNeeded
        let step = steps[i].step
        var actions: [ShutoffAction] = [
            .alarm(.manualActionNeeded(valve: step.device, location: devices[step.device]?.location))
        ]
        if step.line == .boundary && isLatched {
            let why = Message(.escalationBoundaryLocal, ["valve": .text(step.device)])
            actions += escalateAction(reason: why.render(.en), message: why, by: Trigger.daemonUser)
        }
        return actions
    }

    mutating func fail(_ i: Int, at now: ContinuousClock.Instant) -> [ShutoffAction] {
        let step = steps[i].step
        let seconds = steps[i].commandedAt.map { (now - $0).inSeconds } ?? 0
        let allowed = deadline(of: step).inSeconds
        let why = Message(
            steps[i].startedBeforeRestart ? .stepNotConfirmedSinceRestart : .stepNotConfirmed,
            [
                "command": .text(step.operation.commandName), "device": .text(step.device),
                "seconds": .text(Message.number(seconds, decimals: 1)),
                "attempts": .text(String(steps[i].runAttempts)), "allowed": .text(Message.number(allowed, decimals: 1)),
            ])
        let reason = why.render(.en)
        steps[i].phase = .failed
        steps[i].failedReason = reason
        steps[i].measuredSeconds = steps[i].startedBeforeRestart ? nil : seconds
        var actions: [ShutoffAction] = [
            .alarm(.stepFailed(step: step.id, device: step.device, reason: reason, why: why))
        ]
        if step.line == .boundary && step.operation == .closeValve && isLatched {
            let why = Message(.escalationBoundaryFailed, ["valve": .text(step.device)])
            actions += escalateAction(reason: why.render(.en), message: why, by: Trigger.daemonUser)
        }
        return actions
    }

    mutating func escalateAction(reason: String, message: Message? = nil, by who: String) -> [ShutoffAction] {
        let escalation = Escalation(reason: reason, reasonMessage: message, by: who, drill: isLatched && isDrill)
        escalations.append(escalation)
        return [.escalate(escalation)]
    }
}

extension ShutoffSequencer.Options {
    /// The options `[defence]` gives.
    public init(settings: DefenceSettings) {
        self.init(
            retries: settings.retries, defaultDeadline: .milliseconds(Int(settings.defaultDeadlineSeconds * 1000)),
            maximumBypass: .milliseconds(Int(settings.maximumBypassHours * 3_600_000)),
            escalateWhenPoolFullWithin: .milliseconds(Int(settings.escalatePoolFullWithinMinutes * 60_000)))
    }
}
