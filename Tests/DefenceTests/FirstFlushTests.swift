import Testing

@testable import Defence

struct FirstFlushTests {
    let at = Fixture.at
    let minute = 60.0

    func controller() -> FirstFlushController {
        FirstFlushController(
            outlet: "outlet-1", poolInlet: "ff-inlet",
            settings: .init(
                amountMM: 20, rainingTime: .seconds(15 * 60), t1: .seconds(5 * 60), t3: .seconds(30 * 60),
                t2: .seconds(6 * 3600)))
    }

    @Test func cycleWithDryPeriods() {
        var ff = controller()
        #expect(
            ff.commands(for: .divert) == [
                .init(device: "outlet-1", command: "close"), .init(device: "ff-inlet", command: "open"),
            ])
        _ = ff.waterQuality(ok: true, at: at(0))
        #expect(ff.rain(true, at: at(0)) == [.divert])
        // 15 min of rain reaches the set time; 5 min (t1) more, then release.
        #expect(ff.tick(at: at(15 * minute)).isEmpty)
        #expect(ff.tick(at: at(19.9 * minute)).isEmpty)
        #expect(ff.tick(at: at(20 * minute)) == [.release])
        // Dry for 10 min, rain back within t3: not diverted again.
        _ = ff.rain(false, at: at(30 * minute))
        #expect(ff.rain(true, at: at(40 * minute)).isEmpty)
        // Dry for 1 h (between t3 and t2): diverted again, for t1.
        _ = ff.rain(false, at: at(50 * minute))
        #expect(ff.rain(true, at: at(110 * minute)) == [.divert])
        #expect(ff.tick(at: at(115 * minute)) == [.release])
        // Dry beyond t2: the cycle ends, and the next rain is a new cycle with the full first flush.
        _ = ff.rain(false, at: at(120 * minute))
        _ = ff.tick(at: at(120 * minute + 6 * 3600))
        #expect(!ff.inCycle)
        #expect(ff.rain(true, at: at(600 * minute)) == [.divert])
        #expect(ff.tick(at: at(605 * minute)).isEmpty)
    }

    @Test func amountReachedFirstAndBadWaterStaysDiverted() {
        var ff = controller()
        _ = ff.rain(true, at: at(0))
        _ = ff.rainfall(mm: 20, at: at(4 * minute))
        #expect(ff.tick(at: at(9 * minute)).isEmpty)  // quality unknown: never release
        _ = ff.waterQuality(ok: false, at: at(9 * minute))
        #expect(ff.tick(at: at(30 * minute)).isEmpty)
        #expect(ff.waterQuality(ok: true, at: at(31 * minute)) == [.release])
    }

    @Test func tripOverridesFirstFlush() {
        var ff = controller()
        _ = ff.waterQuality(ok: true, at: at(0))
        _ = ff.rain(true, at: at(0))
        ff.override(latched: true, at: at(1 * minute))
        // Latched: the release that would fall due is not given.
        #expect(ff.tick(at: at(25 * minute)).isEmpty)
        // Reset clears the latch, but first flush still does not reopen the outlet the trip closed.
        ff.override(latched: false, at: at(30 * minute))
        #expect(ff.tick(at: at(31 * minute)).isEmpty)
        #expect(ff.isDiverted)
        // Only the operator's restore hands the outlet back.
        #expect(ff.resume(at: at(40 * minute)) == [.release])
    }

    @Test func sequencerLatchDrivesOverride() {
        var seq = ShutoffSequencer(config: Fixture.config())
        var ff = controller()
        _ = ff.waterQuality(ok: true, at: at(0))
        _ = ff.rain(true, at: at(0))
        _ = seq.trip(Fixture.button, plan: DefaultPlans.plantWide(config: Fixture.config()), at: at(60))
        ff.override(latched: seq.isLatched, at: at(60))
        let released = ff.tick(at: at(40 * minute)).flatMap { ff.commands(for: $0) }
        #expect(!released.contains { $0.device == "outlet-1" && $0.command == "open" })
    }
}
