import Config
import Foundation

/// A device's measured state, as far as a restore can return it there. Only a definite reading counts: a valve
/// travelling, in fault or unread, a pump or output unread, has no state to return to.
public enum LineUpState: String, Sendable, Hashable, Codable {
    case open, closed, running, stopped, on, off

    /// The state a reading shows, or nil when the reading is not good enough to return to.
    public init?(_ observed: ObservedState?) {
        switch observed {
        case .valve(.open, _): self = .open
        case .valve(.closed, _): self = .closed
        case .pump(running: true): self = .running
        case .pump(running: false): self = .stopped
        case .output(on: true): self = .on
        case .output(on: false): self = .off
        default: return nil
        }
    }

    /// The step operation that brings a device to this state.
    public var operation: StepOperation {
        switch self {
        case .open: .openValve
        case .closed: .closeValve
        case .running: .startPump
        case .stopped: .stopPump
        case .on: .outputOn
        case .off: .outputOff
        }
    }
}

/// One device of a latched plan as it stood when the plan latched: the normal line-up that a restore returns to.
public struct LineUpEntry: Sendable, Hashable, Codable {
    public var device: String
    /// The measured state; nil when it was not good quality, so restore leaves the device for a person to decide.
    public var state: LineUpState?
    /// What was seen, in words, when `state` is nil ("travelling", "no reading").
    public var seen: String
}

/// What a restore does to one device: shown before it runs (`--dry-run`) and kept in the snapshot afterwards.
public struct RestoreItem: Sendable, Hashable, Codable {
    public enum Disposition: String, Sendable, Hashable, Codable {
        /// Commanded back to its recorded state.
        case move
        /// Already in its recorded state: nothing is sent.
        case alreadyThere = "already-there"
        /// An outlet whose recorded state is open but a live condition says water must not go out: left closed.
        case heldClosed = "held-closed"
        /// Its state when the plan latched was not good quality: left as it is for a person to decide.
        case needsDecision = "needs-decision"
        /// Held, but an administrator opened it explicitly.
        case overridden
    }

    public var device: String
    /// The measured state now, in words ("open", "travelling", "no reading").
    public var now: String
    /// The state it returns to; nil when it needs a decision.
    public var target: LineUpState?
    public var disposition: Disposition
    /// Why it is held, or what was seen when it needs a decision.
    public var reasons: [String]
}

/// What `restore` will do, device by device, in plan order.
public struct RestorePreview: Sendable, Hashable, Codable {
    /// The plan being restored.
    public var plan: String
    public var items: [RestoreItem]
}

extension ObservedState {
    /// The reading in the words the restore preview uses.
    var words: String {
        switch self {
        case .valve(let p, let m): m == .local ? "\(p.rawValue) (local)" : p.rawValue
        case .pump(let r): r.map { $0 ? "running" : "stopped" } ?? "no reading"
        case .output(let on): on.map { $0 ? "on" : "off" } ?? "no reading"
        }
    }
}

extension ShutoffSequencer {

    /// Records the measured state of every device of `steps` not recorded yet, from the feedback in hand.
    mutating func recordLineUp(_ steps: [PlanStep]) {
        for step in steps where lineUp[step.device] == nil {
            let seen = observed[step.device]
            lineUp[step.device] = LineUpEntry(
                device: step.device, state: LineUpState(seen), seen: seen?.words ?? "no reading")
        }
    }

    /// Whether a device sends water off site: a rain or sewage outlet (a boundary valve without a role is one).
    func isOutlet(_ device: String) -> Bool {
        guard let d = devices[device], d.kind == .valve else { return false }
        switch d.valveSettings?.role ?? (d.line == .boundary ? .rainOutlet : nil) {
        case .rainOutlet, .sewageOutlet: return true
        default: return false
        }
    }

    // MARK: Restore

    /// What a restore would do now, commanding nothing: the same verdicts `restore` acts on.
    /// - Parameters:
    ///   - holds: per outlet, the live conditions that keep it closed (rain, quality alarms), from first flush and
    ///     the alarm engine; the sequencer adds its own active interlocks whose plan closes the outlet.
    ///   - overrides: outlets an administrator opens although held.
    public func restorePreview(holds: [String: [String]], overrides: Set<String> = [], isAdmin: Bool = false)
        -> Result<RestorePreview, RestoreRefusal>
    {
        guard !isLatched else { return .failure(.latched) }
        guard let tripped = plan, !tripped.name.hasPrefix("restore:") else { return .failure(.nothingToRestore) }
        if !overrides.isEmpty && !isAdmin { return .failure(.overrideNeedsAdmin) }
        let devicesInPlan = tripped.steps.map(\.device)
        if let unknown = overrides.sorted().first(where: { !devicesInPlan.contains($0) }) {
            return .failure(.notInPlan(unknown))
        }
        var items: [RestoreItem] = []
        var seen: Set<String> = []
        for step in tripped.steps where seen.insert(step.device).inserted {
            let device = step.device
            let now = observed[device]?.words ?? "no reading"
            guard let entry = lineUp[device], let target = entry.state else {
                let why = lineUp[device].map { "before the trip: \($0.seen)" } ?? "state before the trip not recorded"
                items.append(
                    RestoreItem(device: device, now: now, target: nil, disposition: .needsDecision, reasons: [why]))
                continue
            }
            if let o = observed[device], o.confirms(target.operation) {
                items.append(
                    RestoreItem(device: device, now: now, target: target, disposition: .alreadyThere, reasons: []))
                continue
            }
            let reasons = target == .open && isOutlet(device) ? holdReasons(device, holds: holds) : []
            let disposition: RestoreItem.Disposition =
                reasons.isEmpty ? .move : overrides.contains(device) ? .overridden : .heldClosed
            items.append(
                RestoreItem(device: device, now: now, target: target, disposition: disposition, reasons: reasons))
        }
        return .success(RestorePreview(plan: tripped.name, items: items))
    }

    /// The live conditions that keep an outlet closed: the caller's, then every active interlock whose plan closes it.
    func holdReasons(_ device: String, holds: [String: [String]]) -> [String] {
        var reasons = holds[device] ?? []
        for state in automatic where state.isActive {
            if state.trigger.plan.steps.contains(where: { $0.device == device && $0.operation == .closeValve }) {
                reasons.append("interlock \(state.trigger.id) active")
            }
        }
        return reasons
    }

    /// Returns the plant to the line-up recorded when the plan latched, each move confirmed by feedback like a
    /// trip. Only when not latched: a latched trip must be reset first, so nobody reopens onto a live spill.
    ///
    /// Not the plan undone: a device already where it stood before the trip is sent nothing, a device whose state
    /// was not good quality is left for a person, and an outlet that would reopen while a live condition (rain,
    /// a quality alarm, an interlock) forbids it stays closed for first flush, unless an administrator overrides
    /// it by name. Every verdict is journaled.
    /// - Parameters:
    ///   - kind, from, action: how the request came (leveectl, HTTP), from where, and its action id: every
    ///     command the restore sends carries them to the command journal.
    public mutating func restore(
        by who: String, reason: String, holds: [String: [String]], overrides: Set<String> = [],
        isAdmin: Bool = false, kind: Trigger.Kind = .leveectl, from: String = "", action: String? = nil,
        at now: ContinuousClock.Instant
    ) -> Result<[ShutoffAction], RestoreRefusal> {
        guard !isLatched else { return .failure(.latched) }
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            return .failure(.reasonRequired)
        }
        let preview: RestorePreview
        switch restorePreview(holds: holds, overrides: overrides, isAdmin: isAdmin) {
        case .success(let p): preview = p
        case .failure(let refusal): return .failure(refusal)
        }
        let lines = Dictionary(plan?.steps.map { ($0.device, $0.line) } ?? [], uniquingKeysWith: { a, _ in a })
        let moves: [PlanStep] = preview.items.compactMap { item in
            guard item.disposition == .move || item.disposition == .overridden, let target = item.target,
                let line = lines[item.device]
            else { return nil }
            return PlanStep(
                id: "restore-\(target.operation.commandName)-\(item.device)", device: item.device,
                operation: target.operation, line: line)
        }
        let wasDrill = isDrill
        trips = []
        plan = ResponsePlan(name: "restore:\(preview.plan)", steps: moves)
        // The restore after a drill is part of the drill: its commands and events say so.
        let cause = Trigger(
            kind: kind, who: who, from: from, why: "restore: \(reason)", drill: wasDrill, action: action)
        steps = moves.map { StepState(step: $0, cause: cause) }
        lastRestore = preview
        var actions: [ShutoffAction] = [
            .event(.restoreStarted(by: who, reason: reason, plan: preview.plan, cause: cause))
        ]
        for item in preview.items {
            switch item.disposition {
            case .heldClosed: actions.append(.event(.restoreHeld(device: item.device, reasons: item.reasons)))
            case .needsDecision:
                actions.append(.event(.restoreNeedsDecision(device: item.device, seen: item.reasons.joined())))
            case .overridden:
                actions.append(
                    .event(.restoreOverridden(device: item.device, by: who, reason: reason, holds: item.reasons)))
            case .move, .alreadyThere: break
            }
        }
        actions += release(at: now)
        return .success(actions)
    }
}
