import ControlAPI
import Foundation
import LeveeTestSupport
import PlantSim
import Testing

/// The DCS link inside the real daemon, against the simulated plant, read and written by pymodbus and mbpoll.
@Suite(.serialized)
struct DCSDaemonTests {
    typealias H = DaemonHarness

    /// Starts leveed with `[dcs]` on a free port; returns the port.
    func start(_ h: H, dcs: String = "") async throws -> Int {
        let port = TestPorts.next()
        let section = """

            [dcs]
            enabled = true
            listen = "127.0.0.1:\(port)"
            update_ms = 100
            \(dcs)

            """
        try h.write(config: H.config(port: h.plant.tcpPort(server: "plc")!, withH2S: true, extra: section))
        try h.start()
        #expect(await H.wait { try h.status()?.summary.hasPrefix("3/3 devices answering") == true }, "\(h.log)")
        return port
    }

    /// pymodbus on a thread of its own, the operations carried across as JSON.
    static func pymodbus(_ port: Int, _ ops: [[String: Any]]) async throws -> [[String: Any]] {
        let request = try JSONSerialization.data(withJSONObject: ops)
        let reply = try await OffPool.run { () -> Data in
            let ops = try JSONSerialization.jsonObject(with: request) as? [[String: Any]] ?? []
            return try JSONSerialization.data(withJSONObject: try ModbusMasters.pymodbus(port: port, ops))
        }
        return try JSONSerialization.jsonObject(with: reply) as? [[String: Any]] ?? []
    }

    func point(_ h: H, _ device: String, _ name: String) throws -> PointStatus? {
        try h.status()?.devices.first { $0.id == device }?.points.first { $0.name == name }
    }

    /// Devices take slots in file order: gas-a1 0 (1000), rain-outlet-1 1 (1100), h2s-a1 2 (1200).
    @Test func theRegistersReadBackAsTheStatusShowsThem() async throws {
        let h = try H()
        defer { h.stop() }
        let port = try await start(h, dcs: "word_order = \"CDAB\"\nint_scale = 100")
        let gas = try #require(try point(h, "gas-a1", "concentration")?.value)
        let h2s = try #require(try point(h, "h2s-a1", "concentration")?.value)
        let r = try await Self.pymodbus(
            port,
            [
                ["fn": "ir", "address": 1010, "count": 2, "as": "float32", "order": "CDAB"],
                ["fn": "hr", "address": 1012, "count": 2, "as": "int32", "order": "CDAB"],
                ["fn": "ir", "address": 1014, "count": 1, "as": "int16"],
                ["fn": "ir", "address": 1015, "count": 1],
                ["fn": "ir", "address": 1210, "count": 2, "as": "float32", "order": "CDAB"],
                ["fn": "ir", "address": 1100, "count": 3],
                ["fn": "ir", "address": 15, "count": 2],
            ])
        #expect(abs((r[0]["value"] as? Double ?? -1) - gas) < 1e-4, "\(r[0]) vs \(gas)")
        #expect(r[1]["value"] as? Int == Int((gas * 100).rounded()), "\(r[1])")
        #expect(r[2]["value"] as? Int == Int((gas * 100).rounded()), "\(r[2])")
        #expect(r[3]["registers"] as? [Int] == [0], "quality good")
        #expect(abs((r[4]["value"] as? Double ?? -1) - h2s) < 1e-4, "\(r[4]) vs \(h2s)")
        // The valve: answering, open (1), remote (1), as the status says.
        let valve = try #require(try h.status()?.devices.first { $0.id == "rain-outlet-1" }?.valve)
        #expect(valve.position == "open" && valve.mode == "remote")
        #expect(r[5]["registers"] as? [Int] == [1, 1, 1], "\(r[5])")
        #expect(r[6]["registers"] as? [Int] == [3, 3], "3 devices configured, 3 answering")
        // While a client is connected, the status lists it with its last request.
        // (The deadline covers the master's start too: importing pymodbus took seconds on a loaded machine.)
        async let held = Self.pymodbus(port, [["fn": "ir", "address": 0, "count": 1], ["fn": "sleep", "seconds": 5]])
        #expect(
            await H.wait(60) {
                try h.status()?.dcs?.clients.contains { $0.address == "127.0.0.1" && $0.lastRequestAt != nil } == true
            })
        _ = try await held
        // mbpoll, the other master, reads the same float (CDAB is its default order).
        let mb = try await OffPool.run {
            try ModbusMasters.mbpoll([
                "-m", "tcp", "-p", "\(port)", "-a", "1", "-t", "3:float", "-r", "1010", "127.0.0.1",
            ])
        }
        let text = try #require(ModbusMasters.mbpollValues(mb.stdout)[1010], "\(mb.stdout)\(mb.stderr)")
        #expect(abs((Double(text) ?? -1) - gas) < 1e-3)
    }

    @Test func theHeartbeatAdvancesAndAQualityChangeReachesTheRegister() async throws {
        let h = try H()
        defer { h.stop() }
        let port = try await start(h)
        let first = try await Self.pymodbus(
            port,
            [
                ["fn": "ir", "address": 0, "count": 1], ["fn": "sleep", "seconds": 2.2],
                ["fn": "ir", "address": 0, "count": 1],
            ])
        let a = try #require((first[0]["registers"] as? [Int])?.first)
        let b = try #require((first[2]["registers"] as? [Int])?.first)
        #expect(b >= a + 1, "heartbeat \(a) then \(b)")
        // The gas transmitter stops answering: the status says comm-fail, and so does its quality register.
        try h.plant.inject(.dead, device: "gas-a1")
        #expect(await H.wait { try point(h, "gas-a1", "concentration")?.quality == "comm-fail" }, "\(h.log)")
        // The value stays what the status shows (the last one read), and the quality word says it is not live.
        var regs: [Int]?
        for _ in 0..<50 where regs?[5] != 2 {
            regs =
                try await Self.pymodbus(port, [["fn": "ir", "address": 1010, "count": 6]]).first?["registers"] as? [Int]
            if regs?[5] != 2 { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(regs?[5] == 2, "quality comm-fail: \(String(describing: regs))")
        let shown = try point(h, "gas-a1", "concentration")?.value
        #expect(
            regs.map { Double($0[4]) / 10 } == shown.map { ($0 * 10).rounded() / 10 }, "\(String(describing: regs))")
    }

    @Test func aDisabledCoilIsRefusedAndAHeldShutoffPulseTripsThePlanJournaledAsTheDCS() async throws {
        let h = try H()
        defer { h.stop() }
        let port = try await start(h, dcs: "shutoff_coils = [\"plant-wide\"]\nwrite_hold_ms = 300")
        let refused = try await Self.pymodbus(
            port,
            [
                ["fn": "wc", "address": 0, "value": 1],  // reset: not enabled
                ["fn": "wc", "address": 101, "value": 1],  // no such plan coil
                ["fn": "wr", "address": 1, "value": 0],  // a register
            ])
        #expect(refused.map { $0["exception"] as? Int } == [2, 2, 1], "\(refused)")
        #expect(try h.status()?.defence?.latched == false)
        // A tap shorter than the hold does nothing.
        _ = try await Self.pymodbus(
            port, [["fn": "wc", "address": 100, "value": 1], ["fn": "wc", "address": 100, "value": 0]])
        try await Task.sleep(for: .milliseconds(600))
        #expect(try h.status()?.defence?.latched == false)
        // A press held past write_hold_ms trips plant-wide.
        let pulse = try await Self.pymodbus(
            port,
            [
                ["fn": "wc", "address": 100, "value": 1], ["fn": "sleep", "seconds": 0.6],
                ["fn": "wc", "address": 100, "value": 0],
            ])
        #expect(pulse.allSatisfy { $0["exception"] == nil && $0["error"] == nil }, "\(pulse)")
        #expect(await H.wait { try h.status()?.defence?.latched == true }, "\(h.log)")
        let trip = try #require(try h.status()?.defence?.trips.first)
        #expect(trip.contains("DCS 127.0.0.1") && trip.contains("shutoff coil plant-wide"), "\(trip)")
        #expect(await H.wait { h.plant.valve("rain-outlet-1")?.closedLimit == true })
        let plant = try await Self.pymodbus(port, [["fn": "ir", "address": 1, "count": 3]])
        #expect(plant[0]["registers"] as? [Int] == [1, 1, 7], "latched, plan 1 (plant-wide), source DCS")
        // The status shows the link: the refused writes and the one coil action.
        let link = try #require(try h.status()?.dcs)
        #expect(link.refusedWrites == 3 && link.coilActions == 1, "\(link)")
        h.signal(SIGTERM)
        #expect(await h.waitForExit(30) == 0)
        let trips = try await h.journal().filter { $0.kind == "trip" }
        #expect(
            trips.contains {
                ($0.details ?? "").contains("\"user\":\"DCS 127.0.0.1\"")
                    && ($0.details ?? "").contains("\"reason\":\"shutoff coil plant-wide\"")
            }, "\(trips.map { "\($0.message) \($0.details ?? "")" })")
    }
}
