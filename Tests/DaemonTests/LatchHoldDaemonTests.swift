import ControlAPI
import Foundation
import PlantSim
import Testing

/// Latched means held, in the real daemon: an outlet driven open in the simulator while the shutoff holds (the
/// actuator still in remote) is commanded closed again and raises the critical "moved while shut off" alarm, and
/// so after a kill -9 restart. Read through the control socket and the simulator's limit switches and write log.
@Suite(.serialized)
struct LatchHoldDaemonTests {
    typealias H = DaemonHarness

    func start() async throws -> H {
        let h = try H(scenario: DefencePlant.scenario)
        try h.write(config: DefencePlant.config(port: h.plant.tcpPort(server: "plc")!, directory: h.directory))
        try h.start()
        #expect(await H.wait(40) { try h.status()?.summary.hasPrefix("8/8 devices answering") == true }, "\(h.log)")
        #expect(try h.request(.shutoff(plan: nil, reason: "spill at tank farm A")).ok)
        #expect(
            await H.wait(30) { try h.status()?.defence?.steps.allSatisfy { $0.phase == "confirmed" } == true },
            "\(h.log)")
        return h
    }

    /// Close commands (coil 1) written to the rain outlet (unit 5).
    func closes(_ h: H) -> Int { h.plant.writeLog(server: "plc").filter { $0.unit == 5 && $0.address == 1 }.count }

    @Test func anOutletOpenedWhileLatchedIsClosedAgainAndAlarmed() async throws {
        let h = try await start()
        defer { h.stop() }
        let before = closes(h)
        // Someone drives the outlet open on site; the actuator stays in remote.
        try h.plant.setValue(100, device: "rain-outlet-1", signal: "position")
        #expect(await H.wait { closes(h) > before }, "no close sent: \(h.log)")
        #expect(await H.wait { h.plant.valve("rain-outlet-1")?.closedLimit == true }, "\(h.log)")
        let alarms = try h.alarms()
        let alarm = try #require(alarms.first { $0.id == "rain-outlet-1.moved-while-shut-off" }, "\(alarms)")
        #expect(alarm.priority == "critical")
        #expect(alarm.message.contains("rain-outlet-1"), "\(alarm.message)")
        #expect(
            await H.wait {
                try h.status()?.defence?.steps.first { $0.device == "rain-outlet-1" }?.phase == "confirmed"
            })
    }

    @Test func afterAKillNineTheRestartedDaemonChecksTheMeasuredStatesFirst() async throws {
        let h = try await start()
        defer { h.stop() }
        await h.killDaemon()
        let before = closes(h)
        try h.plant.setValue(100, device: "rain-outlet-1", signal: "position")
        try h.start()
        #expect(await H.wait(40) { closes(h) > before }, "no close sent after the restart: \(h.log)")
        #expect(await H.wait { h.plant.valve("rain-outlet-1")?.closedLimit == true }, "\(h.log)")
        #expect(await H.wait { try h.alarm("rain-outlet-1.moved-while-shut-off") != nil }, "\(h.log)")
    }
}
