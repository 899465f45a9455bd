import Config
import Foundation

/// Where a valve is, as measured by its limit switches. Never inferred from what was commanded.
public enum ValvePosition: String, Sendable, Hashable, CustomStringConvertible {
    case open
    case closed
    /// Neither limit, for less than the allowed stroke time.
    case travelling
    /// Both limits at once (a switch or wiring fault), or neither for longer than the allowed stroke time.
    case fault
    /// The feedback is not usable (comm-fail, stale, never read): the position is not known.
    case unknown

    public var description: String { rawValue }
}

/// The hand/auto selector (手自一体): only in remote mode does a valve obey remote commands.
public enum ValveMode: String, Sendable, Hashable, CustomStringConvertible {
    case remote
    case local
    case unknown

    public var description: String { rawValue }
}

/// An end position a valve can be commanded to.
public enum ValveTarget: String, Sendable, Hashable, CustomStringConvertible {
    case open
    case closed

    public var description: String { rawValue }
    /// The command name that drives a valve here.
    public var commandName: String { self == .open ? "open" : "close" }

    /// The target a command name drives a valve to; nil for "stop" and any other command.
    public init?(command: String) {
        switch command {
        case "open": self = .open
        case "close": self = .closed
        default: return nil
        }
    }
    var position: ValvePosition { self == .open ? .open : .closed }
}

/// One movement of a valve, commanded or not, with its measured time: the proof-test evidence of a drill.
public struct StrokeRecord: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        /// Reached the end position; `seconds` is the measured time.
        case reached
        /// Reached the end position, but the movement began where Levee did not see it start (already travelling
        /// when leveed started, or reversed mid-travel): its time is not measured, and `seconds` means nothing.
        case reachedUntimed
        /// Did not reach it within the allowed time; `seconds` is how long it was given.
        case failed(reason: String)
        /// Was already there when commanded.
        case alreadyThere
    }

    public var valve: String
    public var target: ValveTarget
    /// Whether Levee commanded it (false: moved by hand or by another system).
    public var commanded: Bool
    /// Who commanded it, from where and why; nil for a movement Levee did not command.
    public var origin: CommandOrigin? = nil
    public var startedAt: Date
    public var seconds: Double
    public var outcome: Outcome

    /// The stroke time as measured, or nil when there is none: already there, or the start was not seen.
    public var measuredSeconds: Double? {
        switch outcome {
        case .reached, .failed: seconds
        case .reachedUntimed, .alreadyThere: nil
        }
    }
}

/// What changed, for the caller to log, store or alarm on.
public enum ValveEvent: Sendable, Hashable {
    case positionChanged(from: ValvePosition, to: ValvePosition)
    case modeChanged(from: ValveMode, to: ValveMode)
    case faultBitChanged(Bool)
    case movementFinished(StrokeRecord)
}

/// The live state of one valve.
public struct ValveStatus: Sendable, Hashable {
    public var valve: String
    public var position: ValvePosition
    public var mode: ValveMode
    /// The actuator's own fault output (torque trip etc.); nil when the valve has no fault point or it is unreadable.
    public var faultBit: Bool?
    /// The movement Levee is waiting on, if any.
    public var pendingTarget: ValveTarget?
    /// The last "failed to open/close" fault, cleared by the next successful movement.
    public var movementFault: String?
    public var lastMovement: StrokeRecord?
}

/// Derives a valve's position from its limit switches and verifies commanded movements against the stroke time.
///
/// A pure value: feed it feedback and commands with the time they happened, and it returns what changed.
/// "Commanded closed" is never "closed": only the closed limit switch makes it so.
public struct ValveTracker: Sendable {
    public let valve: String
    public let strokeSeconds: Double
    public let deadlineSeconds: Double

    private var openLimit: Bool?
    private var closedLimit: Bool?
    private var remote: Bool?
    private var faultBit: Bool?
    private var usable = false
    private var position: ValvePosition = .unknown
    private var mode: ValveMode = .unknown
    /// When the valve was last seen leaving an end position (start of an uncommanded movement) or when neither
    /// limit was first seen.
    private var leftLimitAt: (instant: ContinuousClock.Instant, date: Date, from: ValvePosition)?
    private var neitherSince: ContinuousClock.Instant?
    private var pending: (target: ValveTarget, at: ContinuousClock.Instant, date: Date, origin: CommandOrigin?)?
    /// When the commanded stroke under way began: its first command from the other end, or the moment it was seen
    /// leaving that end. A retry keeps it, so a stroke is never timed from a later command; nil when the start was
    /// not seen (the valve was mid-travel when leveed started), and the stroke is then not measured.
    private var strokeStart: (at: ContinuousClock.Instant, target: ValveTarget)?
    private var movementFault: String?
    private var lastMovement: StrokeRecord?

    public init(valve: String, settings: ValveSettings) {
        self.valve = valve
        self.strokeSeconds = settings.strokeSeconds
        self.deadlineSeconds = settings.deadlineSeconds
    }

    public var status: ValveStatus {
        ValveStatus(
            valve: valve, position: position, mode: mode, faultBit: usable ? faultBit : nil,
            pendingTarget: pending?.target, movementFault: movementFault, lastMovement: lastMovement)
    }

    /// New feedback from a poll. Each argument is nil when the point is absent or its reading is not usable.
    /// - Parameters:
    ///   - usable: whether both limit switches were read with good quality.
    ///   - remote: true for remote, false for local; nil if the valve has no selector point or it is unreadable.
    public mutating func feedback(
        openLimit: Bool?, closedLimit: Bool?, remote: Bool?, fault: Bool?,
        at now: ContinuousClock.Instant, date: Date
    ) -> [ValveEvent] {
        var events: [ValveEvent] = []
        self.openLimit = openLimit
        self.closedLimit = closedLimit
        usable = openLimit != nil && closedLimit != nil
        let newMode: ValveMode = remote.map { $0 ? .remote : .local } ?? .unknown
        if newMode != mode {
            events.append(.modeChanged(from: mode, to: newMode))
            mode = newMode
        }
        self.remote = remote
        if let fault, fault != faultBit { events.append(.faultBitChanged(fault)) }
        faultBit = fault
        events += reevaluate(at: now, date: date)
        return events
    }

    /// Records that a move was commanded (the write was acknowledged by the device) at `now`.
    public mutating func commanded(
        _ target: ValveTarget, at now: ContinuousClock.Instant, date: Date, origin: CommandOrigin? = nil
    ) -> [ValveEvent] {
        if position == target.position {
            let record = StrokeRecord(
                valve: valve, target: target, commanded: true, origin: origin, startedAt: date, seconds: 0,
                outcome: .alreadyThere)
            pending = nil
            return [.movementFinished(record)]
        }
        pending = (target, now, date, origin)
        let other: ValvePosition = target == .open ? .closed : .open
        if position == other {
            // Still at the other end (a retry of a command it did not obey included): the stroke starts now.
            strokeStart = (now, target)
        } else if strokeStart?.target == target {
            // A retry of the stroke under way: it is still timed from its start.
        } else if position == .travelling, let left = leftLimitAt, left.from == other {
            // Already on its way from the other end (another command, or another master): timed from leaving it.
            strokeStart = (left.instant, target)
        } else {
            strokeStart = nil
        }
        return []
    }

    /// Checks the stroke-time deadline of a pending move and the "neither limit for too long" fault.
    public mutating func tick(at now: ContinuousClock.Instant, date: Date) -> [ValveEvent] {
        var events = reevaluate(at: now, date: date)
        if let p = pending, (now - p.at).inSeconds > deadlineSeconds {
            let elapsed = (now - p.at).inSeconds
            let verb = p.target == .closed ? "close" : "open"
            let seen: String
            switch position {
            case .open, .closed: seen = "still \(position)"
            case .travelling,
                .fault where openLimit == false && closedLimit == false:
                seen = "stopped between limits"
            case .fault: seen = "limit switch fault"
            default: seen = "feedback lost"
            }
            let reason = String(
                format: "failed to %@: %@ after %.1f s (allowed %.1f s)", verb, seen, elapsed, deadlineSeconds)
            let record = StrokeRecord(
                valve: valve, target: p.target, commanded: true, origin: p.origin, startedAt: p.date, seconds: elapsed,
                outcome: .failed(reason: reason))
            movementFault = reason
            lastMovement = record
            pending = nil
            events.append(.movementFinished(record))
        }
        return events
    }

    private mutating func reevaluate(at now: ContinuousClock.Instant, date: Date) -> [ValveEvent] {
        var events: [ValveEvent] = []
        let new: ValvePosition
        if !usable {
            new = .unknown
            neitherSince = nil
        } else {
            switch (openLimit!, closedLimit!) {
            case (true, false):
                new = .open
                neitherSince = nil
            case (false, true):
                new = .closed
                neitherSince = nil
            case (true, true):
                // Both limits at once cannot happen mechanically: a switch or its wiring is broken.
                new = .fault
                neitherSince = nil
            case (false, false):
                let since = neitherSince ?? now
                neitherSince = since
                new = (now - since).inSeconds > deadlineSeconds ? .fault : .travelling
            }
        }
        guard new != position else { return events }
        let old = position
        position = new
        events.append(.positionChanged(from: old, to: new))
        if old == .open || old == .closed {
            leftLimitAt = (now, date, old)
            // Commanded before its first reading (at start-up): the stroke is timed from leaving the end.
            if let p = pending, p.target.position != old, strokeStart?.target != p.target {
                strokeStart = (now, p.target)
            }
        }
        if new == .open || new == .closed {
            let target: ValveTarget = new == .open ? .open : .closed
            if let p = pending, p.target == target {
                let start = strokeStart?.target == target ? strokeStart?.at : nil
                let record = StrokeRecord(
                    valve: valve, target: target, commanded: true, origin: p.origin, startedAt: p.date,
                    seconds: start.map { (now - $0).inSeconds } ?? 0, outcome: start == nil ? .reachedUntimed : .reached
                )
                lastMovement = record
                movementFault = nil
                pending = nil
                events.append(.movementFinished(record))
            } else if let left = leftLimitAt, left.from != new {
                // Moved end to end without a command from us: by hand, locally, or by another system.
                let record = StrokeRecord(
                    valve: valve, target: target, commanded: false, startedAt: left.date,
                    seconds: (now - left.instant).inSeconds, outcome: .reached)
                lastMovement = record
                events.append(.movementFinished(record))
            }
            leftLimitAt = nil
            strokeStart = nil
        }
        return events
    }

}
