import ControlAPI
import Foundation
import LeveeTestSupport
import Testing

/// The shutoff latch is saved before a trip is reported accepted, and the save holds where the hostile test saw it
/// fail: on a disk that filled up while leveed ran, followed by kill -9.
@Suite(.serialized)
struct LatchDurabilityTests {
    typealias H = DaemonHarness

    @Test func aTripMadeOnAFullDiskSurvivesKillNine() async throws {
        let h = try H(scenario: DefencePlant.scenario)
        defer { h.stop() }
        let scratch = ScratchFolder(existing: h.directory)
        let disk = try TinyFilesystem(in: scratch, kilobytes: 16 * 1024)
        defer { disk.unmount() }
        try FileManager.default.createDirectory(atPath: disk.file("state"), withIntermediateDirectories: true)
        let config = DefencePlant.config(port: try #require(h.plant.tcpPort(server: "plc")), directory: h.directory)
            .replacingOccurrences(of: #"path = "levee.db""#, with: #"path = "mnt/state/levee.db""#)
        try h.write(config: config)
        try h.start()
        #expect(await H.wait { try h.status()?.summary.hasPrefix("8/8 devices answering") == true }, "\(h.log)")

        try disk.fill()
        let trip = try h.request(.shutoff(plan: nil, reason: "spill at tank farm A, disk full"))
        #expect(trip.ok, "\(trip)")
        #expect(await H.wait { h.plant.valve("rain-outlet-1")?.closedLimit == true })
        #expect(!h.log.contains("shutoff latch not saved"), "\(h.log)")

        await h.killDaemon()
        try h.start()
        #expect(await H.wait { try h.status()?.defence?.latched == true }, "\(h.log)")
        let defence = try #require(try h.status()?.defence)
        #expect(defence.plan == "plant-wide")
        #expect(defence.trips.contains { $0.contains("spill at tank farm A, disk full") }, "\(defence.trips)")
    }

    /// Issue 14: after a restart the status header named the wrong plan. A risk unit's interlock latched its own
    /// plan, the button added the plant-wide plan; the header must name both, before and after kill -9.
    @Test func theHeaderNamesEveryLatchedPlanAfterKillNine() async throws {
        let h = try H(scenario: DefencePlant.scenario)
        defer { h.stop() }
        try h.write(
            config: DefencePlant.config(
                port: try #require(h.plant.tcpPort(server: "plc")), directory: h.directory,
                extra: DefencePlant.gasInterlock))
        try h.start()
        #expect(await H.wait { try h.status()?.summary.hasPrefix("8/8 devices answering") == true }, "\(h.log)")
        try h.plant.setValue(62, device: "gas-a1", signal: "value")
        #expect(await H.wait { try h.status()?.defence?.plan == "group:unit-a" }, "\(h.log)")
        try h.plant.pressButton(line: 0)
        #expect(await H.wait { try h.status()?.defence?.steps.count == 4 }, "\(h.log)")
        try h.plant.releaseButton(line: 0)
        try h.plant.setValue(0, device: "gas-a1", signal: "value")
        #expect(try h.status()?.defence?.plan == "group:unit-a + plant-wide")

        await h.killDaemon()
        try h.start()
        #expect(await H.wait { try h.status()?.defence?.latched == true }, "\(h.log)")
        #expect(try h.status()?.defence?.plan == "group:unit-a + plant-wide")
        let (code, text) = try await h.leveectl(["status"])
        #expect(code == 0, "\(text)")
        #expect(text.contains("LATCHED — plan group:unit-a + plant-wide"), "\(text)")
    }
}
