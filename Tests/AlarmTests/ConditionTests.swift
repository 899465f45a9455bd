import Foundation
import Testing

@testable import Alarm

struct ConditionTests {
    let clock = FakeClock()

    /// Feeds samples once a second and returns the instants (in seconds) of every change.
    func run(
        _ condition: Condition, seconds: Int, step: Double = 1, value: (Double) -> Double?
    ) -> [(active: Bool, at: Double)] {
        var state = ConditionState(condition)
        var changes: [(Bool, Double)] = []
        var t = 0.0
        while t <= Double(seconds) {
            let v = value(t)
            for c in state.update(value: v, usable: v != nil, at: clock.at(t)) {
                changes.append((c.isActive, clock.seconds(c.at)))
            }
            t += step
        }
        return changes
    }

    @Test func deadbandStopsANoisySignalAroundTheLimitFromChattering() {
        // A slow sine of ±1.5 with ±0.5 noise, centred on the limit for ten minutes, then the value falls away.
        var noise = Noise(seed: 42)
        var samples: [Double] = []
        for t in 0...700 { samples.append((t < 600 ? 50 + 1.5 * sin(Double(t) / 10) : 40) + noise.next(0.5)) }
        let chattering = run(Condition(.high(50)), seconds: 700) { samples[Int($0)] }
        let banded = run(Condition(.high(50), deadband: 3), seconds: 700) { samples[Int($0)] }

        #expect(chattering.filter(\.active).count > 5, "without a deadband the same signal chatters")
        #expect(banded.filter(\.active).count == 1)
        #expect(banded.count == 2)
        #expect(banded.last?.active == false && banded.last!.at == 600)
    }

    @Test func onDelayFiltersASpikeAndDatesTheActivationWhenTheDelayRanOut() {
        let condition = Condition(.high(50), onDelay: .seconds(5))
        // A 3 s spike, then a real excursion from t = 20.
        let changes = run(condition, seconds: 40) { t in (10..<13).contains(t) || t >= 20 ? 60 : 40 }
        #expect(changes.count == 1)
        #expect(changes.first?.active == true)
        #expect(changes.first?.at == 25)
    }

    @Test func offDelayHoldsTheConditionThroughAShortDip() {
        let condition = Condition(.high(50), offDelay: .seconds(10))
        // Active at 0; a 5 s dip at 20 is held; the real fall at 40 clears at 50.
        let changes = run(condition, seconds: 70) { t in (20..<25).contains(t) || t >= 40 ? 30 : 60 }
        #expect(changes.map(\.active) == [true, false])
        #expect(changes.map(\.at) == [0, 50])
    }

    @Test func aSampleInTheDeadbandRestartsTheOffDelay() {
        let condition = Condition(.high(50), deadband: 5, offDelay: .seconds(10))
        // Active; below 45 from 10; back to 47 (in the band) at 15; below 45 again from 17 → clears at 27.
        let changes = run(condition, seconds: 40) { t in
            t < 10 ? 60 : t < 15 ? 40 : t < 17 ? 47 : 40
        }
        #expect(changes.map(\.at) == [0, 27])
    }

    @Test func theResultDoesNotDependOnHowOftenTimePasses() {
        var state = ConditionState(Condition(.high(50), onDelay: .seconds(5)))
        _ = state.update(value: 60, usable: true, at: clock.at(0))
        // No tick for a minute: the change is still dated when the delay ran out.
        let change = state.advance(to: clock.at(60))
        #expect(change?.isActive == true)
        #expect(change.map { clock.seconds($0.at) } == 5)
        #expect(change.map { clock.seconds($0.since) } == 0)
    }

    @Test func anUnusableValueNeitherActivatesNorClears() {
        var state = ConditionState(Condition(.high(50), onDelay: .seconds(5)))
        // Above the limit for 4 s, then the device fails: the on-delay is abandoned.
        _ = state.update(value: 60, usable: true, at: clock.at(0))
        _ = state.update(value: 60, usable: false, at: clock.at(4))
        #expect(state.advance(to: clock.at(30)) == nil)
        #expect(!state.isActive)
        // Good again: the delay starts over.
        _ = state.update(value: 60, usable: true, at: clock.at(30))
        #expect(state.advance(to: clock.at(34)) == nil)
        #expect(state.advance(to: clock.at(35))?.isActive == true)
        // A comm-fail with its last value of 0 does not clear the active condition, however long it lasts.
        _ = state.update(value: 0, usable: false, at: clock.at(40))
        _ = state.update(value: nil, usable: false, at: clock.at(400))
        #expect(state.advance(to: clock.at(1000)) == nil)
        #expect(state.isActive)
        #expect(state.lastValue == 60)
    }

    @Test func aNonFiniteValueCountsAsUnusable() {
        var state = ConditionState(Condition(.high(50)))
        #expect(state.update(value: .nan, usable: true, at: clock.at(0)).isEmpty)
        #expect(state.update(value: .infinity, usable: true, at: clock.at(1)).isEmpty)
        #expect(!state.isActive)
    }

    struct ZoneCase: Sendable, CustomStringConvertible {
        var kind: Condition.Kind
        var deadband: Double
        var trips: [Double]
        var holds: [Double]
        var clears: [Double]
        var description: String { "\(kind)" }
    }

    @Test(arguments: [
        ZoneCase(kind: .high(50), deadband: 5, trips: [50, 80], holds: [45, 49.9], clears: [44.9, 0]),
        ZoneCase(kind: .low(20), deadband: 5, trips: [20, -3], holds: [25, 20.1], clears: [25.1, 100]),
        ZoneCase(kind: .state(true), deadband: 0, trips: [1, 2], holds: [], clears: [0]),
        ZoneCase(kind: .state(false), deadband: 0, trips: [0], holds: [], clears: [1]),
    ])
    func everyKindTripsHoldsInTheDeadbandAndClears(_ c: ZoneCase) {
        let condition = Condition(c.kind, deadband: c.deadband)
        for v in c.trips { #expect(condition.zone(of: v) == .trip, "\(v)") }
        for v in c.holds { #expect(condition.zone(of: v) == .deadband, "\(v)") }
        for v in c.clears { #expect(condition.zone(of: v) == .clear, "\(v)") }
    }

    /// An accident pool: a slow fill of 0.02 m/min (rain), then accident water at 0.5 m/min from t = 300 s,
    /// read every 5 s by a level transmitter with ±5 mm of noise.
    @Test func rateOfRiseCatchesAPoolFillingFastButNotANoisySlowFill() {
        var noise = Noise(seed: 7)
        var level: [Double] = []
        for i in 0...120 {
            let t = Double(i * 5)
            let clean = 0.5 + 0.02 * t / 60 + (t > 300 ? 0.5 * (t - 300) / 60 : 0)
            level.append(clean + noise.next(0.005))
        }
        let condition = Condition(.rateOfRise(perMinute: 0.2), deadband: 0.05, rateWindow: .seconds(60))
        var state = ConditionState(condition)
        var changes: [ConditionChange] = []
        var firstRate: Double?
        for (i, v) in level.enumerated() {
            changes += state.update(value: v, usable: true, at: clock.at(Double(i * 5)))
            if firstRate == nil, let r = state.rate { firstRate = r }
            if i * 5 == 55 { #expect(state.rate == nil, "no rate before a full window") }
            if i * 5 == 300 { #expect(abs(state.rate! - 0.02) < 0.02, "the slow fill reads about 0.02 m/min") }
        }
        #expect(firstRate != nil)
        #expect(changes.count == 1)
        let at = clock.seconds(changes[0].at)
        // The slope of a 60 s window passes 0.2 m/min between 300 and 360 s.
        #expect(at > 300 && at < 360, "activated at \(at) s")
        #expect(abs(state.rate! - 0.52) < 0.03)
    }

    @Test func rateOfFallUsesAPositiveLimit() {
        let condition = Condition(.rateOfFall(perMinute: 1), rateWindow: .seconds(30))
        var state = ConditionState(condition)
        var active: [Bool] = []
        for t in stride(from: 0.0, through: 120, by: 5) {
            // Falls at 2 per minute for the first minute, then steady.
            let v = t < 60 ? 100 - 2 * t / 60 : 98
            for c in state.update(value: v, usable: true, at: clock.at(t)) { active.append(c.isActive) }
        }
        #expect(active == [true, false])
    }

    @Test func anUnusableSampleDropsTheRateHistory() {
        var state = ConditionState(Condition(.rateOfRise(perMinute: 1), rateWindow: .seconds(20)))
        for t in stride(from: 0.0, through: 20, by: 5) { _ = state.update(value: t, usable: true, at: clock.at(t)) }
        #expect(state.rate.map { abs($0 - 60) < 1e-9 } == true)
        _ = state.update(value: nil, usable: false, at: clock.at(25))
        _ = state.update(value: 500, usable: true, at: clock.at(30))
        #expect(state.rate == nil)
    }

    @Test func badConditionsAreNamed() {
        #expect(Condition(.high(.nan)).problem != nil)
        #expect(Condition(.high(1), deadband: -1).problem?.contains("deadband") == true)
        #expect(Condition(.rateOfRise(perMinute: 0)).problem?.contains("positive") == true)
        #expect(Condition(.low(1), onDelay: .seconds(-1)).problem?.contains("on-delay") == true)
        #expect(Condition(.state(true)).problem == nil)
    }
}
