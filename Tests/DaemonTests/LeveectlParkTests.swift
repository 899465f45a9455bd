import ControlAPI
import Foundation
import LeveeTestSupport
import PlantSim
import Testing

/// `leveectl` on a park instance: `status` shows the links and the park's plants, `park confirm` trips a
/// catchment after a plant escalated. The park runs the shipped `config/park.example.toml` (its gates on a
/// simulator), and the defence plant stands in for one of its plants, over a real mosquitto broker.
@Suite(.serialized)
struct LeveectlParkTests {
    typealias H = DaemonHarness
    static let key = "east-park-shared-key-5c19e0d7a4"

    static let example = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("config/park.example.toml")

    /// The park's two gates, as `config/park.example.toml` polls them (units 1 and 2).
    static func parkScenario(_ directory: String) -> String {
        """
        name = "park-test"
        control_socket = "\(directory)/sim-control.sock"
        [[servers]]
        name = "gates"
        kind = "tcp"
        port = 0
        [[devices]]
        id = "rain-gate-north"
        model = "valve-actuator"
        server = "gates"
        unit_id = 1
        stroke_s = 1.0
        initial = "open"
        [[devices]]
        id = "river-sluice"
        model = "valve-actuator"
        server = "gates"
        unit_id = 2
        stroke_s = 1.0
        initial = "open"
        """
    }

    func leveectl(_ arguments: [String]) throws -> (Int32, String) { try H.leveectl(arguments) }

    /// The shipped example, pointed at the test's gates and broker; the defence plant takes the place of
    /// xinyuan-pharma in the "river" catchment, whose escalations wait for an operator.
    func parkConfig(gatesPort: Int, broker: TestBroker) throws -> String {
        var text = try String(contentsOf: Self.example, encoding: .utf8)
        for (from, to) in [
            (#"host = "10.20.0.10""#, #"host = "127.0.0.1""#), ("port = 502\n", "port = \(gatesPort)\n"),
            (#"broker = "127.0.0.1:1883""#, #"broker = "\#(broker.url)""#),
            (#"id = "xinyuan-pharma""#, #"id = "defence-plant""#),
        ] {
            try #require(text.contains(from), "config/park.example.toml no longer has \(from)")
            text = text.replacingOccurrences(of: from, with: to)
        }
        return text + "\n[historian]\npath = \"levee.db\"\n\n[daemon]\ncontrol_socket = \"leveed.sock\"\n"
    }

    @Test func statusShowsThePlantsAndParkConfirmTripsTheCatchment() async throws {
        let broker = try await TestBroker.started()
        let plant = try H(scenario: DefencePlant.scenario)
        defer { plant.stop() }
        try Self.key.write(toFile: plant.directory + "/east-park.key", atomically: true, encoding: .utf8)
        let mqtt = """

            [mqtt]
            broker = "\(broker.url)"
            keepalive_s = 5
            publish_interval_s = 0.5
            accept_commands = true

            [[mqtt.parks]]
            id = "east-park"
            key_file = "east-park.key"

            """
        try plant.write(
            config: DefencePlant.config(
                port: plant.plant.tcpPort(server: "plc")!, directory: plant.directory, extra: mqtt))
        try plant.start()

        let park = try H(scenario: Self.parkScenario)
        defer { park.stop() }
        try FileManager.default.createDirectory(atPath: park.directory + "/keys", withIntermediateDirectories: true)
        try Self.key.write(toFile: park.directory + "/keys/xinyuan-pharma.key", atomically: true, encoding: .utf8)
        try "hongda-chem-key-never-used-8e21".write(
            toFile: park.directory + "/keys/hongda-chem.key", atomically: true, encoding: .utf8)
        try park.write(config: parkConfig(gatesPort: park.plant.tcpPort(server: "gates")!, broker: broker))
        try park.start()

        // The plant's link, as its own status shows it.
        #expect(await H.wait { try plant.status()?.links?.mqtt?.state == "connected" }, "\(plant.log)")
        let (plantCode, plantText) = try leveectl(["status", "--socket", plant.socketPath])
        #expect(plantCode == 0, "\(plantText)")
        #expect(plantText.contains("Links 外部链路"))
        #expect(plantText.contains("accepts commands from east-park"))
        #expect(plantText.contains("connected"))

        // The park hears the plant; hongda-chem never spoke.
        #expect(
            await H.wait {
                try park.status()?.park?.plants.first { $0.id == "defence-plant" }?.outlets.first?.quality == "good"
            }, "\(park.log)")
        var (code, text) = try leveectl(["status", "--socket", park.socketPath])
        #expect(code == 0, "\(text)")
        #expect(text.contains("Park 园区"))
        let plantLine = try #require(text.split(separator: "\n").first { $0.hasPrefix("defence-plant") })
        #expect(plantLine.contains("online"))
        let outlet = try #require(text.split(separator: "\n").first { $0.contains("rain-outlet-1") })
        #expect(outlet.contains("open"))
        #expect(text.split(separator: "\n").contains { $0.hasPrefix("hongda-chem") && $0.contains("UNKNOWN") })

        // The plant escalates: the river catchment waits for an operator, and status says what to type.
        #expect(try plant.request(.escalate(reason: "事故池将满")).ok)
        #expect(await H.wait { try park.status()?.park?.pendingConfirmations.first?.catchment == "river" })
        (code, text) = try leveectl(["status", "--socket", park.socketPath])
        #expect(text.contains("CONFIRM 待确认: catchment river, plan close-river — defence-plant escalated"), "\(text)")
        #expect(text.contains("leveectl park confirm river --reason"))

        // Mistakes are refused with exit code 4: a catchment that does not exist, a plant that is not a park.
        (code, text) = try leveectl(["park", "confirm", "nowhere", "--reason", "test", "--socket", park.socketPath])
        #expect(code == 4, "\(text)")
        #expect(text.contains(#"no catchment "nowhere" (known: north, river)"#))
        (code, text) = try leveectl(["park", "confirm", "river", "--reason", "test", "--socket", plant.socketPath])
        #expect(code == 4, "\(text)")
        #expect(text.contains("not a park instance"))
        #expect(try park.status()?.defence?.latched == false)

        // Confirmed: the park closes its river sluice and sends the plant a shutoff, which the plant carries out.
        (code, text) = try leveectl([
            "park", "confirm", "river", "--reason", "值班长确认", "--socket", park.socketPath, "--lang", "en",
        ])
        #expect(code == 0, "\(text)")
        // The catchment by the name people know it by.
        #expect(text == "catchment 化工河沿岸: plan close-river tripped\n")
        #expect(await H.wait { park.plant.valve("river-sluice")?.closedLimit == true })
        #expect(park.plant.valve("rain-gate-north")?.openLimit == true)
        #expect(await H.wait { try plant.status()?.defence?.latched == true }, "\(plant.log)")
        #expect(await H.wait { try park.status()?.park?.commands.first?.result == "done" }, "\(park.log)")
        (code, text) = try leveectl(["status", "--socket", park.socketPath])
        #expect(text.contains("Commands sent 已发指令"))
        #expect(
            text.split(separator: "\n").contains {
                $0.contains("defence-plant") && $0.contains("shutoff") && $0.contains("done")
            }, "\(text)")
        #expect(!text.contains("WAITING FOR CONFIRMATION"))

        // The plant dies: its last will makes it offline, and no outlet position is shown as current.
        #expect(
            await H.wait {
                try park.status()?.park?.plants.first { $0.id == "defence-plant" }?.outlets.first?.position == "closed"
            })
        plant.signal(SIGKILL)
        #expect(
            await H.wait(30) { try park.status()?.park?.plants.first { $0.id == "defence-plant" }?.link == "offline" })
        (code, text) = try leveectl(["status", "--socket", park.socketPath])
        let stale = try #require(text.split(separator: "\n").first { $0.contains("rain-outlet-1") })
        #expect(stale.contains("closed (stale)"), "\(text)")
        #expect(text.split(separator: "\n").contains { $0.hasPrefix("defence-plant") && $0.contains("OFFLINE") })
    }
}
