import Foundation
import Messages

/// One sample of a point, as a scan hands it to the engine.
public struct PointSample: Sendable, Hashable {
    /// `<device>.<point>`, as in `AlarmDefinition.point`.
    public var point: String
    public var value: Double?
    /// Whether the value is a current measurement (the reading's quality is good).
    public var usable: Bool

    public init(point: String, value: Double?, usable: Bool) {
        self.point = point
        self.value = value
        self.usable = usable
    }
}

/// The alarm engine: ISA-18.2 states for every configured and every device-health alarm, as a plain value.
///
/// Each event is a `mutating func` that returns the actions the caller must perform (journal a transition,
/// sound or silence the sirens, report a flood), in the style of the other state machines in Levee: no clock, no
/// threads, no I/O, so every behaviour is tested as values with a fake clock. Time comes in as
/// `ContinuousClock.Instant`; wall-clock dates appear only in the snapshot, where they must survive a restart.
///
/// How an alarm moves:
/// - Its condition coming true makes it unacknowledged (and annunciates); clearing makes an unacknowledged alarm
///   returned-unacknowledged and an acknowledged one normal. Acknowledging a returned-unacknowledged alarm makes
///   it normal.
/// - Shelved, suppressed by design and out of service hide it; the condition is still evaluated underneath. When
///   the last of them lifts, the alarm takes the state its condition implies: unacknowledged (annunciated again)
///   if active, normal if not. Out of service outranks shelved, which outranks suppressed.
/// - Within one event, a hiding takes effect before the condition changes of that event and a lifting after
///   them, so "pump stopped" and "low flow" arriving in one scan never sound the low-flow alarm.
public struct AlarmEngine: Sendable {
    /// Engine-wide settings.
    public struct Options: Sendable, Hashable {
        public var health: HealthPolicy
        public var flood: FloodPolicy
        /// The longest shelve an operator may ask for (ISA-18.2 wants shelving time-limited); nil: no limit.
        public var maximumShelve: Duration?

        public init(
            health: HealthPolicy = HealthPolicy(), flood: FloodPolicy = FloodPolicy(),
            maximumShelve: Duration? = .seconds(8 * 3600)
        ) {
            self.health = health
            self.flood = flood
            self.maximumShelve = maximumShelve
        }
    }

    /// An operator's action that still shapes an alarm's state.
    struct Note: Sendable, Hashable {
        var user: String
        var reason: String?
        var at: ContinuousClock.Instant
    }

    struct Shelf: Sendable, Hashable {
        var until: ContinuousClock.Instant
        var note: Note
    }

    /// Everything the engine knows about one alarm.
    struct Record: Sendable {
        let id: String
        let point: String
        var priority: AlarmPriority
        /// The operator's text: a configured alarm's own text (`Message.literal`), or a health alarm's message.
        var text: Message
        /// `text` as the journal's text column stores it (English; see `AlarmTransition.message`).
        var message: String { text.render(.en) }
        let group: String?
        let suppression: Suppression?
        let health: HealthCondition?
        /// The evaluator of a configured alarm; nil for a health alarm, whose condition is reported.
        var condition: ConditionState?
        /// The condition as far as this alarm has applied it (it may lag `condition` within one event).
        var conditionActive = false
        /// The ISA state ignoring the hiding states; meaningful only while not hidden.
        var base: AlarmState = .normal
        var suppressed = false
        /// When a suppression whose source ended lifts (its `holdAfter`).
        var suppressionEndsAt: ContinuousClock.Instant?
        var shelf: Shelf?
        var outOfService: Note?
        var acknowledged: Note?
        var firstOut = false
        var value: Double?
        var activatedAt: ContinuousClock.Instant?
        var since: ContinuousClock.Instant?

        var state: AlarmState {
            outOfService != nil ? .outOfService : shelf != nil ? .shelved : suppressed ? .suppressedByDesign : base
        }
        var isHidden: Bool { outOfService != nil || shelf != nil || suppressed }
    }

    struct Group: Sendable, Hashable {
        var members: [Int] = []
        /// Whether the next activation in the group will be marked first-out.
        var armed = true
        var firstOut: String?
    }

    public let options: Options
    var records: [Record] = []
    var index: [String: Int] = [:]
    var alarmsOnPoint: [String: [Int]] = [:]
    var frozen: [String: FrozenDetector] = [:]
    var frozenOrder: [String] = []
    /// Points a suppression reads, and their last usable state.
    var watchedStates: Set<String> = []
    var pointStates: [String: Bool] = [:]
    var groups: [String: Group] = [:]
    var groupOrder: [String] = []
    var suppressible: [Int] = []
    var flood: FloodMeter
    /// The priorities whose sirens are sounding: annunciated and not yet silenced.
    public internal(set) var sounding: Set<AlarmPriority> = []

    /// Suffixes of the ids the engine gives device-health alarms; a configured alarm may not use them.
    static let reservedSuffixes = HealthCondition.Kind.allCases.filter { $0 != .historianFault }.map {
        "." + $0.rawValue
    }

    /// Builds the engine for a set of definitions, checking them as a configuration.
    /// - Throws: `AlarmConfigurationError` naming the first alarm that breaks a rule.
    public init(definitions: [AlarmDefinition], options: Options = Options()) throws(AlarmConfigurationError) {
        self.options = options
        self.flood = FloodMeter(policy: options.flood)
        var frozenBy: [String: (alarm: String, check: FrozenCheck)] = [:]
        for d in definitions {
            try Self.check(d, known: index)
            if let f = d.frozenAfter {
                if let other = frozenBy[d.point], other.check != f {
                    throw AlarmConfigurationError(
                        alarm: d.id,
                        problem: "frozenAfter differs from alarm \"\(other.alarm)\" on the same point \"\(d.point)\"")
                }
                if frozenBy[d.point] == nil {
                    frozenBy[d.point] = (d.id, f)
                    frozen[d.point] = FrozenDetector(f)
                    frozenOrder.append(d.point)
                }
            }
            let i = records.count
            index[d.id] = i
            records.append(
                Record(
                    id: d.id, point: d.point, priority: d.priority, text: .literal(d.message), group: d.group,
                    suppression: d.suppressedBy, health: nil, condition: ConditionState(d.condition)))
            alarmsOnPoint[d.point, default: []].append(i)
            if let g = d.group {
                if groups[g] == nil { groupOrder.append(g) }
                groups[g, default: Group()].members.append(i)
            }
            if let s = d.suppressedBy {
                suppressible.append(i)
                if case .pointState(let p, _) = s.source { watchedStates.insert(p) }
            }
        }
        for i in suppressible {
            if case .alarm(let source) = records[i].suppression!.source {
                if index[source] == nil {
                    throw AlarmConfigurationError(
                        alarm: records[i].id, problem: "suppressedBy names unknown alarm \"\(source)\"")
                }
                if source == records[i].id {
                    throw AlarmConfigurationError(alarm: records[i].id, problem: "suppressedBy names the alarm itself")
                }
            }
        }
    }

    private static func check(_ d: AlarmDefinition, known: [String: Int]) throws(AlarmConfigurationError) {
        func fail(_ problem: String) -> AlarmConfigurationError {
            AlarmConfigurationError(alarm: d.id, problem: problem)
        }
        if d.id.trimmingCharacters(in: .whitespaces).isEmpty { throw fail("id is empty") }
        if known[d.id] != nil { throw fail("id is used twice") }
        if d.id == "historian.fault" || reservedSuffixes.contains(where: { d.id.hasSuffix($0) }) {
            throw fail("ids ending in \(reservedSuffixes.joined(separator: ", ")) are kept for device-health alarms")
        }
        if d.point.trimmingCharacters(in: .whitespaces).isEmpty { throw fail("point is empty") }
        if d.message.trimmingCharacters(in: .whitespaces).isEmpty { throw fail("message is empty") }
        if let problem = d.condition.problem { throw fail("condition: \(problem)") }
        if let f = d.frozenAfter {
            if f.after <= .zero { throw fail("frozenAfter.after must be longer than zero") }
            if !(f.noiseBand.isFinite && f.noiseBand >= 0) { throw fail("frozenAfter.noiseBand must be zero or more") }
        }
        if let s = d.suppressedBy {
            if s.holdAfter < .zero { throw fail("suppressedBy.holdAfter is negative") }
            if case .pointState(let p, _) = s.source, p.trimmingCharacters(in: .whitespaces).isEmpty {
                throw fail("suppressedBy names an empty point")
            }
        }
    }

    // MARK: - Process events

    /// One point's sample: a scan of one.
    public mutating func update(
        point: String, value: Double?, usable: Bool, at now: ContinuousClock.Instant
    ) -> [AlarmAction] {
        scan([PointSample(point: point, value: value, usable: usable)], at: now)
    }

    /// A batch of samples taken at one instant, such as one poll cycle: the unit of first-out.
    ///
    /// Alarms of one group that come in within one scan compete for first-out: the one whose condition became
    /// active first wins, by the instant its on-delay ran out (`ConditionChange.at`); on a tie, the one whose
    /// sample comes first in the batch, then the one defined first.
    public mutating func scan(_ samples: [PointSample], at now: ContinuousClock.Instant) -> [AlarmAction] {
        var scan = Scan(now: now)
        var changes: [Scan.Change] = []
        var thaws: [(HealthCondition, Bool, ContinuousClock.Instant)] = []
        for s in samples {
            let usable = s.usable && s.value?.isFinite == true
            if watchedStates.contains(s.point) { pointStates[s.point] = usable ? s.value! != 0 : nil }
            for i in alarmsOnPoint[s.point] ?? [] {
                if usable { records[i].value = s.value }
                for c in records[i].condition!.update(value: s.value, usable: usable, at: now) {
                    changes.append(Scan.Change(alarm: i, change: c, order: scan.nextOrder()))
                }
            }
            if frozen[s.point] != nil {
                for f in frozen[s.point]!.update(value: s.value, usable: usable, at: now) {
                    thaws.append((.frozen(point: s.point), f.frozen, f.at))
                }
            }
        }
        settle(changes, health: thaws, scan: &scan)
        return finish(&scan)
    }

    /// Lets time pass: on- and off-delays and frozen-value timers that ran out, suppression hold times, shelve
    /// expiries, and the sliding flood window. Call it about once a second; the result does not depend on how
    /// often, because delays are dated when they ran out.
    public mutating func tick(at now: ContinuousClock.Instant) -> [AlarmAction] {
        var scan = Scan(now: now)
        var changes: [Scan.Change] = []
        for i in records.indices {
            if let c = records[i].condition?.advance(to: now) {
                changes.append(Scan.Change(alarm: i, change: c, order: scan.nextOrder()))
            }
        }
        var freezes: [(HealthCondition, Bool, ContinuousClock.Instant)] = []
        for p in frozenOrder {
            if let f = frozen[p]!.advance(to: now) { freezes.append((.frozen(point: p), f.frozen, f.at)) }
        }
        settle(changes, health: freezes, scan: &scan)
        for i in records.indices {
            guard let shelf = records[i].shelf, now >= shelf.until else { continue }
            changeVisibility(i, event: .shelveExpired, at: shelf.until, scan: &scan) { $0.shelf = nil }
        }
        return finish(&scan)
    }

    /// A device-health condition reported by the daemon; the engine makes an alarm of it on first report.
    /// - Parameters:
    ///   - detail: added to the condition's title after a dash, such as the failing request.
    ///   - text: the whole text instead of the title, for a condition whose reporter says it better (the shutoff's
    ///     "manual action needed at sewage-outlet (污水总排口): the valve is in local mode"), so nothing is said twice.
    ///   - measured: for a valve that failed to move, how long it was given; shown in the message and kept as the
    ///     alarm's value in seconds.
    public mutating func health(
        _ condition: HealthCondition, active: Bool, detail: Message? = nil, text: Message? = nil,
        measured: Duration? = nil, at now: ContinuousClock.Instant
    ) -> [AlarmAction] {
        var scan = Scan(now: now)
        applyHealth(condition, active: active, detail: detail, text: text, measured: measured, at: now, scan: &scan)
        return finish(&scan)
    }

    // MARK: - Internals shared by the events

    /// What one event collects before it is turned into actions.
    struct Scan {
        struct Change {
            var alarm: Int
            var change: ConditionChange
            /// Batch order, then definition order: the first-out tie-break.
            var order: Int
        }
        struct Pending {
            var transition: AlarmTransition
            var order: Int
        }
        let now: ContinuousClock.Instant
        private var counter = 0
        var pending: [Pending] = []
        /// Indices into `pending` of activations that may be first-out, with their group.
        var candidates: [(group: String, pending: Int)] = []
        var annunciate: Set<AlarmPriority> = []

        init(now: ContinuousClock.Instant) { self.now = now }

        mutating func nextOrder() -> Int {
            counter += 1
            return counter
        }
    }

    /// Applies one event's condition and health changes with the suppressions they imply, in the order that
    /// keeps a suppressed alarm silent: hide, then change, then lift.
    mutating func settle(
        _ changes: [Scan.Change], health: [(HealthCondition, Bool, ContinuousClock.Instant)], scan: inout Scan
    ) {
        var lifting: [(Int, ContinuousClock.Instant)] = []
        for i in suppressible {
            guard let want = wantsSuppression(i, at: scan.now) else { continue }
            if want, !records[i].suppressed {
                changeVisibility(i, event: .suppressed, at: scan.now, scan: &scan) { $0.suppressed = true }
            } else if !want, records[i].suppressed {
                lifting.append((i, records[i].suppressionEndsAt ?? scan.now))
            }
        }
        let ordered = changes.sorted { ($0.change.at, $0.order) < ($1.change.at, $1.order) }
        for c in ordered {
            applyCondition(c.alarm, active: c.change.isActive, at: c.change.at, order: c.order, scan: &scan)
        }
        for (condition, active, at) in health {
            applyHealth(condition, active: active, detail: nil, text: nil, measured: nil, at: at, scan: &scan)
        }
        for (i, at) in lifting {
            records[i].suppressionEndsAt = nil
            changeVisibility(i, event: .unsuppressed, at: at, scan: &scan) { $0.suppressed = false }
        }
    }

    /// Whether alarm `i` should be suppressed now; nil when its source cannot be known (the state is kept).
    private mutating func wantsSuppression(_ i: Int, at now: ContinuousClock.Instant) -> Bool? {
        guard let s = records[i].suppression else { return nil }
        let sourceActive: Bool?
        switch s.source {
        case .alarm(let id):
            let j = index[id]!
            sourceActive = records[j].condition?.isActive ?? records[j].conditionActive
        case .pointState(let point, let state):
            sourceActive = pointStates[point].map { $0 == state }
        }
        guard let active = sourceActive else { return nil }
        if active {
            records[i].suppressionEndsAt = nil
            return true
        }
        guard records[i].suppressed else { return false }
        if records[i].suppressionEndsAt == nil { records[i].suppressionEndsAt = now + s.holdAfter }
        return now < records[i].suppressionEndsAt!
    }

    /// Applies a condition change to alarm `i`: a visible activation or clear, or nothing while it is hidden.
    mutating func applyCondition(
        _ i: Int, active: Bool, at: ContinuousClock.Instant, order: Int, scan: inout Scan
    ) {
        records[i].conditionActive = active
        guard !records[i].isHidden else { return }
        let from = records[i].base
        if active {
            guard from == .normal || from == .returnedUnacknowledged else { return }
            records[i].base = .unacknowledged
            raise(i, at: at, scan: &scan)
            let k = emit(i, from: from, event: .activated, at: at, order: order, scan: &scan)
            if let g = records[i].group { scan.candidates.append((g, k)) }
        } else {
            switch from {
            case .unacknowledged: records[i].base = .returnedUnacknowledged
            case .acknowledged: records[i].base = .normal
            default: return
            }
            records[i].acknowledged = nil
            emit(i, from: from, event: .cleared, at: at, order: order, scan: &scan)
        }
    }

    /// Applies a health report, making the alarm on the first active report.
    mutating func applyHealth(
        _ condition: HealthCondition, active: Bool, detail: Message?, text: Message?, measured: Duration?,
        at: ContinuousClock.Instant, scan: inout Scan
    ) {
        let id = condition.alarmID
        let i: Int
        if let known = index[id] {
            i = known
        } else {
            guard active else { return }
            i = records.count
            index[id] = i
            records.append(
                Record(
                    id: id, point: condition.subject, priority: options.health.priority(of: condition.kind),
                    text: condition.title(measured: nil), group: nil, suppression: nil, health: condition,
                    condition: nil))
        }
        if active {
            records[i].text = text ?? Self.healthMessage(condition, detail: detail, measured: measured)
            if let measured { records[i].value = measured.inSeconds }
        }
        guard records[i].conditionActive != active else { return }
        applyCondition(i, active: active, at: at, order: scan.nextOrder(), scan: &scan)
    }

    /// The operator's text for a health alarm, such as "阀门未到位：valve-a-rain，实测 45.2 s" (zh-CN) or "Valve
    /// failed to move: valve-a-rain, measured 45.2 s" (en), with the detail after a dash.
    static func healthMessage(_ condition: HealthCondition, detail: Message?, measured: Duration?) -> Message {
        condition.title(measured: measured).with(detail: detail)
    }

    /// Changes what hides alarm `i` and journals the visible change; when nothing hides it any more it takes the
    /// state its condition implies, unacknowledged (and annunciated) if active.
    mutating func changeVisibility(
        _ i: Int, event: AlarmEvent, at: ContinuousClock.Instant, user: String? = nil, reason: String? = nil,
        always: Bool = false, scan: inout Scan, _ body: (inout Record) -> Void
    ) {
        let from = records[i].state
        let wasHidden = records[i].isHidden
        body(&records[i])
        if wasHidden, !records[i].isHidden {
            records[i].acknowledged = nil
            records[i].base = records[i].conditionActive ? .unacknowledged : .normal
            if records[i].conditionActive { raise(i, at: at, scan: &scan) }
        }
        guard always || records[i].state != from else { return }
        emit(i, from: from, event: event, at: at, user: user, reason: reason, order: scan.nextOrder(), scan: &scan)
    }

    /// Bookkeeping for an alarm that just became unacknowledged: a new episode, a siren, one more for the flood.
    private mutating func raise(_ i: Int, at: ContinuousClock.Instant, scan: inout Scan) {
        records[i].activatedAt = at
        scan.annunciate.insert(records[i].priority)
        sounding.insert(records[i].priority)
        flood.record(at)
    }

    /// Queues the transition of alarm `i` into its current state; returns its index in `scan.pending`.
    @discardableResult
    mutating func emit(
        _ i: Int, from: AlarmState, event: AlarmEvent, at: ContinuousClock.Instant, user: String? = nil,
        reason: String? = nil, order: Int, scan: inout Scan
    ) -> Int {
        records[i].since = at
        let r = records[i]
        let t = AlarmTransition(
            alarm: r.id, point: r.point, priority: r.priority, from: from, to: r.state, event: event, value: r.value,
            at: at, user: user, reason: reason, firstOut: r.firstOut, text: r.text)
        scan.pending.append(Scan.Pending(transition: t, order: order))
        return scan.pending.count - 1
    }

    /// Turns a finished event into actions: first-out, group re-arming, automatic silence, flood.
    mutating func finish(_ scan: inout Scan) -> [AlarmAction] {
        markFirstOut(&scan)
        var actions = scan.pending
            .sorted { ($0.transition.at, $0.order) < ($1.transition.at, $1.order) }
            .map { AlarmAction.transition($0.transition) }
        actions += scan.annunciate.sorted().map { .annunciate($0) }
        if !sounding.isEmpty, !records.contains(where: { $0.state.isAwaitingAcknowledgement }) {
            sounding = []
            actions.append(.silence(user: nil))
        }
        if let f = flood.evaluate(at: scan.now) { actions.append(f) }
        return actions
    }

    /// Marks the first-out of each armed group that had activations in this event, and re-arms groups that are
    /// back to all normal.
    ///
    /// Only visible activations compete: an alarm hidden by shelving or suppression is not what the operator
    /// sees trip first, and an alarm revealed when its shelve ends did not trip at that moment.
    private mutating func markFirstOut(_ scan: inout Scan) {
        for g in groupOrder {
            guard groups[g]!.armed else { continue }
            let mine = scan.candidates.filter { $0.group == g }.map(\.pending)
            let best = mine.min {
                let a = scan.pending[$0]
                let b = scan.pending[$1]
                return (a.transition.at, a.order) < (b.transition.at, b.order)
            }
            guard let best else { continue }
            let alarm = scan.pending[best].transition.alarm
            records[index[alarm]!].firstOut = true
            groups[g]!.firstOut = alarm
            groups[g]!.armed = false
            for k in scan.pending.indices where scan.pending[k].transition.alarm == alarm && k >= best {
                scan.pending[k].transition.firstOut = true
            }
        }
        rearmGroups()
    }

    /// A group whose alarms are all off the summary (normal, or hidden) is armed for a new first-out; one with
    /// an alarm on the summary is not, even if that alarm came in without being marked.
    mutating func rearmGroups() {
        for g in groupOrder {
            let up = groups[g]!.members.contains { records[$0].state.isOnSummary }
            if groups[g]!.armed, up {
                groups[g]!.armed = false
            } else if !groups[g]!.armed, !up {
                groups[g]!.armed = true
                groups[g]!.firstOut = nil
                for m in groups[g]!.members { records[m].firstOut = false }
            }
        }
    }
}
