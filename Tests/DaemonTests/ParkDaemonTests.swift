import ControlAPI
import Foundation
import LeveeTestSupport
import PlantSim
import Testing

/// A park instance with two plants, all three real daemons on one real mosquitto broker: the park closes the
/// gates of the catchment a plant escalates in and trips that plant by a signed command, and a park drill gives
/// one report with every plant's own measured steps.
@Suite(.serialized)
struct ParkDaemonTests {
    typealias H = DaemonHarness

    /// The park's own gates: a public rain network gate (north catchment) and a river sluice (river catchment).
    static func parkScenario(_ directory: String) -> String {
        """
        name = "park-test"
        control_socket = "\(directory)/sim-control.sock"
        [[servers]]
        name = "plc"
        kind = "tcp"
        port = 0
        [[devices]]
        id = "gate-north"
        model = "valve-actuator"
        server = "plc"
        unit_id = 1
        stroke_s = 1.0
        initial = "open"
        [[devices]]
        id = "sluice-river"
        model = "valve-actuator"
        server = "plc"
        unit_id = 2
        stroke_s = 1.5
        initial = "open"
        """
    }

    static func parkConfig(port: Int, broker: TestBroker) -> String {
        func gate(_ id: String, _ name: String, unit: Int, group: String, stroke: Double) -> String {
            """

            [[devices]]
            id = "\(id)"
            name = "\(name)"
            type = "valve"
            bus = "plc"
            unit = \(unit)
            line = "park"
            group = "\(group)"
            role = "park-gate"
            poll_ms = 100
            stroke_s = \(stroke)
            points.open_limit = { function = "discrete-input", address = 0 }
            points.closed_limit = { function = "discrete-input", address = 1 }
            points.remote = { function = "discrete-input", address = 2 }
            commands.open = { function = "coil", address = 0 }
            commands.close = { function = "coil", address = 1 }

            """
        }
        return """
            [site]
            id = "east-park"
            name = "东区化工园区"
            time_zone = "Asia/Shanghai"

            [historian]
            path = "levee.db"

            [daemon]
            control_socket = "leveed.sock"

            [buses.plc]
            type = "modbus-tcp"
            host = "127.0.0.1"
            port = \(port)
            timeout_ms = 300

            [[plans]]
            id = "close-north"
            groups = ["north"]

            [[plans]]
            id = "close-river"
            groups = ["river"]

            [mqtt]
            broker = "127.0.0.1:\(broker.port)"
            keepalive_s = 5
            publish_interval_s = 0.5

            [park]
            plant_timeout_s = 30
            command_timeout_s = 20

            [[park.catchments]]
            id = "north"
            plan = "close-north"
            on_escalation = "auto"

            [[park.catchments]]
            id = "river"
            plan = "close-river"
            on_escalation = "confirm"

            [[park.plants]]
            id = "plant-a"
            catchment = "north"
            key_file = "plant-a.key"

            [[park.plants]]
            id = "plant-b"
            catchment = "river"
            key_file = "plant-b.key"

            """
                + gate("gate-north", "北区雨水管网闸门", unit: 1, group: "north", stroke: 1.0)
                + gate("sluice-river", "东河节制闸", unit: 2, group: "river", stroke: 1.5)
    }

    static func key(_ plant: String) -> String { "\(plant)-shared-with-east-park-01" }

    /// One plant: the defence plant under its own site id, taking commands from the east park.
    func startPlant(_ id: String, broker: TestBroker) async throws -> H {
        let h = try H(scenario: DefencePlant.scenario)
        try Self.key(id).write(toFile: h.directory + "/east-park.key", atomically: true, encoding: .utf8)
        let text = DefencePlant.config(
            port: h.plant.tcpPort(server: "plc")!, directory: h.directory,
            extra: """

                [mqtt]
                broker = "127.0.0.1:\(broker.port)"
                keepalive_s = 5
                publish_interval_s = 0.5
                accept_commands = true

                [[mqtt.parks]]
                id = "east-park"
                key_file = "east-park.key"

                """
        ).replacingOccurrences(of: "id = \"defence-plant\"", with: "id = \"\(id)\"")
        try h.write(config: text)
        try h.start()
        #expect(await H.wait { try h.status()?.summary.hasPrefix("8/8 devices answering") == true }, "\(h.log)")
        return h
    }

    func startPark(broker: TestBroker) async throws -> H {
        let h = try H(scenario: Self.parkScenario)
        for plant in ["plant-a", "plant-b"] {
            try Self.key(plant).write(toFile: h.directory + "/\(plant).key", atomically: true, encoding: .utf8)
        }
        try h.write(config: Self.parkConfig(port: h.plant.tcpPort(server: "plc")!, broker: broker))
        try h.start()
        #expect(await H.wait { try h.status()?.summary.hasPrefix("2/2 devices answering") == true }, "\(h.log)")
        return h
    }

    func plant(_ park: H, _ id: String) throws -> ParkPlantSummary? {
        try park.status()?.park?.plants.first { $0.id == id }
    }

    @Test func anEscalationInPlantAClosesItsCatchmentAndTripsPlantA() async throws {
        let broker = try await TestBroker.started()
        let a = try await startPlant("plant-a", broker: broker)
        defer { a.stop() }
        let b = try await startPlant("plant-b", broker: broker)
        defer { b.stop() }
        let park = try await startPark(broker: broker)
        defer { park.stop() }
        // The park sees both plants online with their outlets, measured.
        #expect(
            await H.wait {
                try ["plant-a", "plant-b"].allSatisfy { try plant(park, $0)?.link == "online" }
                    && plant(park, "plant-a")?.outlets.first { $0.device == "rain-outlet-1" }?.position == "open"
            }, "\(park.log)")

        // Plant A calls for help.
        #expect(try a.request(.escalate(reason: "事故池将满，请求园区支援")).ok)
        // North is "auto": the park closes the north gate (its limit switch says so), not the river sluice ...
        #expect(await H.wait { park.plant.valve("gate-north")?.closedLimit == true }, "\(park.log)")
        #expect(try park.status()?.defence?.plan == "close-north")
        #expect(try park.status()?.defence?.trips.first?.contains("escalation from plant-a") == true)
        // ... and trips plant A by a signed command, which plant A accepts and carries out.
        #expect(await H.wait { try a.status()?.defence?.latched == true }, "\(a.log)")
        #expect(try a.status()?.defence?.trips.first?.contains("east-park") == true)
        #expect(await H.wait { a.plant.valve("rain-outlet-1")?.closedLimit == true })
        #expect(
            await H.wait {
                try park.status()?.park?.commands.contains { $0.plant == "plant-a" && $0.result == "done" } == true
            }, "\(String(describing: try? park.status()?.park))")
        // The park shows plant A latched and escalated, its outlet closed as measured by plant A.
        #expect(
            await H.wait {
                let p = try plant(park, "plant-a")
                return p?.latched == true && p?.escalated == true
                    && p?.outlets.first { $0.device == "rain-outlet-1" }?.position == "closed"
            })
        // Nothing in the river catchment moved, and plant B was not commanded.
        #expect(park.plant.valve("sluice-river")?.openLimit == true)
        #expect(try b.status()?.defence?.latched == false)
        #expect(try park.status()?.park?.commands.allSatisfy { $0.plant == "plant-a" } == true)

        // River is "confirm": plant B's escalation waits for an operator, then closes the sluice.
        #expect(try b.request(.escalate(reason: "围堰溢流")).ok)
        #expect(
            await H.wait { try park.status()?.park?.pendingConfirmations.first?.catchment == "river" },
            "\(park.log)")
        #expect(park.plant.valve("sluice-river")?.openLimit == true)
        let confirmed = try park.request(
            .parkConfirm(catchment: "river", reason: "值班长确认，关闭东河节制闸"))
        #expect(confirmed.ok, "\(confirmed)")
        #expect(await H.wait { park.plant.valve("sluice-river")?.closedLimit == true }, "\(park.log)")
        #expect(await H.wait { try b.status()?.defence?.latched == true }, "\(b.log)")

        // A plant that dies is shown offline by its last will, its outlets no longer reported as measured.
        b.signal(SIGKILL)
        #expect(await H.wait(30) { try plant(park, "plant-b")?.link == "offline" })
        #expect(try plant(park, "plant-b")?.outlets.allSatisfy { $0.quality != "good" } == true)
    }

    @Test func aParkDrillGivesOneReportCoveringTheGatesAndEveryPlant() async throws {
        let broker = try await TestBroker.started()
        let a = try await startPlant("plant-a", broker: broker)
        defer { a.stop() }
        let b = try await startPlant("plant-b", broker: broker)
        defer { b.stop() }
        let park = try await startPark(broker: broker)
        defer { park.stop() }
        #expect(
            await H.wait { try ["plant-a", "plant-b"].allSatisfy { try plant(park, $0)?.link == "online" } },
            "\(park.log)")

        let started = try park.request(
            .drillStart(plan: "plant-wide", live: true, reason: "2026年度园区验证演练"))
        #expect(started.ok, "\(started)")
        // Both park gates close, and each plant runs its own drill on the park's command.
        #expect(
            await H.wait {
                park.plant.valve("gate-north")?.closedLimit == true
                    && park.plant.valve("sluice-river")?.closedLimit == true
            })
        for h in [a, b] {
            #expect(await H.wait { try h.status()?.defence?.drill == true }, "\(h.log)")
            #expect(await H.wait { h.plant.valve("rain-outlet-1")?.closedLimit == true })
        }
        // One report: the park's gates with their strokes, and a section per plant with the plant's own times.
        func report() throws -> [String: Any]? {
            let drills = try park.request(.drills).drills ?? []
            guard let id = drills.first?.id else { return nil }
            let text = try park.request(.drillReport(drill: id, format: "json")).report ?? ""
            return (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
        }
        func plantsDone(_ r: [String: Any]?) -> Bool {
            let plants = r?["plants"] as? [[String: Any]] ?? []
            return plants.count == 2
                && plants.allSatisfy { p in
                    p["result"] as? String == "done"
                        && (p["steps"] as? [[String: Any]] ?? []).contains {
                            $0["device"] as? String == "rain-outlet-1" && $0["measuredSeconds"] as? Double != nil
                        }
                }
        }
        #expect(await H.wait(40) { plantsDone(try report()) }, "\(String(describing: try? report()))")
        let r = try #require(try report())
        let strokes = r["strokes"] as? [[String: Any]] ?? []
        #expect(Set(strokes.compactMap { $0["valve"] as? String }) == ["gate-north", "sluice-river"])
        for plant in r["plants"] as? [[String: Any]] ?? [] {
            let outlet = (plant["steps"] as? [[String: Any]] ?? []).first { $0["device"] as? String == "rain-outlet-1" }
            // The simulator's outlet strokes in 2.0 s; the plant measured it, the park only carries it.
            let seconds = outlet?["measuredSeconds"] as? Double ?? 0
            #expect(seconds > 1.5 && seconds < 3.5, "\(plant)")
        }
        // The HTML rendering names both plants.
        let drills = try park.request(.drills).drills ?? []
        let html = try park.request(.drillReport(drill: drills.first?.id, format: "html")).report
        #expect(html?.contains("plant-a") == true && html?.contains("plant-b") == true)
    }
}
