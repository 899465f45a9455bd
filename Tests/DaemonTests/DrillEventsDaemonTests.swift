import ControlAPI
import Foundation
import PlantSim
import Testing

/// Issue 15: every event of a drill is marked drill in the historian, not only its valve strokes: the alarms it
/// raises (a drill valve in local mode, the park escalation it makes), from raising to clearing.
@Suite(.serialized)
struct DrillEventsDaemonTests {
    typealias H = DaemonHarness

    @Test func theAlarmsADrillRaisesAreStoredAsDrill() async throws {
        let h = try H(scenario: DefencePlant.scenario)
        defer { h.stop() }
        try h.plant.inject(.local, device: "rain-outlet-1")
        try h.write(config: DefencePlant.config(port: h.plant.tcpPort(server: "plc")!, directory: h.directory))
        try h.start()
        #expect(await H.wait { try h.status()?.summary.hasPrefix("8/8 devices answering") == true }, "\(h.log)")
        #expect(await H.wait { try h.status()?.devices.first { $0.id == "rain-outlet-1" }?.valve?.mode == "local" })

        let started = try h.request(
            .drillStart(plan: "plant-wide", live: true, reason: "annual drill"))
        #expect(started.ok, "\(started)")
        #expect(await H.wait { try h.alarm("rain-outlet-1.manual-action") != nil }, "\(h.log)")
        #expect(await H.wait { try h.alarm("park.escalated") != nil }, "\(h.log)")
        try h.plant.clear(device: "rain-outlet-1")
        #expect(await H.wait { try h.alarm("rain-outlet-1.manual-action")?.conditionActive == false }, "\(h.log)")

        // Read back from the historian: every alarm row of these two alarms is a drill row.
        var rows: [String: [Bool]] = [:]
        for _ in 0..<100 {
            rows = [:]
            for e in try await h.journal() where e.kind == "alarm" { rows[e.source, default: []].append(e.drill) }
            if (rows["rain-outlet-1.manual-action"]?.count ?? 0) >= 2 && rows["park.escalated"] != nil { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect((rows["rain-outlet-1.manual-action"]?.count ?? 0) >= 2, "\(rows)")
        #expect(rows["rain-outlet-1.manual-action"]?.allSatisfy { $0 } == true, "\(rows)")
        #expect(rows["park.escalated"]?.allSatisfy { $0 } == true, "\(rows)")
    }
}
