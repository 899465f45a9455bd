import Foundation
import Glibc
import ModbusWire
import Testing

@testable import PlantSim

/// The repository's simulators/scenarios directory, found from this file's path.
let scenariosDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("simulators/scenarios").path

struct ScenarioTests {
    @Test func demoScenarioHasTheDocumentedPlant() throws {
        let s = try Scenario.load(path: scenariosDirectory + "/demo.toml")
        let servers = Dictionary(uniqueKeysWithValues: s.servers.map { ($0.name, $0.transport) })
        #expect(servers["plc"] == .tcp(TCPSpec(port: 15020)))
        #expect(servers["gateway-b"] == .tcp(TCPSpec(port: 15021, gateway: true)))
        #expect(servers["rtu0"] == .rtu(RTUSpec(link: "/tmp/levee-sim/ttyRTU0", baud: 9600)))
        #expect(s.devices.filter { $0.server == "rtu0" }.count <= 4)
        #expect(s.gpio?.socketPath == "/tmp/levee-sim/gpio.sock")
        #expect(s.gpio?.lines.map(\.offset).sorted() == [0, 1, 2, 3])
        guard case .levelTransmitter(let pool)? = s.devices.first(where: { $0.id == "pool-level" })?.model else {
            Issue.record("no pool-level transmitter")
            return
        }
        #expect(pool.areaM2 * pool.depthM == 5000)
        guard case .gasTransmitter(let leak)? = s.devices.first(where: { $0.id == "gas-a1" })?.model else {
            Issue.record("no gas-a1")
            return
        }
        #expect(leak.profile.value(at: 30) == 0 && leak.profile.value(at: 60) == 30 && leak.profile.value(at: 90) == 60)
        for d in s.devices {
            if case .valveActuator(let v) = d.model { #expect((8...20).contains(v.strokeSeconds), "\(d.id)") }
        }
    }

    @Test func profileInterpolatesAndHolds() {
        let p = Profile([.init(t: 10, value: 0), .init(t: 20, value: 100), .init(t: 30, value: 50)])
        #expect(p.value(at: 0) == 0)
        #expect(p.value(at: 15) == 50)
        #expect(p.value(at: 25) == 75)
        #expect(p.value(at: 1000) == 50)
    }

    static let errorCases: [(String, String)] = [
        (
            """
            [[servers]]
            name = "plc"
            kind = "tcp"
            [[devices]]
            id = "g"
            model = "gas-transmitter"
            server = "plc"
            unit_id = 1
            alarm1 = 1
            alrm2 = 2
            """, #"t.toml: devices[0] "g": unknown key "alrm2" (did you mean "alarm2"?)"#
        ),
        (
            """
            [[devices]]
            id = "g"
            model = "pump"
            server = "nowhere"
            unit_id = 1
            flow_m3h = 1
            """, #"t.toml: devices[0] "g": server "nowhere" is not defined under [[servers]]"#
        ),
        (
            """
            [[servers]]
            name = "plc"
            kind = "tcp"
            port = 70000
            """, #"t.toml: servers[0] "plc": port 70000 is outside 0...65535"#
        ),
        (
            """
            [[servers]]
            name = "plc"
            kind = "tcp"
            [[devices]]
            id = "v"
            model = "valve-actuator"
            server = "plc"
            unit_id = 1
            stroke_s = "fast"
            """, #"t.toml: devices[0] "v": stroke_s must be a number, not string"#
        ),
        (
            """
            [[servers]]
            name = "plc"
            kind = "tcp"
            [[devices]]
            id = "v"
            model = "valve-actuatr"
            server = "plc"
            unit_id = 1
            """, #"(did you mean "valve-actuator"?)"#
        ),
        (
            """
            [[servers]]
            name = "plc"
            kind = "tcp"
            [[devices]]
            id = "a"
            model = "register-bank"
            server = "plc"
            unit_id = 1
            [[devices]]
            id = "b"
            model = "register-bank"
            server = "plc"
            unit_id = 1
            """, #"t.toml: devices[1] "b": unit_id 1 is already used on server "plc""#
        ),
        (
            """
            [[servers]]
            name = "plc"
            kind = "tcp"
            [[devices]]
            id = "a"
            model = "register-bank"
            server = "plc"
            unit_id = 1
            [[faults]]
            at_s = 1
            device = "a"
            kind = "halfway"
            """, #"t.toml: faults[0] "halfway" on "a": halfway applies to valve-actuator devices"#
        ),
        (
            """
            [[faults]]
            at_s = 1
            device = "a"
            kind = "slow"
            delay = 5
            """, #"t.toml: faults[0] "slow" on "a": unknown key "delay""#
        ),
        (
            """
            [gpio]
            socket = "/tmp/x"
            [[gpio.lines]]
            offset = 9
            role = "button"
            """, #"t.toml: gpio.lines[0]: offset must be given and within 0...7 (num_lines)"#
        ),
        ("name = [", "t.toml: "),
    ]

    @Test(arguments: errorCases)
    func errorsNameTheKey(toml: String, message: String) {
        do {
            _ = try Scenario.parse(toml, source: "t.toml")
            Issue.record("parsed; expected \(message)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    @Test func faultParsing() throws {
        #expect(try Fault.parse(kind: "slow", parameters: ["delay_ms": "250"]) == .slow(delayMs: 250))
        #expect(
            try Fault.parse(kind: "exception", parameters: ["code": "11"]) == .exception(.gatewayTargetFailedToRespond))
        #expect(
            try Fault.parse(kind: "out-of-range", parameters: ["value": "-5", "signal": "ph"])
                == .outOfRange(value: -5, signal: "ph"))
        #expect(throws: FaultParseError.self) { try Fault.parse(kind: "exception", parameters: ["code": "7"]) }
        #expect(throws: FaultParseError.self) { try Fault.parse(kind: "halfway", parameters: ["percent": "100"]) }
        #expect(throws: FaultParseError.self) { try Fault.parse(kind: "ded", parameters: [:]) }
    }
}

@Suite(.serialized)
struct DemoAndControlTests {
    @Test func demoPlantServesTCPGatewayAndRTU() throws {
        let text = try String(contentsOfFile: scenariosDirectory + "/demo.toml", encoding: .utf8)
        let sim = try RunningPlant(text, source: "demo.toml")
        let p = sim.plant
        try p.setValue(42.5, device: "gas-a1", signal: "value")
        let gas = try Tools.mbpoll([
            "-m", "tcp", "-p", "\(try sim.port("plc"))", "-a", "1", "-t", "3:float", "-B",
            "-r", "0", "127.0.0.1",
        ])
        #expect(Tools.mbpollValues(gas.stdout)[0] == "42.5", "\(gas.stdout) \(gas.stderr)")
        let missing = try Tools.mbpoll([
            "-m", "tcp", "-p", "\(try sim.port("gateway-b"))", "-a", "9", "-t", "3",
            "-r", "0", "127.0.0.1",
        ])
        #expect("\(missing.stdout)\(missing.stderr)".contains("Target device failed to respond"))
        let level = try Tools.mbpoll([
            "-m", "rtu", "-b", "9600", "-P", "none", "-a", "1", "-t", "3:float", "-r", "0",
            "-o", "2", try #require(p.rtuLinkPath(server: "rtu0")),
        ])
        #expect(Tools.mbpollValues(level.stdout)[0] == "0.8", "\(level.stdout) \(level.stderr)")
    }

    @Test func controlSocketRoundTrip() throws {
        let sim = try RunningPlant(testScenario)
        let control = ControlServer(plant: sim.plant, path: sim.directory + "/control.sock")
        try control.start()
        defer { control.stop() }
        #expect(try ControlClient.send("FAULT gas-1 slow delay_ms=200 duration_s=60", socketPath: control.path) == [])
        #expect(sim.plant.faults(device: "gas-1") == [.slow(delayMs: 200)])
        #expect(try ControlClient.send("clear gas-1", socketPath: control.path) == [])
        #expect(sim.plant.faults(device: "gas-1").isEmpty)
        _ = try ControlClient.send("PRESS 0", socketPath: control.path)
        #expect(sim.plant.gpioLevel(line: 0) == 0)
        _ = try ControlClient.send("RELEASE 0", socketPath: control.path)
        _ = try ControlClient.send("SET pool level 1.25", socketPath: control.path)
        #expect(sim.plant.value(device: "pool", signal: "level") == 1.25)
        let status = try ControlClient.send("STATUS", socketPath: control.path)
        #expect(status.contains { $0.hasPrefix("device gas-1 plc/1") })
        #expect(status.contains("line 0 shutoff button(nc) level 1"))
        #expect(throws: ControlClient.Failure.self) {
            try ControlClient.send("FAULT nope dead", socketPath: control.path)
        }
        #expect(throws: ControlClient.Failure.self) {
            try ControlClient.send("FAULT gas-1 stuck", socketPath: control.path)
        }
    }

    /// The levee-sim executable sits next to the test bundle when the package was built with --build-tests.
    static var leveeSim: String? {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [
            dir, dir.deletingLastPathComponent(), dir.deletingLastPathComponent().deletingLastPathComponent(),
        ] {
            let path = candidate.appendingPathComponent("levee-sim").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    @Test func leveeSimRunsAndStopsCleanlyOnSIGTERM() throws {
        let binary = try #require(Self.leveeSim, "levee-sim was not built next to the tests")
        let dir = "/tmp/levee-sim-cli-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var text = testScenario.replacingOccurrences(of: "/tmp/unused.sock", with: dir + "/gpio.sock")
        text = text.replacingOccurrences(of: "/tmp/unused", with: dir + "/tty")
        try ("control_socket = \"\(dir)/control.sock\"\n" + text).write(
            toFile: dir + "/s.toml", atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["run", dir + "/s.toml"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        #expect(eventually { FileManager.default.fileExists(atPath: dir + "/control.sock") })
        let status = try Tools.run(binary, ["ctl", "--socket", dir + "/control.sock", "status"])
        #expect(status.status == 0 && status.stdout.contains("device valve-1 plc/2 valve 100.0% open remote"))
        let bad = try Tools.run(binary, ["ctl", "--socket", dir + "/control.sock", "fault", "valve-1", "melted"])
        #expect(bad.status != 0 && bad.stderr.contains("unknown fault kind"))

        process.terminate()  // SIGTERM
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(output.contains("modbus tcp  plc: 127.0.0.1:"))
        for path in ["control.sock", "gpio.sock", "tty"] {
            #expect(!FileManager.default.fileExists(atPath: dir + "/" + path), "\(path) left behind")
        }
    }
}
