import Foundation

@testable import Alarm

/// A fake clock: instants as seconds after a fixed origin, so tests never sleep.
struct FakeClock {
    let origin = ContinuousClock.now

    func at(_ seconds: Double) -> ContinuousClock.Instant { origin + .seconds(seconds) }
    func seconds(_ instant: ContinuousClock.Instant) -> Double { (instant - origin).inSeconds }
}

/// A deterministic noise source (a linear congruential generator), so a noisy signal is the same on every run.
struct Noise {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// A value in −amplitude...amplitude.
    mutating func next(_ amplitude: Double) -> Double {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let unit = Double(state >> 11) / Double(1 << 53)
        return (unit * 2 - 1) * amplitude
    }
}

extension Array where Element == AlarmAction {
    var transitions: [AlarmTransition] {
        compactMap {
            if case .transition(let t) = $0 { return t }
            return nil
        }
    }

    var annunciated: [AlarmPriority] {
        compactMap {
            if case .annunciate(let p) = $0 { return p }
            return nil
        }
    }

    var silenced: Bool {
        contains {
            if case .silence = $0 { return true }
            return false
        }
    }

    var floods: [FloodChange] {
        compactMap {
            if case .flood(let f, _) = $0 { return f }
            return nil
        }
    }
}

/// An engine and a clock, with short names for the common steps.
struct Rig {
    var engine: AlarmEngine
    let clock = FakeClock()

    init(_ definitions: [AlarmDefinition], options: AlarmEngine.Options = .init()) throws {
        engine = try AlarmEngine(definitions: definitions, options: options)
    }

    @discardableResult
    mutating func set(_ point: String, _ value: Double?, usable: Bool = true, at t: Double) -> [AlarmAction] {
        engine.update(point: point, value: value, usable: usable, at: clock.at(t))
    }

    @discardableResult
    mutating func tick(_ t: Double) -> [AlarmAction] { engine.tick(at: clock.at(t)) }

    @discardableResult
    mutating func ack(_ id: String, at t: Double) throws -> [AlarmAction] {
        try engine.acknowledge(id, user: "wang", reason: "seen", at: clock.at(t))
    }

    func state(_ id: String) -> AlarmState? { engine.status(of: id)?.state }
}

/// A plain high alarm for engine tests.
func high(
    _ id: String, point: String, limit: Double = 50, priority: AlarmPriority = .high, group: String? = nil,
    onDelay: Double = 0, suppressedBy: Suppression? = nil, frozenAfter: FrozenCheck? = nil
) -> AlarmDefinition {
    AlarmDefinition(
        id: id, point: point, condition: Condition(.high(limit), deadband: 2, onDelay: .seconds(onDelay)),
        priority: priority, message: "\(id) 高报警", group: group, suppressedBy: suppressedBy, frozenAfter: frozenAfter)
}
