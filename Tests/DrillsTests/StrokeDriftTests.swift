import Drills
import Testing

struct StrokeDriftTests {
    @Test(arguments: [[], [12.0], [12.0, 14.0]])
    func fewerThanThreeEarlierStrokesUseTheConfiguredTime(previous: [Double]) {
        #expect(StrokeDrift.baseline(previous: previous, configured: 20) == 20)
    }

    @Test func theMedianOfAnOddCountIsTheMiddleStroke() {
        #expect(StrokeDrift.baseline(previous: [30, 10, 20], configured: 99) == 20)
        #expect(StrokeDrift.baseline(previous: [18.4, 17.9, 40, 18.1, 18.0], configured: 99) == 18.1)
    }

    @Test func theMedianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
        #expect(StrokeDrift.baseline(previous: [18.1, 17.9, 18.4, 18.0], configured: 99) == 18.05)
        #expect(StrokeDrift.baseline(previous: [10, 40, 20, 30, 1000, 5], configured: 99) == 25)
    }

    /// A zero or non-finite time is a glitch, not a stroke: it neither counts towards the three nor moves the median.
    @Test func unusableStrokesAreIgnored() {
        #expect(StrokeDrift.baseline(previous: [18, 0, .nan, 19], configured: 20) == 20)
        #expect(StrokeDrift.baseline(previous: [18, 0, -3, .infinity, 19, 20], configured: 99) == 19)
    }

    @Test func driftIsAboveOneAndAHalfTimesTheBaselineNotAtIt() {
        #expect(StrokeDrift.threshold == 1.5)
        #expect(!StrokeDrift.isDrift(measured: 30, baseline: 20))
        #expect(!StrokeDrift.isDrift(measured: 15, baseline: 10))
        #expect(StrokeDrift.isDrift(measured: 30.001, baseline: 20))
        #expect(!StrokeDrift.isDrift(measured: 10, baseline: 0))
        #expect(!StrokeDrift.isDrift(measured: .nan, baseline: 10))
    }

    @Test func aResultAgainstItsHistoryFlagsDrift() {
        let result = StrokeResult.make(
            valve: "rain-outlet-1", valveName: "雨水排口", operation: "close", configuredSeconds: 20,
            measuredSeconds: 34.2, previous: [18.1, 17.9, 18.4, 18.0]
        )
        #expect(result.baselineSeconds == 18.05)
        #expect(result.baselineFromHistory)
        #expect(abs((result.ratio ?? 0) - 34.2 / 18.05) < 1e-12)
        #expect(result.drifted)
        #expect(result.previous == [18.1, 17.9, 18.4, 18.0])
    }

    /// 29.9 s is 1.495 times the configured 20 s: slow, but within the rule, and the configured time is the baseline
    /// while the history is short even though the history itself is much faster.
    @Test func aResultWithShortHistoryIsJudgedAgainstTheConfiguredTime() {
        let result = StrokeResult.make(
            valve: "v", valveName: "v", operation: "open", configuredSeconds: 20, measuredSeconds: 29.9,
            previous: [10, 10]
        )
        #expect(result.baselineSeconds == 20)
        #expect(!result.baselineFromHistory)
        #expect(!result.drifted)
        let exact = StrokeResult.make(
            valve: "v", valveName: "v", operation: "open", configuredSeconds: 20, measuredSeconds: 30, previous: []
        )
        #expect(exact.ratio == 1.5)
        #expect(!exact.drifted)
    }

    @Test func anUnconfirmedStrokeHasNoRatioAndNoDrift() {
        let result = StrokeResult.make(
            valve: "v", valveName: "v", operation: "close", configuredSeconds: 20, measuredSeconds: nil,
            previous: [18, 18, 18]
        )
        #expect(result.measuredSeconds == nil)
        #expect(result.ratio == nil)
        #expect(!result.drifted)
        #expect(result.baselineSeconds == 18)
    }
}
