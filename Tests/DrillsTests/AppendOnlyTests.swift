import Drills
import Foundation
import Testing

/// A drill report only grows: the write after reset and restore keeps everything the settled report had.
struct AppendOnlyTests {
    @Test func theFinalReportKeepsTheSettledStrokesFailuresAndAlarms() {
        let settled = Fixture.report()
        var later = Fixture.report()
        // What a rebuild after the restore sees: none of the plan's steps, one new alarm, the pool stroke measured.
        later.strokes = [
            StrokeResult.make(
                valve: "pool-inlet", valveName: "事故池进水闸门", operation: "open", configuredSeconds: 90,
                measuredSeconds: 88, previous: [])
        ]
        later.failures = []
        later.localValves = []
        later.alarms = [.init(at: Fixture.t0 + 1_800, id: "x.H", priority: "high", text: "later")]
        later.restore = []
        let merged = settled.appending(later)
        #expect(merged.strokes.map(\.valve) == ["rain-outlet-1", "bund-a-drain", "pool-inlet"])
        #expect(merged.strokes.last?.measuredSeconds == 88, "a later measurement fills the gap")
        #expect(merged.failures == settled.failures)
        #expect(merged.localValves == settled.localValves)
        #expect(merged.alarms.map(\.id) == ["drill.trip", "pool-inlet.failed-to-move", "x.H"])
        #expect(merged.restore == settled.restore)
        #expect(merged.timeline == settled.timeline)
    }
}
