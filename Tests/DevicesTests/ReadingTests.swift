import Foundation
import Testing

@testable import Devices

/// Quality as time passes, on values with a fake clock.
struct ReadingTests {
    let t0 = ContinuousClock.now

    func reading(_ quality: Quality, readAt: ContinuousClock.Instant?) -> Reading {
        Reading(
            device: "gas-a1", point: "concentration", value: 12.5, quality: quality, readAt: Date(),
            readAtInstant: readAt, updatedAt: Date())
    }

    @Test func aGoodValueNotRefreshedForThreePollPeriodsIsStale() {
        let poll = Duration.milliseconds(1000)
        let r = reading(.good, readAt: t0)
        #expect(r.aged(at: t0 + poll * 3, staleAfter: poll * 3).quality == .good)
        let old = r.aged(at: t0 + poll * 3 + .milliseconds(1), staleAfter: poll * 3)
        #expect(old.quality == .stale)
        #expect(old.value == 12.5)  // kept for context
        #expect(old.state == nil)  // but not usable as current
    }

    @Test func aBadQualityIsNeverTurnedIntoStale() {
        for q in [Quality.commFail, .badConfig, .initial] {
            #expect(reading(q, readAt: t0).aged(at: t0 + .seconds(60), staleAfter: .seconds(3)).quality == q)
        }
        #expect(reading(.good, readAt: nil).aged(at: t0 + .seconds(60), staleAfter: .seconds(3)).quality == .good)
    }

    @Test func onlyAGoodDigitalReadingHasAState() {
        var r = reading(.good, readAt: t0)
        r.value = 1
        #expect(r.state == true)
        r.quality = .outOfRange
        #expect(r.state == nil)
    }
}
